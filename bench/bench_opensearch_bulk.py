"""Writing articles into OpenSearch, measured against the embedded engine.

    python bench/bench_opensearch_bulk.py [--limit 5000] [--nodes 1 3] [--runs 3]

The same Reuters-21578 articles (read with our reader from
``../shared/corpora/reuters21578``: read-only, research use only, never copied;
the benchmark skips with a message when the corpus is absent) are indexed

* by the embedded engine (Whoosh): ``NewsIndex.create(tmp).add(articles)``, in a
  child process of its own so its peak RSS is its own;
* into a 1-node and a 3-node OpenSearch cluster started with
  ``bench/opensearch_cluster.py`` (full JIT: no ``--quick-start`` for a benchmark),
  through ``search.engine.opensearch.bulk.bulk_index``; one shard per node, one
  replica when there are several nodes (what a cluster that survives a lost
  node holds), refreshed once at the end.

For each: articles per second (reading excluded; OpenSearch's time includes the
final refresh), peak RSS (the embedded engine's process, with the articles in
memory; the sum of the nodes' JVMs, VmHWM, not the Python client), and query
latency p50 / p95 over QUERIES, each asked with 3 terms aggregations (source,
authors, language), 10 hits, no snippets: ``NewsIndex.search`` on one side,
``client.search`` with ``to_dsl(parse(q).tree)`` on the other, after one
warm-up pass. Prints one table. Bounded by --limit; every node started is stopped.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAUNCHER = HERE / "opensearch_cluster.py"
CORPUS = ROOT.parent / "shared" / "corpora" / "reuters21578"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from opensearch_cluster import DEFAULT_HEAP, free_port_run, pid_gone  # noqa: E402

FACETS = ("source", "authors", "language")
QUERIES = [
    "oil prices", "crude oil opec", "interest rates", "bank of japan", "trade deficit",
    "wheat exports", "coffee quota", "gold", "dollar yen", "merger acquisition",
    "earnings per share", "stock split", "federal reserve", "soybean", "takeover bid",
    "brazil debt", "sugar", '"money supply"', "opec OR saudi", "grain shipments -wheat",
]
INDEX = "bench-reuters"


# --- the articles ----------------------------------------------------------------

def read_articles(corpus: Path, limit: int) -> list:
    from search.ingest.readers import reuters

    articles = []
    for path in sorted(corpus.glob("reut2-*.sgm")):
        articles += reuters.read(path, corpus)
        if len(articles) >= limit:
            break
    return articles[:limit]


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def timed_queries(ask, runs: int) -> list[float]:
    """Seconds per query over `runs` passes, after one untimed warm-up pass."""
    for query in QUERIES:
        ask(query)
    times = []
    for _ in range(runs):
        for query in QUERIES:
            started = time.perf_counter()
            ask(query)
            times.append(time.perf_counter() - started)
    return times


# --- the embedded engine (in a child process) -----------------------------------

def embedded_child(corpus: Path, limit: int, runs: int) -> dict:
    from search import NewsIndex

    articles = read_articles(corpus, limit)
    with tempfile.TemporaryDirectory(prefix="bench-whoosh-") as tmp:
        started = time.perf_counter()
        with NewsIndex.create(Path(tmp) / "index") as ix:
            report = ix.add(articles)
        seconds = time.perf_counter() - started
        with NewsIndex.open(Path(tmp) / "index") as ix:
            times = timed_queries(lambda q: ix.search(q, limit=10, facets=FACETS, snippets=0,
                                                      relax=False), runs)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Rates count every article given: the exact duplicates it leaves out
    # were read, hashed and compared too.
    return {"articles": len(articles), "duplicates": len(report.duplicates), "seconds": seconds,
            "peak_mib": peak_mib, "times": times}


def run_embedded(corpus: Path, limit: int, runs: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--embedded-child", "--corpus", str(corpus),
                          "--limit", str(limit), "--runs", str(runs)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


# --- OpenSearch ----------------------------------------------------------------

def vm_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Cluster:
    """A cluster started with the launcher (full JIT), stopped on exit."""

    def __init__(self, nodes: int, heap: str, timeout: float):
        self.nodes, self.heap, self.timeout = nodes, heap, timeout

    def __enter__(self) -> "Cluster":
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-opensearch-")
        data = Path(self.tmp.name)
        http, transport = free_port_run(self.nodes)
        command = [sys.executable, str(LAUNCHER), "--data", str(data), "--nodes", str(self.nodes),
                   "--port", str(http), "--transport-port", str(transport), "--heap", self.heap,
                   "--timeout", str(self.timeout), "--no-fetch", "--stop-on-stdin-eof",
                   "--cluster-name", f"bench-bulk-{http}"]
        with open(data / "launcher.err", "wb") as err:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=err, text=True)
        if not self.process.stdout.readline().strip():  # the URL, once green
            self.process.wait(60)
            raise RuntimeError((data / "launcher.err").read_text(errors="replace"))
        state = json.loads((data / "cluster.json").read_text())
        self.pids = [node["pid"] for node in state["nodes"]]
        self.urls = [f"http://127.0.0.1:{node['http_port']}" for node in state["nodes"]]
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(120)
        self.process.stdin.close()
        self.process.stdout.close()
        deadline = time.monotonic() + 60
        while not all(pid_gone(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.tmp.cleanup()


def run_opensearch(articles: list, nodes: int, heap: str, timeout: float, runs: int) -> dict:
    from search.engine.opensearch.bulk import bulk_index, connect
    from search.engine.opensearch.dsl import to_dsl
    from search.engine.opensearch.mapping import create_index
    from search.query.parser import parse

    with Cluster(nodes, heap, timeout) as cluster:
        client = connect(cluster.urls)
        create_index(client, INDEX, shards=nodes, replicas=min(1, nodes - 1))
        # Every shard placed before the clock starts (replicas need a second node).
        client.cluster.health(index=INDEX, wait_for_status="green" if nodes > 1 else "yellow")
        report = bulk_index(client, INDEX, articles, refresh=True)
        peak_mib = sum(vm_kib(pid, "VmHWM") for pid in cluster.pids) / 1024
        aggs = {name: {"terms": {"field": name, "size": 10}} for name in FACETS}

        def ask(query: str) -> None:
            body = {"query": to_dsl(parse(query).tree), "size": 10, "aggs": aggs,
                    "track_total_hits": True}
            client.search(index=INDEX, body=body)

        times = timed_queries(ask, runs)
        client.close()
    return {"articles": report.indexed, "failed": report.failed, "seconds": report.seconds,
            "peak_mib": peak_mib, "times": times}


# --- the table -------------------------------------------------------------------

def row(name: str, result: dict) -> str:
    p50, p95 = percentiles(result["times"])
    rate = result["articles"] / result["seconds"]
    return (f"{name:<26} {result['articles']:>8} {result['seconds']:>9.1f} {rate:>10.0f} "
            f"{result['peak_mib']:>14.0f} {p50:>9.1f} {p95:>9.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=5000, help="articles (default %(default)s)")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--runs", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--heap", default=f"{DEFAULT_HEAP[0]}:{DEFAULT_HEAP[1]}")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--embedded-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not any(args.corpus.glob("reut2-*.sgm")):
        print(f"skipped: no Reuters-21578 at {args.corpus} (reut2-*.sgm)", file=sys.stderr)
        return 0
    if args.embedded_child:
        print(json.dumps(embedded_child(args.corpus, args.limit, args.runs)))
        return 0
    prepared = subprocess.run([sys.executable, str(LAUNCHER), "--fetch-only"])
    if prepared.returncode != 0:
        return prepared.returncode  # the launcher said in one line what is missing

    articles = read_articles(args.corpus, args.limit)
    results = {"embedded (Whoosh)": run_embedded(args.corpus, args.limit, args.runs)}
    for nodes in args.nodes:
        label = f"OpenSearch {nodes} node{'s' if nodes > 1 else ''}"
        results[label] = run_opensearch(articles, nodes, args.heap, args.timeout, args.runs)
    print(f"Reuters-21578, {len(articles)} articles; {len(QUERIES)} queries x {args.runs} "
          f"runs, 3 terms aggregations each")
    print(f"{'engine':<26} {'articles':>8} {'index (s)':>9} {'articles/s':>10} "
          f"{'peak RSS (MiB)':>14} {'p50 (ms)':>9} {'p95 (ms)':>9}")
    print("-" * 91)
    for name, result in results.items():
        print(row(name, result))
    embedded = results["embedded (Whoosh)"]
    failed = {name: r["failed"] for name, r in results.items() if r.get("failed")}
    print(f"(the embedded engine left out {embedded['duplicates']} exact duplicates and "
          f"clustered near-duplicates; OpenSearch indexed every article"
          f"{', refused ' + str(failed) if failed else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
