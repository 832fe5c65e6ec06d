"""Benchmark newssearch against stock Whoosh and SQLite FTS5 on a corpus.

    python bench/bench_index.py [--corpus PATH] [--queries N] [--replicate K]

Any folder newssearch can index works (BBC, Reuters-21578 .sgm files, …);
`--replicate K` indexes K copies of it under new ids (a scale run).

Measures, for each engine, on the same articles:

* indexing throughput (articles/s, reading and parsing included), peak RSS,
  index size / raw text size;
* query latency p50/p95 for N two-word AND queries, top 10 with a snippet
  (newssearch: the full ``NewsIndex.search`` with snippets and 3 facets;
  stock Whoosh: ``searcher.search`` plus ``hit.highlights("body")``; FTS5:
  ``MATCH`` ordered by bm25 rank with ``snippet()``);
* for newssearch, the wall time of a cold ``python -m search.cli query``.

Every phase runs in its own freshly spawned process, so each peak RSS figure
belongs to that phase alone (interpreter and imports included). The query
phases run `--rounds` times (3), the engines in turn; p50 and p95 are the
medians of the rounds' (each round's are printed too). The corpus is
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
    """Peak resident set size of this process or of the largest of its
    finished worker processes (newssearch parses and builds segments in
    workers), whichever is larger. Linux reports KiB, macOS bytes."""
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
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


def read_articles(corpus: str) -> list:
    """Every Article under `corpus`, read by newssearch's own readers (so
    every engine indexes the same text); a bad file is skipped, as in
    newssearch."""
    from search.ingest.readers import ReadOptions
    from search.ingest.readers.discover import discover

    articles = []
    for candidate in discover([Path(corpus)]):
        if candidate.reader is None:
            continue
        try:
            articles += candidate.reader(candidate.path, candidate.root, ReadOptions())
        except Exception:  # noqa: BLE001 - a bad file is skipped here as in newssearch
            continue
    return articles


def load_articles(corpus: str, replicate: int = 1) -> list[tuple[str, str, str]]:
    """(id, title, body) of every article under `corpus`; K copies get new ids."""
    articles = [(a.id, a.title, a.body) for a in read_articles(corpus)]
    if replicate > 1:
        # Each copy's title differs by a word: exact copies would be indexed
        # once by newssearch (duplicate detection) and the run would measure
        # nothing. Copies stay near-duplicates of each other.
        articles = [(f"{i}/{id_}", f"{t} (copy {i})" if i else t, b)
                    for i in range(replicate) for id_, t, b in articles]
    return articles


# --- phases (each runs in its own process) ------------------------------------

def newssearch_index(corpus: str, index_dir: str, replicate: int) -> dict:
    from search import Article, NewsIndex

    started = time.perf_counter()
    with NewsIndex.create(index_dir) as ix:
        if replicate == 1:
            report = ix.index_paths([corpus])
            docs = report.added + len(report.duplicates)
        else:
            rows = load_articles(corpus, replicate)
            report = ix.add(Article(id=i, title=t, body=b) for i, t, b in rows)
            docs = len(rows)
    seconds = time.perf_counter() - started
    return {"docs": docs, "failed": len(report.failed), "seconds": seconds,
            "rss": peak_rss_mb(), "size": dir_size(index_dir)}


def stock_index(corpus: str, index_dir: str, replicate: int) -> dict:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    started = time.perf_counter()
    rows = load_articles(corpus, replicate)
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )
    os.makedirs(index_dir)
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    for id_, title, body in rows:
        writer.add_document(id=id_, title=title, body=body)
    writer.commit()
    ix.close()
    seconds = time.perf_counter() - started
    return {"docs": len(rows), "failed": 0, "seconds": seconds,
            "rss": peak_rss_mb(), "size": dir_size(index_dir)}


def fts5_index(corpus: str, index_dir: str, replicate: int) -> dict:
    import sqlite3

    started = time.perf_counter()
    rows = load_articles(corpus, replicate)
    os.makedirs(index_dir)
    db = sqlite3.connect(os.path.join(index_dir, "fts.db"))
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
               "tokenize='porter unicode61')")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
    db.commit()
    db.close()
    seconds = time.perf_counter() - started
    return {"docs": len(rows), "failed": 0, "seconds": seconds,
            "rss": peak_rss_mb(), "size": dir_size(index_dir)}


def newssearch_queries(index_dir: str, queries: list[str], facets: list[str]) -> dict:
    from search import NewsIndex

    times, totals = [], []
    with NewsIndex.open(index_dir) as ix:
        ix.search("warm up", facets=facets)  # opens the reader
        for q in queries:
            started = time.perf_counter()
            results = ix.search(q, facets=facets)
            times.append((time.perf_counter() - started) * 1000)
            totals.append(results.total)
    return {"times": times, "totals": totals, "rss": peak_rss_mb()}


def stock_queries(index_dir: str, queries: list[str], facets: list[str]) -> dict:
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


def fts5_queries(index_dir: str, queries: list[str], facets: list[str]) -> dict:
    import sqlite3

    times, totals = [], []
    db = sqlite3.connect(os.path.join(index_dir, "fts.db"))
    sql = ("SELECT id, snippet(docs, 2, '[', ']', '…', 16) FROM docs WHERE docs MATCH ? "
           "ORDER BY rank LIMIT 10")
    for q in queries:
        match = " AND ".join(f'"{w}"' for w in q.split())
        started = time.perf_counter()
        db.execute(sql, (match,)).fetchall()
        times.append((time.perf_counter() - started) * 1000)
        totals.append(db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?",
                                 (match,)).fetchone()[0])
    db.close()
    return {"times": times, "totals": totals, "rss": peak_rss_mb()}


# --- in the parent ------------------------------------------------------------

def make_queries(articles: list[tuple[str, str, str]], n: int) -> list[str]:
    """N two-word queries: both words from one title, each of mid document
    frequency in the corpus. Deterministic for a given corpus."""
    df: Counter[str] = Counter()
    for _, title, body in articles:
        df.update({w.lower() for w in WORD.findall(title + " " + body)})
    low, high = MID_DF
    mid = {w for w, c in df.items() if low <= c <= high and w not in STOP}
    titles = [sorted({w.lower() for w in WORD.findall(t)} & mid) for _, t, _ in articles]
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


def _median_round(rounds: list[dict]) -> dict:
    """One engine's query rounds as one: the first round's totals and
    peak RSS (the same queries each round), the median p50 and p95."""
    p50s = [percentile(r["times"], 50) for r in rounds]
    p95s = [percentile(r["times"], 95) for r in rounds]
    return {**rounds[0], "p50s": p50s, "p95s": p95s,
            "p50": statistics.median(p50s), "p95": statistics.median(p95s)}


ENGINES = (("newssearch", newssearch_index, newssearch_queries),
           ("stock Whoosh", stock_index, stock_queries),
           ("SQLite FTS5", fts5_index, fts5_queries))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help=f"folder of articles (default: {DEFAULT_CORPUS})")
    ap.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    ap.add_argument("--replicate", type=int, default=1,
                    help="index K copies of the corpus under new ids (scale run)")
    ap.add_argument("--facets", default="source,section,year",
                    help="the 3 facets newssearch counts per query")
    ap.add_argument("--rounds", type=int, default=3,
                    help="query phases per engine, taken in turn (default 3): each p50 and "
                         "p95 is the median of the rounds'")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"bench_index: error: corpus folder not found: {args.corpus} (pass --corpus PATH)",
              file=sys.stderr)
        return 2
    if args.queries < 1 or args.replicate < 1 or args.rounds < 1:
        print("bench_index: error: --queries, --replicate and --rounds must be 1 or more",
              file=sys.stderr)
        return 2
    facets = [f for f in args.facets.split(",") if f]

    corpus = args.corpus.resolve()
    articles = load_articles(str(corpus), args.replicate)
    if not articles:
        print(f"bench_index: error: no articles under {corpus}", file=sys.stderr)
        return 2
    raw = sum(len(t.encode()) + len(b.encode()) for _, t, b in articles)
    queries = make_queries(articles, args.queries)
    if not queries:
        print("bench_index: error: could not build queries from the corpus titles",
              file=sys.stderr)
        return 2
    print(f"corpus: {corpus} x{args.replicate} ({len(articles):,} articles, "
          f"{raw / 1e6:.2f} MB of title+body text); {len(queries)} queries, e.g. "
          f"{queries[:3]}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
          file=sys.stderr)

    built, rounds = {}, {name: [] for name, _, _ in ENGINES}
    with tempfile.TemporaryDirectory(prefix="bench-newssearch-") as tmp:
        where = {name: os.path.join(tmp, name.split()[-1].lower()) for name, _, _ in ENGINES}
        for name, index_fn, _ in ENGINES:
            print(f"{name}: indexing …", file=sys.stderr)
            built[name] = in_child(index_fn, str(corpus), where[name], args.replicate)
            print(f"  {built[name]['seconds']:.1f} s", file=sys.stderr)
        # The engines' query phases in turn, each in a fresh process: a
        # passing disturbance of the machine then spoils one round of one
        # engine, not the ratio of a single run.
        for round_ in range(args.rounds):
            print(f"queries, round {round_ + 1} of {args.rounds} …", file=sys.stderr)
            for name, _, query_fn in ENGINES:
                rounds[name].append(in_child(query_fn, where[name], queries, facets))
        print("cold CLI …", file=sys.stderr)
        cli_ms, import_ms = cold_cli(where["newssearch"], queries[0])
    results = {name: (built[name], _median_round(rounds[name])) for name in built}

    header = ("engine", "docs/s", "peak RSS MB (index)", "index/raw text",
              "query p50 ms", "query p95 ms", "cold CLI ms")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for name, (ix, q) in results.items():
        cli = f"{cli_ms:.0f}" if name == "newssearch" else "n/a"
        print("| " + " | ".join((name, f"{ix['docs'] / ix['seconds']:,.0f}", f"{ix['rss']:.0f}",
                                 f"{ix['size'] / raw:.2f}", f"{q['p50']:.1f}",
                                 f"{q['p95']:.1f}", cli)) + " |")
    print()
    ns, ns_q = results["newssearch"]
    st, st_q = results["stock Whoosh"]
    _, fts_q = results["SQLite FTS5"]
    rate = lambda ix: ix["docs"] / ix["seconds"]  # noqa: E731
    print(f"- ratios newssearch/stock Whoosh: docs/s {rate(ns) / rate(st):.2f}, "
          f"query p50 {ns_q['p50'] / st_q['p50']:.2f}, p95 {ns_q['p95'] / st_q['p95']:.2f}, "
          f"index size {ns['size'] / st['size']:.2f}; newssearch/FTS5: query p50 "
          f"{ns_q['p50'] / fts_q['p50']:.2f}, p95 {ns_q['p95'] / fts_q['p95']:.2f}")
    for name, (_, q) in results.items():
        print(f"- {name} rounds: p50 " + ", ".join(f"{p:.2f}" for p in q["p50s"])
              + " ms; p95 " + ", ".join(f"{p:.2f}" for p in q["p95s"]) + " ms")
    print(f"- newssearch queries count {len(facets)} facets ({', '.join(facets)}) and "
          f"make 2 snippets per hit; {ns['failed']} files failed")
    for name, (_, q) in results.items():
        hits = sum(t > 0 for t in q["totals"])
        print(f"- {name}: {hits}/{len(queries)} queries with hits, mean total "
              f"{statistics.mean(q['totals']):.1f}, query-phase peak RSS {q['rss']:.0f} MB")
    print(f"- cold CLI: median of {CLI_RUNS} `python -m search.cli query {queries[0]!r}` = "
          f"{cli_ms:.0f} ms, of which `python -c 'import search.cli'` = {import_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
