"""Which documents of one segment match, as sorted numpy arrays: the
vectorised path of `docsets` (see `vectorised`). Posting lists come from
the kept arrays (codec.arrays) and combine with boolean masks the size of
the segment — a word's title and body lists, an AND's parts — where the
Python path builds a set of every posting of every word first. Query types
with their own matching rules go through docsets for that subtree.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from ....fields import TEXT_FIELDS
from ..codec.arrays import kept, posting_arrays
from . import docsets
from .ranking import BM25FTerm


def matches(searcher, query, filter_query=None, check=lambda: None) -> docsets.SegmentMatches:
    """docsets.matching with arrays: per segment, the live documents
    matching `query` (and `filter_query`), handed on as sorted arrays
    (ranking and facet counting read them as they are: a set of them would
    be sorted back into an array, 40 us for 650 matches here)."""
    out = docsets.SegmentMatches(vectorised=True)
    for sub, _offset in searcher.leaf_searchers():
        check()
        size = sub.reader().doc_count_all()
        docs = matching(query, sub)
        if filter_query is not None and len(docs):
            docs = _intersection([docs, matching(filter_query, sub)], size)
        reader = sub.reader()
        if len(docs) and reader.has_deletions():
            docs = without(docs, reader._perdoc.deleted_docs(), size)
        out.append((sub, docs))
    return out


def matching(q, sub) -> np.ndarray:
    """The documents of segment `sub` matching `q` (deleted ones included),
    ascending."""
    kind, size = type(q), sub.reader().doc_count_all()
    if kind is wq.Term:
        return _term(sub.reader(), q.fieldname, q.text)
    if kind is BM25FTerm:  # the word in any text field
        return text_docs(sub.reader(), q.text)
    if kind is wq.And or kind is wq.Require:
        return _intersection([matching(child, sub) for child in docsets._children(q)], size)
    if kind is wq.Or or kind is wq.DisjunctionMax:
        return union([matching(child, sub) for child in docsets._children(q)], size)
    if kind is wq.AndNot:
        return _without(matching(q.a, sub), matching(q.b, sub), size)
    if kind is wq.AndMaybe:
        return matching(q.a, sub)
    if kind is wq.Not:
        return _without(np.arange(size, dtype=np.int64), matching(q.query, sub), size)
    if kind is wq.Every and not q.fieldname:
        return np.arange(size, dtype=np.int64)
    found = docsets._docs(q, sub, True)  # phrases, patterns, dates, …
    return np.sort(np.fromiter(found, dtype=np.int64, count=len(found)))


def text_docs(reader, text, fields=tuple(TEXT_FIELDS)) -> np.ndarray:
    """The documents of a segment having the word `text` in any of the text
    `fields` (deleted ones included), ascending: kept beside the word's
    posting lists, since matching and ranking (its document frequency) both
    ask for it."""
    btext = text if isinstance(text, bytes) else text.encode("utf-8")
    size = reader.doc_count_all()
    return kept(reader, ("text docs", fields, btext), lambda: (
        union([_term(reader, name, btext) for name in fields], size),))[0]


def without(docs: np.ndarray, removed, size: int) -> np.ndarray:
    """`docs` but those in `removed` (an array or any iterable of numbers)."""
    if not isinstance(removed, np.ndarray):
        removed = np.fromiter(removed, dtype=np.int64)
    return _without(docs, removed, size)


def _term(reader, fieldname: str, text) -> np.ndarray:
    if fieldname not in reader.schema:
        return np.zeros(0, dtype=np.int64)
    btext = text if isinstance(text, bytes) else reader.schema[fieldname].to_bytes(text)
    return posting_arrays(reader, fieldname, btext)[0]


#: Set operations on fewer postings than a segment's documents divided by
#: this sort or search the postings; on more, they mark a mask of the
#: segment's size. (A mask costs the segment's size: on a 200,000-article
#: segment, more than sorting the few hundred postings of most words.)
SPARSE_RATIO = 16


def _sparse(postings: int, size: int) -> bool:
    return postings * SPARSE_RATIO < size


def union(parts: list[np.ndarray], size: int) -> np.ndarray:
    """The documents in any of `parts` (each ascending), ascending."""
    parts = [p for p in parts if len(p)]
    if len(parts) <= 1:
        return parts[0] if parts else np.zeros(0, dtype=np.int64)
    if _sparse(sum(len(p) for p in parts), size):
        # (Not np.unique: it does more, and its module's first use costs
        # a lazy import of ~50 ms, in a server's first search.)
        # Sorted runs laid end to end: a stable sort (timsort) merges them in
        # one pass, where the default sorts from scratch (a title and a
        # body list of 6,000 and 1,200 postings: 14 against 350 us here).
        joined = np.concatenate(parts)
        joined.sort(kind="stable")
        return joined[np.concatenate(([True], joined[1:] != joined[:-1]))]
    mask = np.zeros(size, dtype=bool)
    for part in parts:
        mask[part] = True
    return mask.nonzero()[0]


def _intersection(parts: list[np.ndarray], size: int) -> np.ndarray:
    parts = sorted(parts, key=len)  # the shortest first: each step keeps fewer
    found = parts[0] if parts else np.zeros(0, dtype=np.int64)
    for part in parts[1:]:
        if not len(found):
            break
        if _sparse(len(found) + len(part), size):
            at = np.minimum(part.searchsorted(found), len(part) - 1)
            found = found[part[at] == found]
            continue
        mask = np.zeros(size, dtype=bool)
        mask[part] = True
        found = found[mask[found]]
    return found


def _without(docs: np.ndarray, removed: np.ndarray, size: int) -> np.ndarray:
    if not len(docs) or not len(removed):
        return docs
    mask = np.zeros(size, dtype=bool)
    mask[removed] = True
    return docs[~mask[docs]]
