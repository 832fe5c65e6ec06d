"""A million articles: build, memory over the run, size, queries, start-up.

    python bench/bench_million.py [--corpus PATH] [--replicate 50] [--index DIR]
                                  [--queries 200] [--facets source,section,year]
                                  [--skip-index]

Reuters-21578 (`../shared/corpora/reuters21578` by default) replicated K
times (×50: ~1.08M articles) is added through `NewsIndex.add` from a
generator: the base corpus is read once (21,578 articles in memory, the same
whatever K is) and each copy is made as the indexer asks for it, so the
only thing that could grow with the archive is newssearch itself. A copy
keeps every field of its original (source, section, topics, dates: the
facets have values) and gets a new id and one changed title word, so it is
a near-duplicate, not an exact one (exact copies would be dropped).

Measured, each phase in its own process:

* **index**: wall time, articles/s, and the resident memory of the
  indexing process and every process it started (text builder, merge
  helpers), sampled every 0.2 s from /proc: the peak resident size of the
  largest process, the peak of their proportional sizes' sum (PSS: pages a
  fork shares count once), and both at each tenth of the run against the
  articles handed over by then — a line that climbs with the articles is a
  step that grows with the archive;
* the index's size on disk against the raw title+body text;
* **query**: p50/p95 of N two-word AND queries, top 10 with 2 snippets per
  hit and 3 facets (`NewsIndex.search`, warm process, one warm-up query);
* **stats**: a cold `newssearch stats` (median of 3 fresh processes);
* **serve**: a cold `newssearch serve` until its first search answers.

Linux only (memory is read from /proc). The index goes to `--index` (kept)
or a temporary folder (removed). `--skip-index` measures an index already
built there.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import dir_size, in_child, make_queries, percentile  # noqa: E402
from bench_index import read_articles as base_articles  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "reuters21578"
SAMPLE_EVERY = 0.2  # seconds between memory samples
COLD_RUNS = 3


# --- memory of a process tree, from /proc ----------------------------------------

def _memory_kib(pid: int) -> tuple[int, int]:
    """(resident, proportional) KiB of one process. The proportional set
    size shares each page among the processes mapping it, so forked helpers
    (copy-on-write) are not counted twice in a sum."""
    found = {"Rss:": 0, "Pss:": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                key = line.split(maxsplit=1)[0]
                if key in found:
                    found[key] = int(line.split()[1])
    except OSError:
        pass
    return found["Rss:"], found["Pss:"]


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return found


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(largest resident process, proportional sum of all) MB of `pid` and
    its descendants."""
    resident, proportional, todo = [], [], [pid]
    while todo:
        current = todo.pop()
        rss, pss = _memory_kib(current)
        resident.append(rss)
        proportional.append(pss)
        todo += _children(current)
    return max(resident) / 1024, sum(proportional) / 1024


# --- the index phase (a child process) -------------------------------------------

def copies(base: list, replicate: int, handed):
    """Copy i of every base article, made when the indexer asks for it;
    `handed` (a shared counter) counts them for the memory table."""
    for i in range(replicate):
        for article in base:
            handed.value += 1
            if i == 0:
                yield article
                continue
            yield dataclasses.replace(article, id=f"{i}/{article.id}",
                                      title=f"{article.title} (copy {i})", content_hash="")


def index_phase(corpus: str, index_dir: str, replicate: int, handed) -> dict:
    from search import NewsIndex

    base = base_articles(corpus)
    started = time.perf_counter()
    with NewsIndex.create(index_dir) as ix:
        report = ix.add(copies(base, replicate, handed))
    return {"seconds": time.perf_counter() - started, "added": report.added,
            "duplicates": len(report.duplicates), "base": len(base),
            "raw": replicate * sum(len(a.title.encode()) + len(a.body.encode()) for a in base)}


def run_index(corpus: str, index_dir: str, replicate: int) -> dict:
    """index_phase in a spawned child, its tree's memory sampled meanwhile."""
    ctx = get_context("spawn")
    handed = ctx.Value("q", 0, lock=False)
    out = ctx.Queue()
    child = ctx.Process(target=_index_child, args=(corpus, index_dir, replicate, handed, out))
    child.start()
    samples: list[tuple[float, int, float, float]] = []
    started = time.perf_counter()
    while child.is_alive():
        largest, total = tree_rss_mb(child.pid)
        samples.append((time.perf_counter() - started, handed.value, largest, total))
        child.join(SAMPLE_EVERY)
    result = out.get()
    if isinstance(result, BaseException):
        raise SystemExit(f"bench_million: indexing failed: {result}")
    result["samples"] = samples
    return result


def _index_child(corpus, index_dir, replicate, handed, out) -> None:
    try:
        out.put(index_phase(corpus, index_dir, replicate, handed))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        out.put(RuntimeError(f"{type(exc).__name__}: {exc}"))


# --- query, stats, serve -----------------------------------------------------------

def query_phase(index_dir: str, queries: list[str], facets: list[str]) -> dict:
    from search import NewsIndex

    times, totals = [], []
    with NewsIndex.open(index_dir) as ix:
        ix.search("warm up", facets=facets)
        for q in queries:
            started = time.perf_counter()
            results = ix.search(q, facets=facets)
            times.append((time.perf_counter() - started) * 1000)
            totals.append(results.total)
    return {"times": times, "totals": totals}


def cold_stats(index_dir: str) -> float:
    """Median wall ms of a fresh `newssearch stats`."""
    walls = []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "search.cli", "stats", "--index", index_dir],
                              capture_output=True, text=True, cwd=REPO)
        walls.append((time.perf_counter() - started) * 1000)
        if done.returncode:
            raise SystemExit(f"bench_million: stats failed: {done.stderr.strip()}")
    return statistics.median(walls)


def cold_serve(index_dir: str, query: str) -> float:
    """Median wall ms from starting `newssearch serve` to its first search
    (`/api/search?q=query`) answering 200."""
    walls = []
    for _ in range(COLD_RUNS):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "search.cli", "serve", "--index",
                                   index_dir, "--port", str(port)], cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": query})
            walls.append(_until_answers(url, server, started))
        finally:
            server.terminate()
            server.wait(30)
    return statistics.median(walls)


def _until_answers(url: str, server: subprocess.Popen, started: float) -> float:
    while True:
        if server.poll() is not None:
            raise SystemExit(f"bench_million: serve exited: {server.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return (time.perf_counter() - started) * 1000
        except OSError:
            time.sleep(0.01)  # polling an observable state: the port answering


# --- report ------------------------------------------------------------------------

def memory_table(samples, total_articles: int) -> list[str]:
    """The tree's memory at each tenth of the articles handed over."""
    lines = ["| articles handed over | elapsed s | largest process RSS MB | all processes PSS MB |",
             "|---:|---:|---:|---:|"]
    marks = [total_articles * k // 10 for k in range(1, 11)]
    for mark in marks:
        at = next((s for s in samples if s[1] >= mark), samples[-1])
        lines.append(f"| {at[1]:,} | {at[0]:.0f} | {at[2]:.0f} | {at[3]:.0f} |")
    tail = samples[-1]
    lines.append(f"| (end: merge and commit) | {tail[0]:.0f} | "
                 f"{max(s[2] for s in samples if s[1] >= total_articles):.0f} | "
                 f"{max(s[3] for s in samples if s[1] >= total_articles):.0f} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--replicate", type=int, default=50)
    ap.add_argument("--index", type=Path, default=None, help="keep the index here")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--facets", default="source,section,year")
    ap.add_argument("--skip-index", action="store_true", help="measure the index at --index")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"bench_million: error: corpus folder not found: {args.corpus}", file=sys.stderr)
        return 2
    if args.replicate < 1 or args.queries < 1 or (args.skip_index and not args.index):
        print("bench_million: error: --replicate and --queries must be 1 or more; "
              "--skip-index needs --index", file=sys.stderr)
        return 2
    facets = [f for f in args.facets.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="bench-million-") as tmp:
        where = str(args.index or Path(tmp) / "index")
        return report(args, where, facets)


def report(args, where: str, facets: list[str]) -> int:
    base = base_articles(str(args.corpus))
    queries = make_queries([(a.id, a.title, a.body) for a in base], args.queries)
    print(f"corpus {args.corpus} ×{args.replicate} ({len(base) * args.replicate:,} articles); "
          f"{len(queries)} queries; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f}", file=sys.stderr)
    ix = None
    if not args.skip_index:
        print("indexing …", file=sys.stderr)
        ix = run_index(str(args.corpus), where, args.replicate)
    print("queries …", file=sys.stderr)
    q = in_child(query_phase, where, queries, facets)
    print("cold stats and serve …", file=sys.stderr)
    stats_ms, serve_ms = cold_stats(where), cold_serve(where, queries[0])
    size = dir_size(where)
    print(f"load average at the end {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print("| articles | index s | articles/s | peak MB (largest RSS / all PSS) | index GB | "
          "index/raw | query p50 ms | query p95 ms | stats ms | serve ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if ix:
        n = ix["added"] + ix["duplicates"]
        largest = max(s[2] for s in ix["samples"])
        total = max(s[3] for s in ix["samples"])
        print(f"| {n:,} | {ix['seconds']:.0f} | {n / ix['seconds']:,.0f} | "
              f"{largest:.0f} / {total:.0f} | {size / 1e9:.2f} | {size / ix['raw']:.2f} | "
              f"{percentile(q['times'], 50):.1f} | {percentile(q['times'], 95):.1f} | "
              f"{stats_ms:.0f} | {serve_ms:.0f} |")
        print()
        print("\n".join(memory_table(ix["samples"], n)))
        print(f"\n- {ix['added']:,} added, {ix['duplicates']:,} dropped as exact duplicates")
    else:
        print(f"| (built before) | | | | {size / 1e9:.2f} | | {percentile(q['times'], 50):.1f} | "
              f"{percentile(q['times'], 95):.1f} | {stats_ms:.0f} | {serve_ms:.0f} |")
    hits = sum(t > 0 for t in q["totals"])
    print(f"- queries: {hits}/{len(queries)} with hits, mean total "
          f"{statistics.mean(q['totals']):,.0f}; {len(facets)} facets ({', '.join(facets)}), "
          f"2 snippets per hit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
