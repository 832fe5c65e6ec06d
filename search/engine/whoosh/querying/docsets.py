"""Which articles match: sets of document numbers, computed from whole
posting lists with C-speed set operations.

Counting matches and facet values (see facets) does not need scores, yet Whoosh's way —
walking a matcher tree posting by posting, in Python — cost more than
ranking itself: on Reuters-21578 a two-word query over common words spent
15 ms counting. Here a query's terms are read a block at a time into sets
and combined with ``&``, ``|`` and ``-``. Query types with their own matching
rules (phrases, proximity, field-existence) fall back to Whoosh's matcher for
that subtree only. Deleted documents are removed per segment at the end.
"""

from __future__ import annotations

from typing import Iterable

from whoosh import query as wq

from ..codec import term_doc_ids
from ..datecolumn import PublishedRange
from ....fields import TEXT_FIELDS
from .phrases import phrase_docs
from .ranking import BM25FPhrase, BM25FTerm
from .vectorised import vectorised

class SegmentMatches(list):
    """A query's matches: (segment searcher, the document numbers matching
    in it) per segment; and whether the search goes the numpy way (see
    `vectorised`), decided once where the matches are found, so ranking
    and facet counting follow the same way. The numbers are a set, or on
    the numpy way a sorted int64 array (read-only: it may be a kept
    posting list)."""

    def __init__(self, pairs: Iterable[tuple[object, set[int]]] = (), *,
                 vectorised: bool = False):
        super().__init__(pairs)
        self.vectorised = vectorised

_PATTERN_TYPES = (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.Variations, wq.TermRange,
                  wq.NumericRange, wq.DateRange, wq.Regex)


def matching(searcher, query, filter_query=None, check=lambda: None) -> SegmentMatches:
    """Per segment, the live documents matching `query` (and `filter_query`).
    `check` is called between segments (a search deadline)."""
    out = SegmentMatches()
    if vectorised(searcher.doc_count_all()):
        from . import docarrays  # (numpy: imported on the vectorised path only)

        return docarrays.matches(searcher, query, filter_query, check)
    for sub, _offset in searcher.leaf_searchers():
        check()
        docs = _docs(query, sub)
        if filter_query is not None and docs:
            docs &= _docs(filter_query, sub)
        reader = sub.reader()
        if docs and reader.has_deletions():
            docs -= set(reader._perdoc.deleted_docs())
        out.append((sub, docs))
    return out


def count(matches: SegmentMatches) -> int:
    return sum(len(docs) for _, docs in matches)


def _docs(q, sub, arrays: bool = False) -> set[int]:
    """The documents of segment `sub` matching `q`; `arrays`: read posting
    lists through the kept numpy arrays (see vectorised)."""
    kind = type(q)
    if kind is wq.Term:
        return _term_docs(sub.reader(), q.fieldname, q.text, arrays)
    if kind is BM25FTerm:  # the word in any text field
        return set().union(*(_term_docs(sub.reader(), name, q.text, arrays) for name in TEXT_FIELDS))
    if kind is BM25FPhrase:  # the phrase in any text field
        return set().union(*(phrase_docs(phrase, sub, q.check)
                             for phrase in q.field_phrases(sub.schema)))
    if kind is wq.And or kind is wq.Require:
        return _intersect(_docs(child, sub, arrays) for child in _children(q))
    if kind is wq.Or or kind is wq.DisjunctionMax:
        return set().union(*(_docs(child, sub, arrays) for child in _children(q)))
    if kind is wq.AndNot:
        return _docs(q.a, sub, arrays) - _docs(q.b, sub, arrays)
    if kind is wq.AndMaybe:
        return _docs(q.a, sub, arrays)
    if kind is wq.Not:
        return set(range(sub.reader().doc_count_all())) - _docs(q.query, sub, arrays)
    if kind is wq.Every and not q.fieldname:
        return set(range(sub.reader().doc_count_all()))
    if kind is PublishedRange:
        return q.docs_in(sub.reader())
    if q is wq.NullQuery or kind is type(wq.NullQuery):
        return set()
    if isinstance(q, _PATTERN_TYPES):
        # Patterns and ranges are ORs of the index terms they expand to.
        try:
            expanded = q.simplify(sub.reader())
        except (TypeError, UnicodeError):  # Whoosh 2.7.4's FuzzyTerm.simplify
            expanded = q
        if type(expanded) is not kind:
            return _docs(expanded, sub, arrays)
    if isinstance(q, wq.Phrase):  # found once per segment (see phrases); a copy, as
        # callers combine sets in place
        return set(phrase_docs(q, sub, getattr(q, "check", lambda: None)))
    return set(q.docs(sub))  # proximity, field existence …


def _children(q) -> list:
    if isinstance(q, wq.BinaryQuery):
        return [q.a, q.b]
    return list(q.subqueries)


def _intersect(sets: Iterable[set[int]]) -> set[int]:
    result = None
    for docs in sets:
        result = docs if result is None else result & docs
        if not result:
            return set()
    return result if result is not None else set()


def _term_docs(reader, fieldname: str, text, arrays: bool = False) -> set[int]:
    if fieldname not in reader.schema:
        return set()
    field = reader.schema[fieldname]
    btext = text if isinstance(text, bytes) else field.to_bytes(text)
    if arrays:  # (numpy: imported on the vectorised path only)
        from ..codec.arrays import posting_arrays

        return set(posting_arrays(reader, fieldname, btext)[0].tolist())
    if (fieldname, btext) not in reader:
        return set()
    return set(term_doc_ids(reader, fieldname, btext))
