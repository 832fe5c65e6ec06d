"""What integrity costs: opening (TOC checksum + a stat per file) against a
full verification (CRC32 of every file, `newssearch check`), the checksum and
fsync a commit adds, and the restricted unpickler against plain pickle.

    python bench/bench_integrity.py --index /tmp/reuters-index

Uses an existing index (build one with `newssearch index`); reads only.
Timings are the best of --repeat runs, with the files in the page cache.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whoosh.filedb.filestore import FileStorage  # noqa: E402

from search.engine.whoosh import durable, safepickle, toc  # noqa: E402
from search.ingest.check import check_index  # noqa: E402
from search.engine.whoosh.directory import NewsFileIndex, read_manifest  # noqa: E402


def best(fn, repeat: int) -> float:
    """Best wall time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    manifest = read_manifest(args.index, check_version=False)
    folder = args.index / manifest.generation
    storage = FileStorage(str(folder))
    info = toc.read_toc(storage, "MAIN")
    files = [folder / name for name in sorted(info.checksums or {})]
    size = sum(f.stat().st_size for f in files)

    opened = best(lambda: NewsFileIndex(storage), args.repeat)
    crc = best(lambda: [durable.checksum(f) for f in files], args.repeat)
    checked = best(lambda: check_index(args.index), args.repeat)
    synced = best(lambda: [durable.checksum_and_sync(f) for f in files], args.repeat)

    ix = NewsFileIndex(storage)
    with ix.reader() as reader:
        stored = reader._perdoc.stored_column()
        pickles = [stored.pickled(n) for n in range(reader.doc_count_all())]
    plain = best(lambda: [pickle.loads(p) for p in pickles if p], args.repeat)
    safe = best(lambda: [safepickle.loads(p) for p in pickles if p], args.repeat)

    rows = [
        ("index", f"{args.index} ({len(info.segments)} segment(s), {len(files)} file(s), "
                  f"{size / 1e6:.1f} MB, {len(pickles):,} articles)"),
        ("open: TOC CRC + stat sizes", f"{opened * 1e3:.2f} ms"),
        ("CRC32 of every file", f"{crc * 1e3:.1f} ms ({size / crc / 1e9:.2f} GB/s)"),
        ("newssearch check (all of it)", f"{checked * 1e3:.1f} ms"),
        ("commit: CRC32 + fsync of the files", f"{synced * 1e3:.1f} ms"),
        ("unpickle every stored article: pickle", f"{plain * 1e3:.1f} ms"),
        ("… restricted unpickler", f"{safe * 1e3:.1f} ms "
                                   f"(+{(safe - plain) / max(len(pickles), 1) * 1e6:.2f} µs each)"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'what':<{width}} | measured |\n|{'-' * (width + 2)}|----------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    print(f"(best of {args.repeat}, files in the page cache, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
