"""The engine-neutral query tree (`search.query.tree`) to Whoosh queries and
back.

``to_whoosh`` is how this engine runs a tree. ``from_whoosh`` reads the
grammar's output: query text is read by Whoosh's qparser (`syntax`), whose
query becomes the tree here (``ParsedQuery.tree``). The two
are exact inverses over everything the parser produces
(tests/test_query_tree.py), so switching callers onto the tree changes no
search. A Whoosh node the tree has no kind for raises ``UnsupportedQuery``:
dropping it would silently change what is searched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from whoosh import query as wq
from whoosh.query.qcore import _NullQuery
from whoosh.util.times import datetime_to_long, long_to_datetime

from ...query import tree as t
from .datecolumn import PublishedRange
from .schema import WORD_FIELDS

#: Unstemmed sibling → the full-text field it mirrors (the tree names the
#: full-text field; which field holds its unstemmed words is this engine's
#: business).
_TEXT_OF_WORDS = {words: text for text, words in WORD_FIELDS.items()}
#: One Whoosh date tick (a microsecond): an exclusive date bound is the
#: inclusive one a tick inside.
_TICK = timedelta(microseconds=1)


# --- tree → Whoosh -------------------------------------------------------------

def to_whoosh(node: t.Node) -> wq.Query:
    """The Whoosh query for a tree."""
    try:
        render = _TO_WHOOSH[type(node)]
    except KeyError:
        raise t.UnsupportedQuery(f"no Whoosh query for {node!r}") from None
    return render(node)


def _words_field(field: str) -> str:
    """Where a pattern on `field` is matched (see tree's module notes)."""
    return WORD_FIELDS.get(field, field)


def _date_range(node: t.DateRange) -> PublishedRange:
    start, end = node.start, node.end
    if not node.inclusive:  # PublishedRange is inclusive: step a tick inside
        start = start + _TICK if start is not None else None
        end = end - _TICK if end is not None else None
    return PublishedRange(_ticks(start), _ticks(end), boost=node.boost)


def _ticks(moment: datetime | None) -> int | None:
    return datetime_to_long(moment) if moment is not None else None


def _keyword_filter(node: t.KeywordFilter) -> wq.Query:
    # One Term, or an Or of them (as the filters were built before the tree).
    terms = [wq.Term(node.field, value) for value in node.values]
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms)


_TO_WHOOSH: dict[type, Callable[..., wq.Query]] = {
    t.Term: lambda n: wq.Term(n.field, n.text, boost=n.boost),
    t.Phrase: lambda n: wq.Phrase(n.field, list(n.words), slop=n.slop, boost=n.boost),
    t.Prefix: lambda n: wq.Prefix(_words_field(n.field), n.text, boost=n.boost),
    t.Wildcard: lambda n: wq.Wildcard(_words_field(n.field), n.pattern, boost=n.boost),
    t.Fuzzy: lambda n: wq.FuzzyTerm(_words_field(n.field), n.text, boost=n.boost,
                                    maxdist=n.maxdist, prefixlength=n.prefixlength),
    t.Range: lambda n: wq.TermRange(n.field, n.start, n.end, startexcl=not n.start_inclusive,
                                    endexcl=not n.end_inclusive, boost=n.boost),
    t.DateRange: _date_range,
    t.KeywordFilter: _keyword_filter,
    t.MatchAll: lambda n: wq.Every(boost=n.boost),
    t.Exists: lambda n: wq.Every(n.field, boost=n.boost),
    t.NullQuery: lambda n: wq.NullQuery,
    t.And: lambda n: wq.And([to_whoosh(c) for c in n.children], boost=n.boost),
    t.Or: lambda n: wq.Or([to_whoosh(c) for c in n.children], boost=n.boost),
    t.Not: lambda n: wq.Not(to_whoosh(n.child), boost=n.boost),
    t.AndNot: lambda n: wq.AndNot(to_whoosh(n.positive), to_whoosh(n.negative)),
    t.AndMaybe: lambda n: wq.AndMaybe(to_whoosh(n.required), to_whoosh(n.optional)),
}


# --- Whoosh → tree -------------------------------------------------------------

def from_whoosh(q: wq.Query) -> t.Node:
    """The tree for a Whoosh query of the kinds our parser produces. Exact
    types only: a subclass (a ranking rewrite's node) may run differently
    from its base, so it is refused, not read as the base."""
    if isinstance(q, _NullQuery):
        return t.NullQuery()
    try:
        read = _FROM_WHOOSH[type(q)]
    except KeyError:
        raise t.UnsupportedQuery(f"no query-tree node for {q!r}") from None
    return read(q)


def _text_field(fieldname: str) -> str:
    return _TEXT_OF_WORDS.get(fieldname, fieldname)


def _date(ticks: int | None) -> datetime | None:
    return long_to_datetime(ticks) if ticks is not None else None


def _or(q: wq.Or) -> t.Or:
    # Or's minmatch and scale change matching and scores; the parser never
    # sets them, and a tree Or has neither, so refuse rather than drop them.
    if q.minmatch or q.scale is not None:
        raise t.UnsupportedQuery(f"an Or with minmatch or scale: {q!r}")
    return t.Or(tuple(from_whoosh(c) for c in q.subqueries), boost=q.boost)


def _fuzzy(q: wq.FuzzyTerm) -> t.Fuzzy:
    if not q.constantscore:  # the parser's fuzzy words score as a constant
        raise t.UnsupportedQuery(f"a fuzzy term scored by its terms: {q!r}")
    return t.Fuzzy(_text_field(q.fieldname), q.text, maxdist=q.maxdist,
                   prefixlength=q.prefixlength, boost=q.boost)


def _pattern(kind: type, q: wq.PatternQuery) -> t.Node:
    if not q.constantscore:
        raise t.UnsupportedQuery(f"a pattern scored by its terms: {q!r}")
    return kind(_text_field(q.fieldname), q.text, boost=q.boost)


def _term_range(q: wq.TermRange) -> t.Range:
    if not q.constantscore:
        raise t.UnsupportedQuery(f"a range scored by its terms: {q!r}")
    return t.Range(q.fieldname, q.start, q.end, start_inclusive=not q.startexcl,
                   end_inclusive=not q.endexcl, boost=q.boost)


def _every(q: wq.Every) -> t.Node:
    if q.fieldname is None:
        return t.MatchAll(boost=q.boost)
    return t.Exists(q.fieldname, boost=q.boost)


def _term(q: wq.Term) -> t.Term:
    if not isinstance(q.text, str):  # a date or number the field did not parse
        raise t.UnsupportedQuery(f"a term whose text is not text: {q!r}")
    return t.Term(q.fieldname, q.text, boost=q.boost)


_FROM_WHOOSH: dict[type, Callable[..., t.Node]] = {
    wq.Term: _term,
    wq.Phrase: lambda q: t.Phrase(q.fieldname, tuple(q.words), slop=q.slop, boost=q.boost),
    wq.Prefix: lambda q: _pattern(t.Prefix, q),
    wq.Wildcard: lambda q: _pattern(t.Wildcard, q),
    wq.FuzzyTerm: _fuzzy,
    wq.TermRange: _term_range,
    PublishedRange: lambda q: t.DateRange(_date(q.start), _date(q.end), boost=q.boost),
    wq.Every: _every,
    wq.And: lambda q: t.And(tuple(from_whoosh(c) for c in q.subqueries), boost=q.boost),
    wq.Or: _or,
    wq.Not: lambda q: t.Not(from_whoosh(q.query), boost=q.boost),
    wq.AndNot: lambda q: t.AndNot(from_whoosh(q.a), from_whoosh(q.b)),
    wq.AndMaybe: lambda q: t.AndMaybe(from_whoosh(q.a), from_whoosh(q.b)),
}
