"""Facet counting that does not re-read the index on every search.

Whoosh counts a multi-valued facet (``FieldFacet(allow_overlap=True)``) by
building, for every segment and every search, a list of each document's
values, walking every posting of the field. On Reuters-21578 that was 90% of
a search with three facets (50 ms of 58). A segment never changes once
written, so its lists are built once and kept, keyed by the segment's
folder and id; a rebuild or a merge makes new segments and with them new
keys, and old entries age out of a small LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from whoosh import sorting

from .codec import posting_ids

#: Per-segment value lists kept (segments × facet fields).
CACHE_ENTRIES = 256

_cache: OrderedDict[tuple, list] = OrderedDict()
_lock = threading.Lock()


def field_facet(name: str) -> sorting.FieldFacet:
    """A counting facet over every value of field `name` (several per article
    allowed), with cached per-segment value lists."""
    return CachedFieldFacet(name, allow_overlap=True, maptype=sorting.Count)


class CachedFieldFacet(sorting.FieldFacet):
    def categorizer(self, global_searcher):
        return CachedOverlappingCategorizer(global_searcher, self.fieldname)


class CachedOverlappingCategorizer(sorting.OverlappingCategorizer):
    def set_searcher(self, segment_searcher, docoffset):
        key = _segment_key(segment_searcher.reader(), self._fieldname)
        lists = _get(key) if key else None
        if lists is None:
            super().set_searcher(segment_searcher, docoffset)
            if key and self._lists is not None:
                _put(key, self._lists)
        else:
            self._segment_searcher = segment_searcher
            self._lists = lists


def value_lists(segment_searcher, fieldname: str) -> list[list]:
    """For each document of one segment, the values it holds in `fieldname`
    (deleted documents included: callers only ask about live ones)."""
    reader = segment_searcher.reader()
    key = _segment_key(reader, fieldname)
    lists = _get(key) if key else None
    if lists is None:
        lists = [[] for _ in range(reader.doc_count_all())]
        field = reader.schema[fieldname]
        terms = getattr(reader, "_terms", None)
        for btext in field.sortable_terms(reader, fieldname):
            value = field.from_bytes(btext)
            postings = (posting_ids(terms.matcher(fieldname, btext, field.format))
                        if terms is not None else reader.postings(fieldname, btext).all_ids())
            for docnum in postings:
                lists[docnum].append(value)
        if key:
            _put(key, lists)
    return lists


def _segment_key(reader, fieldname: str) -> tuple | None:
    segment = getattr(reader, "_segment", None)
    storage = getattr(reader, "_storage", None)
    if segment is None or storage is None:
        return None
    return (getattr(storage, "folder", id(storage)), segment.segment_id(), fieldname)


def _get(key: tuple) -> list | None:
    with _lock:
        lists = _cache.get(key)
        if lists is not None:
            _cache.move_to_end(key)
        return lists


def _put(key: tuple, lists: list) -> None:
    with _lock:
        _cache[key] = lists
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
