"""Facet counts on Whoosh: how many matching documents hold each value of a
field, from per-segment value lists.

Whoosh counts a multi-valued facet by walking every posting of the field on
every search (on Reuters-21578 90% of a search with three facets: 50 ms of
58). A segment never changes once written, so its lists (`value_lists`; on the
vectorised path, arrays: `facet_arrays`) are built once and kept, keyed by the segment's folder and id (see
`segment_cache`); a rebuild or a merge makes new segments and with them new
keys, and old entries age out of a small LRU. The facet model — which
facets, their order, selected state and links — is `search.query.facets`.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Iterable


from ....text.analysis import normalize_keyword
from ..codec import term_doc_ids
from ..segment_cache import SegmentCache, leaves, segment_key
from .docsets import SegmentMatches

#: Per-segment value lists kept (segments × facet fields).
CACHE_ENTRIES = 256
#: Facet value spellings remembered (see `spelling`).
DISPLAY_CACHE = 4096

_cache = SegmentCache(CACHE_ENTRIES)
_DISPLAY: dict[tuple, str] = {}


def with_values(reader, names: Iterable[str]) -> list[str]:
    """Those of the fields `names` that at least one article has a value in
    (a facet worth offering), in the order given."""
    return [name for name in names
            if name in reader.schema and next(iter(reader.lexicon(name)), None) is not None]


def count_values(matches: SegmentMatches, fieldname: str) -> Counter:
    """How many matching documents hold each value of `fieldname` (any
    keyword field: the searcher counts near-duplicate clusters so too)."""
    if matches.vectorised:
        from .facet_arrays import count_values as count_with_arrays  # (numpy)

        return count_with_arrays(matches, fieldname)
    counts: Counter = Counter()
    for sub, docs in matches:
        if docs:
            lists = value_lists(sub, fieldname)
            counts.update(chain.from_iterable(map(lists.__getitem__, docs)))
    return counts


def count_all(searcher, name: str) -> dict:
    """How many articles of the whole index hold each value of field `name`,
    read off the term dictionary: a value's count is its term's document
    frequency, and only a segment with deleted articles walks the term's
    postings. (Grouping every article, as a search would, took 2.8 s a
    field on 212,789 articles; `stats` and the server's first page wait
    for it.)"""
    counts: Counter = Counter()
    for sub, _ in leaves(searcher.reader()):
        if name not in sub.schema:
            continue
        field, deletions = sub.schema[name], sub.has_deletions()
        for btext in field.sortable_terms(sub, name):
            if deletions:
                live = sum(not sub.is_deleted(d) for d in term_doc_ids(sub, name, btext))
            else:
                live = sub.doc_frequency(name, btext)
            if live:
                counts[field.from_bytes(btext)] += live
    return dict(counts)


def spelling(searcher, name: str, value: str) -> str:
    """The original spelling of a folded value, read from one article that
    has it (`iran press` → `Iran Press`). Cached per index state: reading an
    article for each value was a third of a typical search."""
    key = (tuple(segment_key(leaf) or id(leaf) for leaf, _ in leaves(searcher.reader())),
           name, value)
    shown = _DISPLAY.get(key)
    if shown is None:
        shown = _DISPLAY[key] = _read_spelling(searcher, name, value)
        if len(_DISPLAY) > DISPLAY_CACHE:
            _DISPLAY.pop(next(iter(_DISPLAY)))
    return shown


def value_lists(segment_searcher, fieldname: str) -> list[list]:
    """For each document of one segment, the values it holds in `fieldname`
    (deleted documents included: callers only ask about live ones)."""
    reader = segment_searcher.reader()

    def build() -> list[list]:
        lists: list[list] = [[] for _ in range(reader.doc_count_all())]
        field = reader.schema[fieldname]
        for btext in field.sortable_terms(reader, fieldname):
            value = field.from_bytes(btext)
            for docnum in term_doc_ids(reader, fieldname, btext):
                lists[docnum].append(value)
        return lists

    return _cache.get(reader, fieldname, build)


def _read_spelling(searcher, name: str, term: str) -> str:
    docnum = searcher.document_number(**{name: term})
    if docnum is None:
        return term
    stored = searcher.stored_fields(docnum).get(name)
    values = stored if isinstance(stored, list) else [stored]
    for value in values:
        if value and normalize_keyword(value) == term:
            return value
    return term
