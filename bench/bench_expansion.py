"""Fuzzy, prefix and wildcard queries on 1 segment against 10 segments.

    python bench/bench_expansion.py [--corpus PATH] [--repeat N] [--profile KIND]

Indexes Reuters-21578 (``../shared/corpora/reuters21578``, read in place,
never copied into the repo) twice into temporary folders: once in one
``index_paths`` run (one segment after the run's merge) and once in 10 runs
over 10 groups of its files (10 segments). Ten runs of about 2,000 articles
fall in one merge tier and the tenth run would merge them all
(``segment_writer.merge_tiers``); there is no option to turn the policy off,
so this process raises ``MERGE_FACTOR`` for the 10-segment build only.

Then times each query in-process on each index: the first run (a fresh
index object, after one plain word query so that opening the segments is
not counted; nothing of the pattern cached yet) and the median of `--repeat` warm runs,
and prints per query kind the medians in ms on 1 and on 10 segments and
their ratio (target: 10 segments no slower than 2× one). ``--profile
fuzzy`` (or prefix, wildcard) prints a cProfile of that kind's first runs
on 10 segments instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.api import NewsIndex  # noqa: E402
from search.engine.whoosh import segment_writer  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpora/reuters21578"
QUERIES = {
    "fuzzy": ["growht~1", "prics~1", "goverment~2"],
    "prefix": ["minist*", "econ*"],
    "wildcard": ["m?nister", "*companies", "s?rian"],
}
SEGMENTS = 10
#: A plain word searched first on each fresh index object.
WARM_UP = "oil"
#: Seconds before a search is stopped: more than the default 10, so that the
#: slowest cases before the fix (`*companies` on 10 segments) still measure.
LIMIT = 600


def build(folder: Path, groups: list[list[Path]]) -> None:
    """One index_paths run per group of files."""
    with NewsIndex.create(folder) as index:
        for group in groups:
            index.index_paths(group, jobs=1)


def build_unmerged(folder: Path, groups: list[list[Path]]) -> None:
    """As build, with the tiered merge policy kept from merging the runs."""
    saved = segment_writer.MERGE_FACTOR
    segment_writer.MERGE_FACTOR = 10**9  # read at each commit (_tier_due)
    try:
        build(folder, groups)
    finally:
        segment_writer.MERGE_FACTOR = saved


def segment_count(folder: Path) -> int:
    with NewsIndex.open(folder) as index, index.snapshot() as snap:
        return len(snap._searcher.reader().leaf_readers() or [None])


def time_query(folder: Path, query: str, repeat: int) -> tuple[float, float, int]:
    """(first-run ms, warm median ms, hits) of one query on a fresh index object."""
    with NewsIndex.open(folder) as index:
        index.search(WARM_UP)  # opening the segments is not the pattern's cost
        started = time.perf_counter()
        hits = index.search(query, time_limit=LIMIT).total
        first = (time.perf_counter() - started) * 1000
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            index.search(query, time_limit=LIMIT)
            warm.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(warm), hits


def profile(folder: Path, kind: str) -> None:
    profiler = cProfile.Profile()
    for query in QUERIES[kind]:
        with NewsIndex.open(folder) as index:
            index.search(WARM_UP)
            profiler.runcall(index.search, query, time_limit=LIMIT)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def table(one: Path, many: Path, repeat: int) -> None:
    print(f"| kind | query | hits | 1 seg first ms | {SEGMENTS} seg first ms | "
          f"1 seg warm ms | {SEGMENTS} seg warm ms | ratio first | ratio warm |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, queries in QUERIES.items():
        rows = []
        for query in queries:
            f1, w1, h1 = time_query(one, query, repeat)
            fn, wn, hn = time_query(many, query, repeat)
            if h1 != hn:
                print(f"!! {query}: {h1} hits on 1 segment, {hn} on {SEGMENTS}")
            rows.append((f1, fn, w1, wn))
            print(f"| {kind} | `{query}` | {h1} | {f1:.1f} | {fn:.1f} | {w1:.1f} | {wn:.1f} | "
                  f"{fn / f1:.2f} | {wn / w1:.2f} |")
        f1, fn, w1, wn = (statistics.median(col) for col in zip(*rows))
        print(f"| **{kind}** | median | | {f1:.1f} | {fn:.1f} | {w1:.1f} | {wn:.1f} | "
              f"**{fn / f1:.2f}** | **{wn / w1:.2f}** |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", choices=sorted(QUERIES))
    parser.add_argument("--keep", type=Path,
                        help="build the two indexes here (once) and reuse them")
    args = parser.parse_args()
    files = sorted(args.corpus.glob("*.sgm"))
    if not files:
        print(f"skipped: no Reuters-21578 .sgm files in {args.corpus} (see --corpus)")
        return
    groups = [files[i::SEGMENTS] for i in range(SEGMENTS)]
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(args.keep or tmp, "one"), Path(args.keep or tmp, "many")
        if not one.exists():
            build(one, [files])
        if not many.exists():
            build_unmerged(many, groups)
        print(f"segments: {segment_count(one)} and {segment_count(many)}")
        if args.profile:
            profile(many, args.profile)
        else:
            table(one, many, args.repeat)


if __name__ == "__main__":
    main()
