"""Date filters answered from the sorted date column: every bound, open
ends, undated articles, deletions and several segments, checked against the
stored dates of every article."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from search import Article, NewsIndex
from search.engine.whoosh.schema import build_schema

START = datetime(2019, 12, 30, 22, 0, tzinfo=timezone.utc)


def dated(i: int) -> Article:
    published = None if i % 7 == 0 else START + timedelta(hours=9 * i)
    return Article(id=f"d{i}", title=f"Market report {i}", body="Shares and bonds.",
                   published=published)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    articles = [dated(i) for i in range(120)]
    ix = NewsIndex.create(tmp_path_factory.mktemp("dates") / "ix")
    for start in range(0, 120, 40):  # three segments
        ix.add(articles[start:start + 40])
    ix.delete(["d3", "d50", "d99"])
    live = [a for a in articles if a.id not in {"d3", "d50", "d99"}]
    yield ix, live
    ix.close()


def expect(live, lo: datetime | None, hi: datetime | None) -> set[str]:
    return {a.id for a in live if a.published is not None
            and (lo is None or a.published >= lo) and (hi is None or a.published <= hi)}


def ids(ix, query: str, **kwargs) -> set[str]:
    return {h.id for h in ix.search(query, limit=500, **kwargs).hits}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("clause, lo, hi", [
    ("published:2020-01", utc(2020, 1, 1), utc(2020, 1, 31, 23, 59, 59, 999999)),
    ("published:2020-01-02", utc(2020, 1, 2), utc(2020, 1, 2, 23, 59, 59, 999999)),
    ("date:[2020-01-03 TO 2020-01-20]", utc(2020, 1, 3), utc(2020, 1, 20, 23, 59, 59, 999999)),
    ("published:2019", utc(2019, 1, 1), utc(2019, 12, 31, 23, 59, 59, 999999)),
    ("published:[2020-01-15 TO]", utc(2020, 1, 15), None),
    ("published:[TO 2020-01-05]", None, utc(2020, 1, 5, 23, 59, 59, 999999)),
])
def test_query_clauses_match_the_stored_dates(index, clause, lo, hi):
    ix, live = index
    assert ids(ix, f"market {clause}") == expect(live, lo, hi)


def test_filters_and_boundaries_are_inclusive(index):
    ix, live = index
    exact = next(a.published for a in live if a.published is not None)
    day = exact.strftime("%Y-%m-%d")
    assert ids(ix, "", since=day, until=day) == expect(
        live, exact.replace(hour=0), exact.replace(hour=23, minute=59, second=59))
    assert ids(ix, "", since="2020-01-10") == expect(live, utc(2020, 1, 10), None)
    assert ids(ix, "", until="2020-01-10") == expect(live, None, utc(2020, 1, 10, 23, 59, 59))


def test_stats_and_totals_skip_undated_and_deleted(index):
    ix, live = index
    stats = ix.stats()
    dates = sorted(a.published for a in live if a.published is not None)
    assert stats.earliest == dates[0].replace(tzinfo=None)
    assert stats.latest == dates[-1].replace(tzinfo=None)
    assert stats.undated == sum(a.published is None for a in live)
    assert ix.search("market published:[2019 TO 2021]").total == len(dates)


def test_the_date_field_indexes_no_terms(index):
    ix, _ = index
    assert build_schema()["published"].indexed is False
    with ix._ix.reader() as reader:
        assert not list(reader.lexicon("published"))


def test_the_column_read_in_one_piece_equals_reading_it_date_by_date(index):
    from search.engine.whoosh import datecolumn
    from search.engine.whoosh.segment_cache import leaves

    ix, _ = index
    with ix._searching() as searcher:
        segments = [sub for sub, _ in leaves(searcher.reader())]
        assert len(segments) == 3
        for sub in segments:
            column = sub.column_reader("published", translate=False)
            missing = sub.schema["published"].column_type.default_value()
            whole = datecolumn._as_array(column, sub.doc_count_all(), missing)
            assert whole is not None  # the fast path is the one taken
            assert whole.tolist() == [column[d] for d in range(sub.doc_count_all())]
            assert (whole == missing).sum() > 0  # undated articles are in the comparison


def test_stats_reads_the_bounds_without_sorting_and_agrees_with_the_sorted_column(tmp_path):
    """`stats` takes the earliest and latest date and the count straight from
    each segment's column (no sorted column is built for it); once a date
    filter has built the sorted columns it reads those, with the same answer.
    Deleted articles include the earliest and the latest dated one."""
    from search.engine.whoosh import datecolumn
    from search.engine.whoosh.segment_cache import leaves

    articles = [dated(i) for i in range(90)]
    gone = {"d1", "d89", "d40"}  # the earliest and latest dates, and one between
    with NewsIndex.create(tmp_path / "ix") as ix:
        for start in range(0, 90, 30):
            ix.add(articles[start:start + 30])
        ix.delete(sorted(gone))
        live = sorted(a.published for a in articles if a.id not in gone and a.published)
        expected = (live[0].replace(tzinfo=None), live[-1].replace(tzinfo=None),
                    sum(a.published is None for a in articles if a.id not in gone))

        def read() -> tuple:
            stats = ix.stats()
            return stats.earliest, stats.latest, stats.undated

        def built() -> list[bool]:
            with ix._searching() as searcher:
                return [datecolumn._cache.peek_segment(sub, "published") is not None
                        for sub, _ in leaves(searcher.reader())]

        assert read() == expected and built() == [False, False, False]
        assert ix.search("market published:[2019 TO 2021]").total == len(live)
        assert built() == [True, True, True] and read() == expected
