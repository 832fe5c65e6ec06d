"""Publication dates: kept in a column only, filtered by binary search.

Whoosh's DATETIME field indexes each date as 16 trie terms (one per 4 bits
of a 64-bit tick count), so range queries can be answered from the term
index. On Reuters-21578 that was 84,000 terms — a fifth of the index, more
than the headlines' whole vocabulary. News queries filter by day, month or
year; a sorted copy of a segment's date column answers any range with two
binary searches, so :class:`PublishedField` indexes no terms at all and its
ranges become :class:`PublishedRange` queries.

The sorted column is built once per segment (see `segment_cache`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime

from whoosh import columns, fields, query as wq
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.util.times import datetime_to_long, long_to_datetime

from .segment_cache import SegmentCache, leaves

#: Sorted segment columns kept (one per segment).
CACHE_ENTRIES = 64

_cache = SegmentCache(CACHE_ENTRIES)


class PublishedField(fields.DATETIME):
    """A sortable date column without index terms; its query syntax
    (``published:2020-03``, ``[2020-01 TO 2020-03]``, ``>2021``) is Whoosh's."""

    def __init__(self):
        super().__init__(sortable=True)
        self.indexed = False

    def parse_query(self, fieldname, qstring, boost=1.0):
        return _as_column_query(super().parse_query(fieldname, qstring, boost))

    def parse_range(self, fieldname, start, end, startexcl, endexcl, boost=1.0):
        return _as_column_query(super().parse_range(fieldname, start, end, startexcl,
                                                    endexcl, boost))


def _as_column_query(q):
    if isinstance(q, wq.NumericRange):
        return PublishedRange(q.start, q.end, boost=q.boost)
    if isinstance(q, wq.Term) and isinstance(q.text, datetime):
        ticks = datetime_to_long(q.text)
        return PublishedRange(ticks, ticks, boost=q.boost)
    if isinstance(q, wq.Every):
        return PublishedRange(None, None, boost=q.boost)
    return q  # a parse error query: reported by the caller


class PublishedRange(wq.Query):
    """Articles published within [start, end] (Whoosh ticks, inclusive; None
    is open). With both open: every dated article. Scores like Whoosh's
    ranges: a constant (the boost)."""

    fieldname = "published"

    def __init__(self, start: int | None, end: int | None, boost: float = 1.0):
        self.start, self.end, self.boost = start, end, boost

    @classmethod
    def between(cls, start: datetime | None, end: datetime | None) -> "PublishedRange":
        """From naive UTC datetimes."""
        return cls(datetime_to_long(start) if start else None,
                   datetime_to_long(end) if end else None)

    def __eq__(self, other) -> bool:
        return (type(other) is type(self) and (self.start, self.end, self.boost)
                == (other.start, other.end, other.boost))

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.start, self.end, self.boost))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.start!r}, {self.end!r})"

    def __unicode__(self) -> str:
        def show(ticks):
            return long_to_datetime(ticks).isoformat() if ticks is not None else ""
        return f"published:[{show(self.start)} TO {show(self.end)}]"

    __str__ = __unicode__

    def field(self) -> str:
        return self.fieldname

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader) -> int:
        return ixreader.doc_count()

    def matcher(self, searcher, context=None):
        ids = sorted(self.docs_in(searcher.reader()))
        if not ids:
            return NullMatcher()
        return ListMatcher(ids, all_weights=self.boost)

    def docs(self, searcher, deleting=False):
        return iter(sorted(self.docs_in(searcher.reader())))

    def docs_in(self, reader) -> set[int]:
        """Document numbers of `reader` (a segment or a multi-reader) in range."""
        if not reader.is_atomic():
            return {offset + d for sub, offset in leaves(reader) for d in self.docs_in(sub)}
        keys, docs = _sorted_column(reader)
        lo = 0 if self.start is None else bisect_left(keys, self.start)
        hi = bisect_right(keys, self.end) if self.end is not None else len(keys)
        found = set(docs[lo:hi])
        if found and reader.has_deletions():
            found = {d for d in found if not reader.is_deleted(d)}
        return found


def bounds(reader) -> tuple[datetime | None, datetime | None, int]:
    """Earliest and latest date (naive UTC) and how many live articles have
    one, over every segment of `reader`."""
    earliest = latest = None
    dated = 0
    for sub, _ in leaves(reader):
        first, last, count = _segment_bounds(sub)
        if count:
            dated += count
            earliest = first if earliest is None else min(earliest, first)
            latest = last if latest is None else max(latest, last)
    if earliest is None:
        return None, None, 0
    return long_to_datetime(earliest), long_to_datetime(latest), dated


def _segment_bounds(reader) -> tuple[int | None, int | None, int]:
    """Earliest and latest ticks of one segment's live dated articles, and
    how many there are: from its sorted column if a search built it, else
    from the column's values as they are. A minimum, a maximum and a count
    need no sort: sorting every date of the index and making Python numbers
    of them was a third of a cold `stats` on a million articles."""
    ticks = None
    if _cache.peek_segment(reader, "published") is None and reader.has_column("published"):
        missing = reader.schema["published"].column_type.default_value()
        ticks = _as_array(reader.column_reader("published", translate=False),
                          reader.doc_count_all(), missing)
    if ticks is None:
        keys, docs = _sorted_column(reader)
        live = [k for k, d in zip(keys, docs) if not reader.is_deleted(d)] \
            if reader.has_deletions() else keys
        return (live[0], live[-1], len(live)) if live else (None, None, 0)
    import numpy as np

    wanted = ticks != missing
    if reader.has_deletions():
        wanted[np.fromiter(reader._perdoc.deleted_docs(), dtype=np.int64)] = False
    values = ticks[wanted]
    if not len(values):
        return None, None, 0
    return int(values.min()), int(values.max()), len(values)


def _sorted_column(reader) -> tuple[list[int], list[int]]:
    """(dates ascending, their document numbers) of one segment, undated
    documents left out."""
    def build() -> tuple[list[int], list[int]]:
        if not reader.has_column("published"):
            return [], []
        column = reader.column_reader("published", translate=False)
        missing = reader.schema["published"].column_type.default_value()
        ticks = _as_array(column, reader.doc_count_all(), missing)
        if ticks is None:  # (not the plain numeric column written: date by date)
            pairs = sorted((ticks, d) for d, ticks in enumerate(column)
                           if ticks is not None and ticks != missing)
            return [t for t, _ in pairs], [d for _, d in pairs]
        import numpy as np  # (here, not at start-up: a query without dates never needs it)

        docs = np.flatnonzero(ticks != missing)
        # Stable: equal dates keep document order, as sorting (ticks, doc) pairs did.
        docs = docs[np.argsort(ticks[docs], kind="stable")]
        return ticks[docs].tolist(), docs.tolist()

    return _cache.get(reader, "published", build)


def _as_array(column, doc_count: int, missing: int):
    """A segment's date column as a numpy array of ticks, read in one piece
    (`missing` past its stored end), or None if it is not the plain numeric
    column it is written as. Reading it value by value cost a second per
    200,000 articles: the first date filter, and `stats`, waited for it."""
    if type(column) is not columns.NumericColumn.Reader or column._typecode not in "qQ":
        return None
    import numpy as np

    dtype = np.dtype(">u8" if column._typecode == "Q" else ">i8")
    raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
    ticks = np.full(doc_count, missing, dtype=dtype.newbyteorder("="))
    stored = np.frombuffer(raw, dtype=dtype)[:doc_count]
    ticks[:len(stored)] = stored
    return ticks
