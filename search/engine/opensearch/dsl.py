"""The engine-neutral query tree (`search.query.tree`) as OpenSearch Query
DSL: plain dicts, ready for ``client.search(body={"query": to_dsl(tree)})``.

Written against the mapping of docs/opensearch.md: ``title`` and ``body``
are text fields (stemmed, as our index) with an unstemmed ``.words``
sub-field; the facet fields are keywords (folded by a normalizer);
``published`` is a date. Words in the tree are analysed already, so nothing
here asks OpenSearch to analyse them again: ``term`` for terms, and phrases
through the ``whitespace`` analyzer, which only splits the words we give.

Known differences from the Whoosh engine (docs/query-tree.md): scores are
OpenSearch's BM25 per field, not our BM25F; a sloppy phrase of three or
more words matches more in OpenSearch (see `_lucene_slop`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from ...query import tree as t

#: Full-text fields, each with an unstemmed ``FIELD.words`` sub-field where
#: patterns are matched (the mapping's; the Whoosh schema's TEXT_FIELDS,
#: which tests/test_query_tree.py checks).
TEXT_FIELDS = ("title", "body")
#: The date field DateRange filters.
DATE_FIELD = "published"
#: The query language's limits (search.query.parser, search.query.searcher;
#: tests/test_query_tree.py checks they agree). The parser bounds what users
#: type; a tree past them was built by hand and is refused, not clamped.
MAX_FUZZY_EDITS = 2
MAX_PHRASE_SLOP = 50
#: Most index words one fuzzy word may stand for.
MAX_EXPANSIONS = 5000

Dsl = dict[str, Any]


def to_dsl(node: t.Node) -> Dsl:
    """The Query DSL for a tree."""
    try:
        render = _RENDER[type(node)]
    except KeyError:
        raise t.UnsupportedQuery(f"no Query DSL for {node!r}") from None
    return render(node)


def _boosted(body: Dsl, boost: float) -> Dsl:
    # Only a boost that changes something is written: the DSL stays readable
    # and equal to what one would type.
    if boost != 1.0:
        body["boost"] = boost
    return body


def _words(field: str) -> str:
    """Where a pattern on `field` is matched (see the tree's module notes)."""
    return f"{field}.words" if field in TEXT_FIELDS else field


def _term(node: t.Term) -> Dsl:
    return {"term": {node.field: _boosted({"value": node.text}, node.boost)}}


def _phrase(node: t.Phrase) -> Dsl:
    if not 1 <= node.slop <= MAX_PHRASE_SLOP:
        raise t.UnsupportedQuery(f"a phrase slop outside 1..{MAX_PHRASE_SLOP}: {node!r}")
    body = {"query": " ".join(node.words), "slop": _lucene_slop(node),
            "analyzer": "whitespace"}
    return {"match_phrase": {node.field: _boosted(body, node.boost)}}


def _lucene_slop(node: t.Phrase) -> int:
    """Whoosh's slop bounds each gap: each word at most `slop` positions
    after the previous (1: adjacent). Lucene's bounds the gaps' sum (0:
    adjacent). Each gap's allowance times the gaps finds every article the
    Whoosh engine finds; the same for two words, wider for more (one long
    gap, or words out of order)."""
    return (node.slop - 1) * (len(node.words) - 1)


def _prefix(node: t.Prefix) -> Dsl:
    # constant_score: the Whoosh engine scores a pattern as its boost, not
    # by the words it matched.
    body = {"value": node.text, "rewrite": "constant_score"}
    return {"prefix": {_words(node.field): _boosted(body, node.boost)}}


def _wildcard(node: t.Wildcard) -> Dsl:
    body = {"value": node.pattern, "rewrite": "constant_score"}
    return {"wildcard": {_words(node.field): _boosted(body, node.boost)}}


def _fuzzy(node: t.Fuzzy) -> Dsl:
    if not 0 <= node.maxdist <= MAX_FUZZY_EDITS:
        raise t.UnsupportedQuery(f"a fuzzy word past ~{MAX_FUZZY_EDITS}: {node!r}")
    # Levenshtein without transpositions, as Whoosh's automaton counts edits.
    body = {"value": node.text, "fuzziness": node.maxdist, "prefix_length": node.prefixlength,
            "max_expansions": MAX_EXPANSIONS, "transpositions": False,
            "rewrite": "constant_score"}
    return {"fuzzy": {_words(node.field): _boosted(body, node.boost)}}


def _bounds(start: Any, end: Any, start_inclusive: bool, end_inclusive: bool) -> Dsl:
    body: Dsl = {}
    if start is not None:
        body["gte" if start_inclusive else "gt"] = start
    if end is not None:
        body["lte" if end_inclusive else "lt"] = end
    return body


def _range(node: t.Range) -> Dsl:
    body = _bounds(node.start, node.end, node.start_inclusive, node.end_inclusive)
    return {"range": {node.field: _boosted(body, node.boost)}}


def _date_range(node: t.DateRange) -> Dsl:
    if node.start is None and node.end is None:  # every dated article
        return {"exists": _boosted({"field": DATE_FIELD}, node.boost)}
    body = _bounds(_iso(node.start), _iso(node.end), node.inclusive, node.inclusive)
    body["format"] = "strict_date_optional_time"  # naive UTC, as the tree holds it
    return {"range": {DATE_FIELD: _boosted(body, node.boost)}}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _keyword_filter(node: t.KeywordFilter) -> Dsl:
    if not node.values:
        return {"match_none": {}}
    return {"terms": {node.field: list(node.values)}}


def _bool(boost: float = 1.0, **clauses: list[Dsl]) -> Dsl:
    return {"bool": _boosted(dict(clauses), boost)}


def _or(node: t.Or) -> Dsl:
    should = [to_dsl(c) for c in node.children]
    return {"bool": _boosted({"should": should, "minimum_should_match": 1}, node.boost)}


_RENDER: dict[type, Callable[..., Dsl]] = {
    t.Term: _term,
    t.Phrase: _phrase,
    t.Prefix: _prefix,
    t.Wildcard: _wildcard,
    t.Fuzzy: _fuzzy,
    t.Range: _range,
    t.DateRange: _date_range,
    t.KeywordFilter: _keyword_filter,
    t.MatchAll: lambda n: {"match_all": _boosted({}, n.boost)},
    t.Exists: lambda n: {"exists": _boosted({"field": n.field}, n.boost)},
    t.NullQuery: lambda n: {"match_none": {}},
    t.And: lambda n: _bool(n.boost, must=[to_dsl(c) for c in n.children]),
    t.Or: _or,
    # A bool of must_not alone matches every document but those.
    t.Not: lambda n: _bool(n.boost, must_not=[to_dsl(n.child)]),
    t.AndNot: lambda n: _bool(must=[to_dsl(n.positive)], must_not=[to_dsl(n.negative)]),
    # should beside must: optional, it only adds to the score.
    t.AndMaybe: lambda n: _bool(must=[to_dsl(n.required)], should=[to_dsl(n.optional)]),
}
