"""How much reading dates costs: the fast path (fromisoformat, dateutil) and
the dateparser fallback for dates in other languages, and how many of the
real corpora's dates reach the fallback.

    python bench/bench_dates.py [--corpora ../shared/corpora]

Prints one table. Bounded: a few thousand parses and one read of Reuters-21578
and BBC (skipped when the corpora are absent).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from search.text import dates
from search.text.dates import parse_date

FAST = ["2020-03-05T10:30:00+01:00", "Thu, 05 Mar 2020 10:30:00 GMT", "March 5, 2020",
        "26-FEB-1987 15:01:01.79", "2020-03-05"]
FOREIGN = ["5. März 2024", "3 mars 2021", "12 de enero de 2020", "1 мая 2020", "12 gennaio 2020"]
UNREADABLE = ["Copyright 2024 News Corp", "2020-01-01T00:00:00+99:99", "Sometime in 2021"]


def per_call_ms(values: list[str], rounds: int, language: str | None = None) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for value in values:
            parse_date(value, language)
    return (time.perf_counter() - started) / (rounds * len(values)) * 1000


def corpus_dates(corpora: Path) -> list[tuple[str, int, int, float]]:
    """(corpus, articles, dates sent to dateparser, seconds to read)."""
    from search.ingest.readers import reuters, text

    calls = [0]
    real = dates._foreign

    def counted(*args):
        calls[0] += 1
        return real(*args)

    dates._foreign = counted
    rows = []
    try:
        for name, reader, pattern in (("reuters21578", reuters, "reut2-*.sgm"),
                                      ("bbc", text, "*/*.txt")):
            root = corpora / name
            if not root.is_dir():
                continue
            calls[0] = 0
            started = time.perf_counter()
            count = sum(len(reader.read(p, root)) for p in sorted(root.glob(pattern)))
            rows.append((name, count, calls[0], time.perf_counter() - started))
    finally:
        dates._foreign = real
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "corpora")
    args = parser.parse_args()
    started = time.perf_counter()
    parse_date("5. März 2024")  # loads dateparser and its language data
    cold = (time.perf_counter() - started) * 1000
    print(f"{'what':<44} {'per date':>12}")
    print(f"{'fast path (ISO, RFC 822, English, Reuters)':<44} {per_call_ms(FAST, 400) * 1000:>9.1f} µs")
    print(f"{'dateparser, other languages, no hint':<44} {per_call_ms(FOREIGN, 40):>9.2f} ms")
    print(f"{'dateparser, with a language hint (de)':<44} {per_call_ms(['5. März 2024'], 200, 'de'):>9.2f} ms")
    print(f"{'unreadable (year, but no date)':<44} {per_call_ms(UNREADABLE, 40):>9.2f} ms")
    print(f"{'dateparser first use (load, once a process)':<44} {cold:>9.0f} ms")
    for name, count, sent, seconds in corpus_dates(args.corpora):
        print(f"{name}: {count:,} articles read in {seconds:.2f} s, {sent} dates sent to dateparser")


if __name__ == "__main__":
    main()
