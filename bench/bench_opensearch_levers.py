"""What makes a bulk load into one OpenSearch node faster: each lever measured.

    python bench/bench_opensearch_levers.py [--articles 20000] [--heaps 256m:512m 1g:1g]

The same articles as bench_million (Reuters-21578 copies, its generator) go
into a fresh index on one node (started with bench_opensearch_bulk's
`Cluster`, full JIT) once per way of sending, after one untimed warm-up load
(the JIT compiles on the first). Ways:

* ``writer``: `bulk.bulk_index` as it is (its batch size and its settings);
* ``batch N, refresh R``: opensearch-py's `helpers.streaming_bulk`, N
  articles or 10 MiB a request (``batch 5 MiB``: 5 MiB, however many
  articles), the index refreshed every R during the load (1s, OpenSearch's
  default: a new searchable segment a second; -1: never, one refresh at the
  end);
* ``parallel T x N``: opensearch-py's `helpers.parallel_bulk`, T threads
  (the client encodes a batch while the node indexes another).

Prints articles/s per way and heap, and the load average at each.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_index import read_articles  # noqa: E402
from bench_million import DEFAULT_CORPUS, copies  # noqa: E402
from bench_opensearch_bulk import Cluster  # noqa: E402


class _Counter:  # bench_million's `handed` without a shared-memory value
    value = 0


def articles(base: list, n: int):
    return itertools.islice(copies(base, n // len(base) + 1, _Counter()), n)


def writer(client, index, items, **_):
    from search.engine.opensearch.bulk import bulk_index

    return bulk_index(client, index, items).indexed


def batched(client, index, items, *, count, threads=1, refresh="-1", mib=10):
    from opensearchpy import helpers

    from search.engine.opensearch.bulk import _actions

    client.indices.put_settings(index=index, body={"index": {"refresh_interval": refresh}})
    actions = _actions(index, items)
    if threads == 1:
        answers = helpers.streaming_bulk(client, actions, chunk_size=count,
                                         max_chunk_bytes=mib * 1024 * 1024, raise_on_error=False)
    else:
        answers = helpers.parallel_bulk(client, actions, thread_count=threads, chunk_size=count,
                                        max_chunk_bytes=mib * 1024 * 1024, raise_on_error=False)
    done = sum(ok for ok, _ in answers)
    client.indices.put_settings(index=index, body={"index": {"refresh_interval": None}})
    return done


WAYS = {
    "writer": (writer, {}),
    "batch 500, refresh 1s": (batched, {"count": 500, "refresh": "1s"}),
    "batch 500, refresh -1": (batched, {"count": 500}),
    "batch 2000, refresh -1": (batched, {"count": 2000}),
    "parallel 2 x 500, refresh -1": (batched, {"count": 500, "threads": 2}),
    "batch 5 MiB, refresh -1": (batched, {"count": 100_000, "mib": 5}),
    "parallel 2 x 2000, refresh -1": (batched, {"count": 2000, "threads": 2}),
}


def load(client, name: str, way: str, base: list, n: int) -> float:
    from search.engine.opensearch.mapping import create_index

    fn, options = WAYS[way]
    create_index(client, name)
    client.cluster.health(index=name, wait_for_status="yellow")
    started = time.perf_counter()
    done = fn(client, name, articles(base, n), **options)
    client.indices.refresh(index=name)
    seconds = time.perf_counter() - started
    if done != n:
        raise SystemExit(f"{way}: {done} of {n} indexed")
    client.indices.delete(index=name)
    return n / seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--articles", type=int, default=20000)
    ap.add_argument("--heaps", nargs="+", default=["256m:512m", "1g:1g"])
    ap.add_argument("--ways", nargs="+", default=list(WAYS), choices=list(WAYS))
    args = ap.parse_args()
    from search.engine.opensearch.bulk import connect

    base = read_articles(str(args.corpus))
    print(f"{args.articles:,} articles a load; {os.cpu_count()} CPUs", flush=True)
    print("| heap | way | articles/s | load average |\n|---|---|---:|---:|", flush=True)
    for heap in args.heaps:
        with Cluster(1, heap, 300) as cluster:
            client = connect(cluster.urls)
            load(client, "warm-up", "writer", base, 5000)
            for i, way in enumerate(args.ways):
                rate = load(client, f"lever-{i}", way, base, args.articles)
                print(f"| {heap} | {way} | {rate:,.0f} | {os.getloadavg()[0]:.1f} |", flush=True)
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
