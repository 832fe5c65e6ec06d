"""Facet counts with numpy (the vectorised path: see `vectorised`): a
segment's (document, value) pairs kept as arrays by document, and the
matches' values counted with one gather and a bincount, where
`facet_counts` walks a Python list per match. The same counts (tests/test_facets.py).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..codec.arrays import decoded
from .docsets import SegmentMatches
from .facet_counts import _cache


def count_values(matches: SegmentMatches, fieldname: str) -> Counter:
    """How many matching documents hold each value of `fieldname` (any
    keyword field: the searcher counts near-duplicate clusters so too)."""
    counts: Counter = Counter()
    for sub, docs in matches:
        if not len(docs):
            continue
        values, offsets, ordinals = value_arrays(sub, fieldname)
        if not values:
            continue
        tally = np.bincount(_held(offsets, ordinals, docs), minlength=len(values))
        for ordinal in tally.nonzero()[0].tolist():
            counts[values[ordinal]] += int(tally[ordinal])
    return counts


def value_arrays(segment_searcher, fieldname: str) -> tuple[list, np.ndarray, np.ndarray]:
    """One segment's values of `fieldname`, and which documents hold which,
    by document (deleted documents included: callers only ask about live
    ones): document d holds the values ``ordinals[offsets[d]:offsets[d + 1]]``
    (indexes into the values). Counting the matches' values is then a
    gather and one bincount, not a loop over the matches."""
    reader = segment_searcher.reader()

    def build() -> tuple[list, np.ndarray, np.ndarray]:
        field = reader.schema[fieldname]
        values, holders = [], []
        for btext in field.sortable_terms(reader, fieldname):
            values.append(field.from_bytes(btext))
            holders.append(decoded(reader, fieldname, btext)[0])
        documents = reader.doc_count_all()
        if not values:
            return [], np.zeros(documents + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        docs = np.concatenate(holders)
        by_document = np.argsort(docs, kind="stable")
        ordinals = np.repeat(np.arange(len(values)), [len(ids) for ids in holders])
        offsets = np.searchsorted(docs[by_document], np.arange(documents + 1))
        return values, offsets, ordinals[by_document]

    return _cache.get(reader, ("values", fieldname), build)


def _held(offsets: np.ndarray, ordinals: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The value ordinals the documents `chosen` (the numpy way's matches:
    an array) hold, one per (document, value)."""
    starts, ends = offsets[chosen], offsets[chosen + 1]
    sizes = ends - starts
    if not len(sizes) or np.maximum.reduce(sizes) <= 1:  # at most one value each (a source, a section)
        return ordinals[starts[sizes == 1]]
    # Each document's run of positions starts..ends, laid end to end.
    runs = (starts - sizes.cumsum() + sizes).repeat(sizes)
    return ordinals[runs + np.arange(len(runs))]
