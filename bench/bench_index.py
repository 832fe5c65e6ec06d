"""Benchmark newssearch against a plain ("stock") Whoosh index on a corpus.

    python bench/bench_index.py [--corpus PATH] [--queries N]

Measures, for both engines, on the same files:

* indexing throughput (articles/s), peak RSS, index size / raw text size;
* query latency p50/p95 for N two-word AND queries (newssearch: the full
  ``NewsIndex.search`` with facets and snippets; stock: ``searcher.search``
  plus ``hit.highlights("body")``);
* for newssearch, the wall time of a cold ``python -m search.cli query``.

Every phase runs in its own freshly spawned process, so each peak RSS figure
belongs to that phase alone (interpreter and imports included). The corpus is
only read, never copied; indexes go to a temporary directory that is removed
at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "bbc"
SEED = 42
CLI_RUNS = 5
#: A query's two words each occur in this many articles (of the whole corpus).
MID_DF = (5, 250)
WORD = re.compile(r"[A-Za-z]{4,}")
#: Common function words that still pass the length filter.
STOP = {"that", "this", "with", "from", "have", "were", "will", "been", "they",
        "their", "said", "into", "over", "after", "about", "more", "than", "what",
        "when", "which", "would", "could", "should", "also", "make", "makes"}


# --- helpers ------------------------------------------------------------------

def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def dir_size(path: str) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (values need not be sorted)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def in_child(fn, *args):
    """Run fn(*args) in a fresh spawned process and return its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def read_plain(path: str) -> tuple[str, str]:
    """The stock reading of a seed-format file: first line title, rest body."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    title, _, body = text.partition("\n")
    return title.strip(), body.strip()


# --- phases (each runs in its own process) ------------------------------------

def newssearch_index(corpus: str, index_dir: str) -> dict:
    from search import NewsIndex

    started = time.perf_counter()
    with NewsIndex.create(index_dir) as ix:
        report = ix.index_paths([corpus])
    seconds = time.perf_counter() - started
    return {"docs": report.added, "failed": len(report.failed), "seconds": seconds,
            "rss": peak_rss_mb(), "size": dir_size(index_dir)}


def stock_index(files: list[str], root: str, index_dir: str) -> dict:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    started = time.perf_counter()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )
    os.makedirs(index_dir)
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    for path in files:
        title, body = read_plain(path)
        writer.add_document(id=Path(path).relative_to(root).as_posix(), title=title, body=body)
    writer.commit()
    ix.close()
    seconds = time.perf_counter() - started
    return {"docs": len(files), "failed": 0, "seconds": seconds,
            "rss": peak_rss_mb(), "size": dir_size(index_dir)}


def newssearch_queries(index_dir: str, queries: list[str]) -> dict:
    from search import NewsIndex

    times, totals = [], []
    with NewsIndex.open(index_dir) as ix:
        ix.search("warm up", facets=["source", "section"])  # opens the reader
        for q in queries:
            started = time.perf_counter()
            results = ix.search(q, facets=["source", "section"])
            times.append((time.perf_counter() - started) * 1000)
            totals.append(results.total)
    return {"times": times, "totals": totals, "rss": peak_rss_mb()}


def stock_queries(index_dir: str, queries: list[str]) -> dict:
    from whoosh import index
    from whoosh.qparser import MultifieldParser

    times, totals = [], []
    ix = index.open_dir(index_dir)
    parser = MultifieldParser(["title", "body"], ix.schema)  # AND by default
    with ix.searcher() as searcher:
        searcher.search(parser.parse("warm up"), limit=10)
        for q in queries:
            started = time.perf_counter()
            results = searcher.search(parser.parse(q), limit=10)
            for hit in results:
                hit.highlights("body")
            times.append((time.perf_counter() - started) * 1000)
            totals.append(len(results))  # untimed: counting re-runs the matcher
    ix.close()
    return {"times": times, "totals": totals, "rss": peak_rss_mb()}


# --- in the parent ------------------------------------------------------------

def make_queries(files: list[str], n: int) -> list[str]:
    """N two-word queries: both words from one title, each of mid document
    frequency in the corpus. Deterministic for a given corpus."""
    docs = [read_plain(p) for p in files]
    df: Counter[str] = Counter()
    for title, body in docs:
        df.update({w.lower() for w in WORD.findall(title + " " + body)})
    low, high = MID_DF
    mid = {w for w, c in df.items() if low <= c <= high and w not in STOP}
    titles = [sorted({w.lower() for w in WORD.findall(t)} & mid) for t, _ in docs]
    titles = [t for t in titles if len(t) >= 2]
    if not titles:
        return []
    rng = random.Random(SEED)
    return [" ".join(rng.sample(rng.choice(titles), 2)) for _ in range(n)]


def cold_cli(index_dir: str, query: str) -> tuple[float, float]:
    """Median wall ms of `python -m search.cli query` (and of the bare import,
    to show how much of it is start-up)."""
    def wall(cmd: list[str]) -> float:
        started = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, cwd=REPO)
        ms = (time.perf_counter() - started) * 1000
        if done.returncode != 0:
            raise SystemExit(f"bench_index: CLI failed ({done.returncode}): {done.stderr.strip()}")
        return ms

    query_ms = [wall([sys.executable, "-m", "search.cli", "query", query, "--index", index_dir])
                for _ in range(CLI_RUNS)]
    import_ms = [wall([sys.executable, "-c", "import search.cli"]) for _ in range(CLI_RUNS)]
    return statistics.median(query_ms), statistics.median(import_ms)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help=f"folder of articles (default: {DEFAULT_CORPUS})")
    ap.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"bench_index: error: corpus folder not found: {args.corpus} (pass --corpus PATH)",
              file=sys.stderr)
        return 2
    if args.queries < 1:
        print("bench_index: error: --queries must be 1 or more", file=sys.stderr)
        return 2

    from search.readers.discover import discover

    corpus = args.corpus.resolve()
    files = [str(c.path) for c in discover([corpus]) if c.reader is not None]
    if not files:
        print(f"bench_index: error: no article files under {corpus}", file=sys.stderr)
        return 2
    raw = sum(os.path.getsize(p) for p in files)
    queries = make_queries(files, args.queries)
    if not queries:
        print("bench_index: error: could not build queries from the corpus titles",
              file=sys.stderr)
        return 2
    print(f"corpus: {corpus} ({len(files)} files, {raw / 1e6:.2f} MB raw text); "
          f"{len(queries)} queries, e.g. {queries[:3]}; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="bench-newssearch-") as tmp:
        ns_dir, stock_dir = os.path.join(tmp, "newssearch"), os.path.join(tmp, "stock")
        print("indexing: newssearch …", file=sys.stderr)
        ns = in_child(newssearch_index, str(corpus), ns_dir)
        print(f"  {ns['seconds']:.1f} s; stock Whoosh …", file=sys.stderr)
        st = in_child(stock_index, files, str(corpus), stock_dir)
        print(f"  {st['seconds']:.1f} s; queries …", file=sys.stderr)
        ns_q = in_child(newssearch_queries, ns_dir, queries)
        st_q = in_child(stock_queries, stock_dir, queries)
        print("cold CLI …", file=sys.stderr)
        cli_ms, import_ms = cold_cli(ns_dir, queries[0])

    rows = []
    for name, ix, q, cli in (("newssearch", ns, ns_q, f"{cli_ms:.0f}"),
                             ("stock Whoosh", st, st_q, "n/a")):
        rows.append((name, f"{ix['docs'] / ix['seconds']:.0f}", f"{ix['rss']:.0f}",
                     f"{ix['size'] / raw:.2f}", f"{percentile(q['times'], 50):.1f}",
                     f"{percentile(q['times'], 95):.1f}", cli))
    header = ("engine", "docs/s", "peak RSS MB (index)", "index/raw text",
              "query p50 ms", "query p95 ms", "cold CLI ms")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    ns_rate, st_rate = ns["docs"] / ns["seconds"], st["docs"] / st["seconds"]
    print(f"- docs/s newssearch/stock: {ns_rate / st_rate:.2f}")
    print(f"- query p50 newssearch/stock: "
          f"{percentile(ns_q['times'], 50) / percentile(st_q['times'], 50):.2f}; "
          f"p95: {percentile(ns_q['times'], 95) / percentile(st_q['times'], 95):.2f}")
    print(f"- index size newssearch/stock: {ns['size'] / st['size']:.2f} "
          f"({ns['size'] / 1e6:.1f} MB vs {st['size'] / 1e6:.1f} MB; raw text {raw / 1e6:.1f} MB)")
    print(f"- indexed: newssearch {ns['docs']} articles ({ns['failed']} failed files) in "
          f"{ns['seconds']:.1f} s; stock {st['docs']} in {st['seconds']:.1f} s")
    print(f"- query-phase peak RSS MB: newssearch {ns_q['rss']:.0f}, stock {st_q['rss']:.0f}")
    hit_ns = sum(t > 0 for t in ns_q["totals"])
    hit_st = sum(t > 0 for t in st_q["totals"])
    print(f"- queries with hits: newssearch {hit_ns}/{len(queries)}, stock {hit_st}/{len(queries)}; "
          f"mean total hits newssearch {statistics.mean(ns_q['totals']):.1f}, "
          f"stock {statistics.mean(st_q['totals']):.1f}")
    print(f"- cold CLI: median of {CLI_RUNS} `python -m search.cli query {queries[0]!r}` = "
          f"{cli_ms:.0f} ms, of which `python -c 'import search.cli'` = {import_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
