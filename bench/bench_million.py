"""A million articles: build, memory over the run, size, queries, start-up.

    python bench/bench_million.py [--corpus PATH] [--replicate 50] [--index DIR|URL]
                                  [--queries 200] [--facets source,section,year]
                                  [--skip-index] [--time-limit S]
                                  [--opensearch [--heap XMS:XMX] | --node-pid PID]

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
built there. `--time-limit S` stops handing articles over after S seconds
(the figures are then those of the count reached).

The same run on OpenSearch (the crossover, issue 20): `--opensearch` starts
one node (bench_opensearch_bulk's `Cluster`, full JIT, `--heap`) and builds
``opensearch://…/bench-million`` on it, or `--index opensearch://HOST:PORT/NAME`
names a running one (`--node-pid` its JVM, for its memory). The articles go
through the same `NewsIndex.add` (the OpenSearch engine's bulk writer), the
queries through the same `NewsIndex.search` and the same cold `newssearch
stats --index URL`; the memory is then the Python client's tree and the
node's JVM apart (its resident size sampled, and its VmHWM peak), and the size
the index's primary store after a flush (what the node keeps on disk for it).
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

def copies(base: list, replicate: int, handed, deadline: float | None = None):
    """Copy i of every base article, made when the indexer asks for it;
    `handed` (a shared counter) counts them for the memory table. None
    after `deadline` (time.monotonic()), if one is given."""
    for i in range(replicate):
        for article in base:
            if deadline is not None and time.monotonic() > deadline:
                return
            handed.value += 1
            if i == 0:
                yield article
                continue
            yield dataclasses.replace(article, id=f"{i}/{article.id}",
                                      title=f"{article.title} (copy {i})", content_hash="")


def index_phase(corpus: str, index_dir: str, replicate: int, handed, limit: float | None) -> dict:
    from search import NewsIndex

    base = base_articles(corpus)
    started = time.perf_counter()
    deadline = time.monotonic() + limit if limit else None
    with NewsIndex.create(index_dir) as ix:
        report = ix.add(copies(base, replicate, handed, deadline))
    base_raw = sum(len(a.title.encode()) + len(a.body.encode()) for a in base)
    return {"seconds": time.perf_counter() - started, "added": report.added,
            "duplicates": len(report.duplicates), "base": len(base),
            "raw": base_raw * handed.value / len(base)}


def run_index(corpus: str, index_dir: str, replicate: int, node_pids: list[int] = (),
              limit: float | None = None) -> dict:
    """index_phase in a spawned child, its tree's memory sampled meanwhile
    (and the resident MB of `node_pids`, an OpenSearch node's JVM). A line
    on stderr each minute: a long run that is stopped leaves its trend."""
    ctx = get_context("spawn")
    handed = ctx.Value("q", 0, lock=False)
    out = ctx.Queue()
    child = ctx.Process(target=_index_child,
                        args=(corpus, index_dir, replicate, handed, limit, out))
    child.start()
    samples: list[tuple[float, int, float, float, float]] = []
    started = time.perf_counter()
    while child.is_alive():
        largest, total = tree_rss_mb(child.pid)
        node = sum(_memory_kib(pid)[0] for pid in node_pids) / 1024
        samples.append((time.perf_counter() - started, handed.value, largest, total, node))
        if len(samples) % int(60 / SAMPLE_EVERY) == 0:
            nodes = f", node {node:.0f} MB" if node_pids else ""
            print(f"{samples[-1][0]:.0f} s: {handed.value:,} articles handed over; largest "
                  f"process {largest:.0f} MB{nodes}; load average "
                  f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        child.join(SAMPLE_EVERY)
    result = out.get()
    if isinstance(result, BaseException):
        raise SystemExit(f"bench_million: indexing failed: {result}")
    result["samples"] = samples
    return result


def _index_child(corpus, index_dir, replicate, handed, limit, out) -> None:
    try:
        out.put(index_phase(corpus, index_dir, replicate, handed, limit))
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


def bytecode_state() -> str:
    """Whether the package's compiled bytecode is there for a cold start to
    read (pip writes it when installing; an editable checkout gets it on its
    first run, unless PYTHONDONTWRITEBYTECODE is set, as on some machines:
    then every start compiles the package again)."""
    package = REPO / "search"
    cached = any(package.glob("__pycache__/*.pyc"))
    never = " and PYTHONDONTWRITEBYTECODE set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"bytecode of search/ {'cached' if cached else 'not cached'}{never}"


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
    """The tree's memory at each tenth of the articles handed over (and the
    node's, when there is one)."""
    node = any(s[4] for s in samples)
    lines = ["| articles handed over | elapsed s | largest process RSS MB | all processes PSS MB |"
             + (" node JVM RSS MB |" if node else ""),
             "|---:|---:|---:|---:|" + ("---:|" if node else "")]
    marks = [total_articles * k // 10 for k in range(1, 11)]
    for mark in marks:
        at = next((s for s in samples if s[1] >= mark), samples[-1])
        lines.append(f"| {at[1]:,} | {at[0]:.0f} | {at[2]:.0f} | {at[3]:.0f} |"
                     + (f" {at[4]:.0f} |" if node else ""))
    tail = [s for s in samples if s[1] >= total_articles]
    lines.append(f"| (end: {'flush and refresh' if node else 'merge and commit'}) | "
                 f"{samples[-1][0]:.0f} | {max(s[2] for s in tail):.0f} | "
                 f"{max(s[3] for s in tail):.0f} |" + (f" {max(s[4] for s in tail):.0f} |"
                                                       if node else ""))
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--replicate", type=int, default=50)
    ap.add_argument("--index", default=None,
                    help="keep the index here (a folder, or opensearch://HOST:PORT/NAME)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--facets", default="source,section,year")
    ap.add_argument("--skip-index", action="store_true", help="measure the index at --index")
    ap.add_argument("--time-limit", type=float, default=None, metavar="S",
                    help="stop handing articles over after S seconds")
    ap.add_argument("--opensearch", action="store_true",
                    help="start one OpenSearch node and build the index there")
    ap.add_argument("--heap", default="1g:1g", help="the node's -Xms:-Xmx (%(default)s)")
    ap.add_argument("--node-pid", type=int, action="append", default=[],
                    help="an OpenSearch node's JVM (with --index opensearch://…), for its memory")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"bench_million: error: corpus folder not found: {args.corpus}", file=sys.stderr)
        return 2
    if args.replicate < 1 or args.queries < 1 or (args.skip_index and not args.index) or \
            (args.opensearch and args.index):
        print("bench_million: error: --replicate and --queries must be 1 or more; "
              "--skip-index needs --index; --opensearch makes its own index", file=sys.stderr)
        return 2
    facets = [f for f in args.facets.split(",") if f]
    if args.opensearch:
        from bench_opensearch_bulk import Cluster

        with Cluster(1, args.heap, 300) as cluster:
            where = f"opensearch://{cluster.urls[0].removeprefix('http://')}/bench-million"
            return report(args, where, facets, cluster.pids)
    with tempfile.TemporaryDirectory(prefix="bench-million-") as tmp:
        where = str(args.index or Path(tmp) / "index")
        return report(args, where, facets, args.node_pid)


def index_bytes(where: str) -> int:
    """The index's size on disk: its folder, or an OpenSearch index's
    primary store once flushed (its segments and translog, no replica)."""
    if not where.startswith("opensearch:"):
        return dir_size(where)
    from search.engine.opensearch.bulk import connect
    from search.engine.opensearch.index import parse_url

    url, name = parse_url(where)
    client = connect(url)
    try:
        client.indices.flush(index=name)
        return client.indices.stats(index=name)["_all"]["primaries"]["store"]["size_in_bytes"]
    finally:
        client.close()


def node_peak_mb(pids: list[int]) -> float:
    """The nodes' peak resident MB since they started (VmHWM), summed."""
    from bench_opensearch_bulk import vm_kib

    return sum(vm_kib(pid, "VmHWM") for pid in pids) / 1024


def report(args, where: str, facets: list[str], node_pids: list[int] = ()) -> int:
    base = base_articles(str(args.corpus))
    queries = make_queries([(a.id, a.title, a.body) for a in base], args.queries)
    print(f"corpus {args.corpus} ×{args.replicate} ({len(base) * args.replicate:,} articles) "
          f"into {where}; {len(queries)} queries; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    ix = None
    if not args.skip_index:
        print("indexing …", file=sys.stderr, flush=True)
        ix = run_index(str(args.corpus), where, args.replicate, node_pids, args.time_limit)
        print(f"indexed in {ix['seconds']:.0f} s; load average {os.getloadavg()[0]:.1f}",
              file=sys.stderr, flush=True)
    size = index_bytes(where)
    print("queries …", file=sys.stderr, flush=True)
    q = in_child(query_phase, where, queries, facets)
    print(f"cold stats and serve … ({bytecode_state()})", file=sys.stderr, flush=True)
    stats_ms, serve_ms = cold_stats(where), cold_serve(where, queries[0])
    print(f"load average at the end {os.getloadavg()[0]:.1f}", file=sys.stderr)
    node = f" {node_peak_mb(node_pids):.0f} |" if node_pids else ""
    print("| articles | index s | articles/s | peak MB (largest RSS / all PSS) | index GB | "
          "index/raw | query p50 ms | query p95 ms | stats ms | serve ms |"
          + (" node JVM peak MB |" if node else ""))
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if node else ""))
    if ix:
        n = ix["added"] + ix["duplicates"]
        largest = max(s[2] for s in ix["samples"])
        total = max(s[3] for s in ix["samples"])
        print(f"| {n:,} | {ix['seconds']:.0f} | {n / ix['seconds']:,.0f} | "
              f"{largest:.0f} / {total:.0f} | {size / 1e9:.2f} | {size / ix['raw']:.2f} | "
              f"{percentile(q['times'], 50):.1f} | {percentile(q['times'], 95):.1f} | "
              f"{stats_ms:.0f} | {serve_ms:.0f} |" + node)
        print()
        print("\n".join(memory_table(ix["samples"], n)))
        print(f"\n- {ix['added']:,} added, {ix['duplicates']:,} dropped as exact duplicates")
    else:
        print(f"| (built before) | | | | {size / 1e9:.2f} | | {percentile(q['times'], 50):.1f} | "
              f"{percentile(q['times'], 95):.1f} | {stats_ms:.0f} | {serve_ms:.0f} |" + node)
    hits = sum(t > 0 for t in q["totals"])
    print(f"- queries: {hits}/{len(queries)} with hits, mean total "
          f"{statistics.mean(q['totals']):,.0f}; {len(facets)} facets ({', '.join(facets)}), "
          f"2 snippets per hit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
