"""German retrieval on both engines: 10kGNAD (`../shared`, read by our
reader, never copied) indexed into the embedded engine and into an
OpenSearch index, and the 20 judged German queries of
bench/german_queries.tsv run on both (every match, not a top 10): how many
articles each finds, how many both find, and recall and precision against
the judgments (bench/bench_language.py's rule).

    python bench/opensearch_cluster.py --data /tmp/os --port 9200 &
    python bench/bench_opensearch_german.py --url http://127.0.0.1:9200
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from copy import copy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from bench_language import DEFAULT_SHARED, _ratio, gnad_articles, judged, matched, read_queries  # noqa: E402


def build(target, articles) -> tuple[object, float]:
    """An index of `articles` at `target` (a folder or an opensearch:// URL);
    `add` detects each article's language on both engines."""
    from search import NewsIndex

    index = NewsIndex.create(target, overwrite=True)
    started = time.perf_counter()
    index.add([copy(a) for a in articles])
    return index, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    articles = gnad_articles(args.shared)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"opensearch://{args.url.removeprefix('http://')}/bench-german"
        embedded, t_embedded = build(Path(tmp) / "index", articles)
        cluster, t_cluster = build(url, articles)
        print(f"## German retrieval on 10kGNAD, both engines ({len(articles)} articles; "
              f"indexing {t_embedded:.1f} s embedded, {t_cluster:.1f} s OpenSearch)\n")
        print("| query | relevant | embedded: matched | recall | precision "
              "| OpenSearch: matched | recall | precision | in both |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        same = 0
        for query, relevant, exclude in read_queries():
            truth = judged(articles, relevant, exclude)
            ours, theirs = matched(embedded, query), matched(cluster, query)
            same += ours == theirs
            row = [query, str(len(truth))]
            for got in (ours, theirs):
                hits = len(got & truth)
                row += [str(len(got)), _ratio(hits, len(truth)), _ratio(hits, len(got))]
            print("| " + " | ".join(row + [str(len(ours & theirs))]) + " |")
        print(f"\nthe same articles on both engines: {same} of {len(read_queries())} queries")
        cluster._client.indices.delete(index="bench-german")
        embedded.close()
        cluster.close()


if __name__ == "__main__":
    main()
