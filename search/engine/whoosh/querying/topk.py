"""The best k matches, scored from the match sets rather than by Whoosh's
collector.

By the time a search ranks, it already holds every match as a set of
document numbers per segment (see docsets: counting and facets need them).
Whoosh's collector found the same documents again, walking a tree of
matchers posting by posting in Python and scoring each, and kept the best k
in a heap: on Reuters-21578 that walk was a third of a two-word query's
time. Here each of the query's scored parts is scored at the matching
documents only, all at once (numpy), and the best k taken in one sort.

The scores are Whoosh's to the last bit: the parts add up in the order its
matcher tree adds them (an AND's parts paired by size as Whoosh's weighted
tree pairs them, an OR's likewise), each part's score the one its matcher
gives, and ties go to the lower document number, as in Whoosh's heap.
Query shapes whose scoring this module does not mirror (coordination
bonuses, preloaded ORs, field-only terms, patterns and proximity as scored
parts) return None: the caller then ranks with Whoosh's collector.
`tests/test_topk.py` compares both on many queries, segment by segment.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from whoosh import query as wq
from whoosh.util import make_weighted_tree

from . import docarrays, docsets
from .array_scores import term_scores
from .phrases import phrase_docs
from .ranking import BM25FPhrase, BM25FTerm


class _Unsupported(Exception):
    """A query part whose scores this module does not reproduce."""


def top(searcher, query, matches: docsets.SegmentMatches, count: int,
        check: Callable[[], None] = lambda: None) -> list[tuple[int, float]] | None:
    """The best `count` (document number, score) pairs among `matches` (the
    documents `query` matches, per segment), best first; None if `query`'s
    scoring is not one this module reproduces."""
    numbers, scores = [], []
    context = searcher.context()
    # (The numpy way's matches: a sorted array of each segment's ids.)
    for (sub, ids), (_, offset) in zip(matches, searcher.leaf_searchers()):
        check()
        if not len(ids):
            continue
        try:
            found = _score(query, sub, context, ids)
        except _Unsupported:
            return None
        numbers.append(ids + offset)
        scores.append(found.scores)
    if not numbers or count <= 0:
        return []
    numbers, scores = np.concatenate(numbers), np.concatenate(scores)
    best = np.lexsort((numbers, -scores))[:count]  # score down, then document number up
    return list(zip(numbers[best].tolist(), scores[best].tolist()))


class _Scored:
    """One query part's scores over the documents being ranked: `scores`
    (0.0 where it does not match), `present` (where it matches; None: all),
    and `kind`, the class of the matcher Whoosh would build for it (its
    weighted trees compare matchers by class when their sizes tie)."""

    __slots__ = ("scores", "present", "kind")

    def __init__(self, scores: np.ndarray, present: np.ndarray | None, kind: str):
        self.scores, self.present, self.kind = scores, present, kind

    # Whoosh's Matcher.__lt__ / __eq__: equal and "less" when the classes are the same.
    def __lt__(self, other: "_Scored") -> bool:
        return other.kind == self.kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Scored) and other.kind == self.kind

    __hash__ = None  # type: ignore[assignment]

    def mask(self, size: int) -> np.ndarray:
        return np.ones(size, dtype=bool) if self.present is None else self.present


_NULL = "NullMatcher"


def _score(q, sub, context, ids: np.ndarray) -> _Scored:
    kind = type(q)
    if kind is BM25FTerm:
        return _term(q, sub, context, ids)
    if kind is BM25FPhrase:
        return _phrase(q, sub, context, ids)
    if kind is wq.And:
        return _compound(q, sub, context, ids, _add_both, "IntersectionMatcher",
                         lambda child: 0 - child.estimate_size(sub.reader()))
    if kind is wq.Or and not q.scale and not q.minmatch:
        # Whoosh preloads an OR of 3+ parts into an array on small segments
        # (its "AUTO" choice when the matcher need not stay current).
        if len(q.subqueries) >= wq.Or.TOO_MANY_CLAUSES or (
                len(q.subqueries) > 2 and sub.doc_count_all() <= 5000):
            raise _Unsupported
        return _compound(q, sub, context, ids, _add_either, "UnionMatcher",
                         lambda child: child.estimate_size(sub.reader()))
    if kind is wq.AndNot:
        scored = _score(q.a, sub, context, ids)
        excluded = np.isin(ids, docarrays.matching(q.b, sub))
        present = scored.mask(len(ids)) & ~excluded
        return _Scored(np.where(present, scored.scores, 0.0), present, "AndNotMatcher")
    raise _Unsupported


def _term(q: BM25FTerm, sub, context, ids: np.ndarray) -> _Scored:
    """A word's scores at `ids` (see array_scores.term_scores)."""
    present, scores = term_scores(q, sub, context, ids)
    if present is None:  # (Whoosh's NullMatcher: no document has it)
        return _Scored(scores, np.zeros(len(ids), dtype=bool), _NULL)
    return _Scored(scores, present, "ListMatcher")


def _phrase(q: BM25FPhrase, sub, context, ids: np.ndarray) -> _Scored:
    """BM25FPhrase.matcher's scores: where the phrase is, its boost times
    the sum of its words' BM25F scores, word by word."""
    found: set[int] = set()
    for phrase in q.field_phrases(sub.schema):
        found.update(phrase_docs(phrase, sub, q.check))
    if not found:
        return _Scored(np.zeros(len(ids)), np.zeros(len(ids), dtype=bool), _NULL)
    present = np.isin(ids, np.fromiter(found, dtype=np.int64, count=len(found)))
    totals = np.zeros(len(ids))
    for word in dict.fromkeys(q.words):
        scored = _term(BM25FTerm(word), sub, context, ids)
        totals += np.where(present, scored.scores, 0.0)
    return _Scored(np.where(present, q.boost * totals, 0.0), present, "ListMatcher")


def _compound(q, sub, context, ids: np.ndarray, combine, kind: str, size) -> _Scored:
    """An AND or OR: its parts combined pairwise in the tree Whoosh builds
    (make_weighted_tree over each part's size), then its boost."""
    parts = q.subqueries
    if not parts:
        return _Scored(np.zeros(len(ids)), np.zeros(len(ids), dtype=bool), _NULL)
    if len(parts) == 1:  # Whoosh uses the part's own matcher, boost and all
        return _score(parts[0], sub, context, ids)
    if len(parts) == 2:
        # Two parts pair whatever their sizes, and adding them commutes
        # (x + y == y + x in floats; & and | likewise): no need to ask each
        # part its size, which looks it up in every field's term dictionary.
        tree = combine(_score(parts[0], sub, context, ids), _score(parts[1], sub, context, ids),
                       kind, len(ids))
    else:
        scored = [(size(part), _score(part, sub, context, ids)) for part in parts]
        tree = make_weighted_tree(lambda a, b: combine(a, b, kind, len(ids)), scored)
    if q.boost != 1.0:
        return _Scored(tree.scores * q.boost, tree.present, "WrappingMatcher")
    return tree


def _add_both(a: _Scored, b: _Scored, kind: str, size: int) -> _Scored:
    """IntersectionMatcher: where both match, a's score plus b's."""
    present = a.mask(size) & b.mask(size)
    return _Scored(np.where(present, a.scores + b.scores, 0.0), present, kind)


def _add_either(a: _Scored, b: _Scored, kind: str, size: int) -> _Scored:
    """UnionMatcher: a's plus b's where both match, else the one that does
    (0.0 stands for the other: x + 0.0 is x)."""
    present = a.mask(size) | b.mask(size)
    return _Scored(a.scores + b.scores, present, kind)
