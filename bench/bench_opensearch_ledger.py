"""What the file ledger saves: a first and a second `index` run over the same
folder, on the embedded engine and on an OpenSearch node (whose ledger is in
the cluster: docs/opensearch.md, "The file ledger in the cluster").

Start a node first, then:

    python bench/opensearch_cluster.py --data /tmp/os --port 9200 &
    python bench/bench_opensearch_ledger.py --url http://127.0.0.1:9200

The folder defaults to ../shared/corpora/bbc (2,225 one-article files, read
in place, never copied); the index is `bench-ledger`, deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from search import NewsIndex

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "corpora" / "bbc"
NAME = "bench-ledger"


def timed_run(target, folder: Path) -> tuple[float, object]:
    started = time.perf_counter()
    with NewsIndex.open_or_create(target) as ix:
        report = ix.index_paths([folder], jobs=1)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a running node, http://HOST:PORT")
    parser.add_argument("--folder", type=Path, default=BBC)
    args = parser.parse_args()
    cluster = f"opensearch://{args.url.removeprefix('http://')}/{NAME}"
    print(f"{args.folder}: load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{'engine':<12} {'run':<7} {'seconds':>8} {'files read':>11} {'unchanged':>10} "
          f"{'articles':>9}")
    with tempfile.TemporaryDirectory() as scratch:
        for engine, target in (("embedded", Path(scratch) / "index"), ("OpenSearch", cluster)):
            for run in ("first", "second"):
                seconds, report = timed_run(target, args.folder)
                print(f"{engine:<12} {run:<7} {seconds:>8.2f} {report.files:>11,} "
                      f"{report.files_unchanged:>10,} {report.articles:>9,}")
    from search.engine.opensearch.bulk import connect

    connect(args.url).indices.delete(index=f"{NAME},{NAME}-files", ignore_unavailable=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
