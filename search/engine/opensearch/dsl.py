"""The engine-neutral query tree (`search.query.tree`) as OpenSearch Query
DSL: plain dicts, ready for ``client.search(body={"query": to_dsl(tree)})``.

Written against the mapping of docs/opensearch.md: ``title`` and ``body``
are text fields (stemmed, as our index) with an unstemmed ``.words``
sub-field; the facet fields are keywords (folded by a normalizer);
``published`` is a date. Words in the tree are analysed already, so nothing
here asks OpenSearch to analyse them again: ``term`` for terms, and phrases
through the ``whitespace`` analyzer, which only splits the words we give.

Ranking: the Whoosh engine scores a word over title and body as one BM25F
term (search.engine.whoosh.querying.ranking: weighted frequencies added over the fields,
saturated once) with k1 3.0 and b 0.5, and gives function words (``mine``,
``what``) no weight. OpenSearch has no BM25F query (Lucene's
CombinedFieldQuery is not exposed), so: the index's similarity is BM25 with
the same k1 and b (mapping.json); a word over every text field is a
``dis_max`` of its fields, the best field plus a share of the other, which
saturates across fields as BM25F does more nearly than a sum (`_word`); and
`weightless` gives function words a boost of 0. On Reuters-21578 the top 10
of ranked queries then overlap the embedded engine's by 0.86 on average
(0.66 with a plain sum and OpenSearch's k1 and b: docs/opensearch.md).

Known differences from the Whoosh engine (docs/query-tree.md): scores are
close to our BM25F, not equal.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Callable, Collection

from ...fields import TEXT_FIELDS as PARSER_BOOSTS
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
#: A word over every text field: each field's weight in the ``dis_max``, and
#: the share of the other fields' scores added to the best one's. Chosen on
#: Reuters-21578 for the top-10 overlap with the embedded engine's BM25F
#: (title 1.25-2.0 by tie 0.2-0.4: 0.79-0.87; this is the best).
WORD_FIELD_WEIGHTS = {"title": 1.5, "body": 1.0}
WORD_TIE_BREAKER = 0.3

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
    if node.slop > 1 and len(node.words) > 1:
        return _sloppy_phrase(node)
    body = {"query": " ".join(node.words), "slop": 0, "analyzer": "whitespace"}
    return {"match_phrase": {node.field: _boosted(body, node.boost)}}


def _sloppy_phrase(node: t.Phrase) -> Dsl:
    """Whoosh's slop bounds each gap: each word at most `slop` positions
    after the previous, in order. Lucene's phrase slop bounds the gaps' sum
    and lets words swap, so it finds more (``"dollar yen"~5`` on Reuters:
    197 articles against 153). An ``intervals`` query says Whoosh's rule:
    the words so far, then the next at most ``slop - 1`` positions on, in
    order, nested word by word so each gap has its own bound."""
    rule: Dsl = _interval_word(node.words[0])
    for word in node.words[1:]:
        rule = {"all_of": {"ordered": True, "max_gaps": node.slop - 1,
                           "intervals": [rule, _interval_word(word)]}}
    return {"intervals": {node.field: _boosted(rule, node.boost)}}


def _interval_word(word: str) -> Dsl:
    # The word as the tree holds it (analysed): the whitespace analyzer only splits.
    return {"match": {"query": word, "analyzer": "whitespace"}}


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


def weightless(node: t.Node, words: Collection[str]) -> t.Node:
    """`node` with every Term of `words` (function words) at boost 0: they
    must still match where required but add nothing to the score, as in the
    embedded engine's ranking; unchanged if the query has no other term
    ("The Who")."""
    terms = [n for n in t.walk(node) if isinstance(n, t.Term)]
    if not words or all(term.text in words for term in terms):
        return node
    return _weightless(node, frozenset(words))


def _weightless(node: t.Node, words: frozenset[str]) -> t.Node:
    if isinstance(node, t.Term):
        return dataclasses.replace(node, boost=0.0) if node.text in words else node
    if isinstance(node, (t.And, t.Or)):
        return dataclasses.replace(node, children=tuple(_weightless(c, words)
                                                        for c in node.children))
    if isinstance(node, t.Not):
        return dataclasses.replace(node, child=_weightless(node.child, words))
    if isinstance(node, t.AndNot):
        return dataclasses.replace(node, positive=_weightless(node.positive, words),
                                   negative=_weightless(node.negative, words))
    if isinstance(node, t.AndMaybe):
        return dataclasses.replace(node, required=_weightless(node.required, words),
                                   optional=_weightless(node.optional, words))
    return node


def _word(node: t.Or) -> Dsl | None:
    """A word the parser searched in every text field (an Or of one Term per
    field, boosted as `fields.TEXT_FIELDS`), as a ``dis_max``; None if
    `node` is something else."""
    terms = node.children
    if not all(isinstance(c, t.Term) for c in terms) or len({c.text for c in terms}) != 1 \
            or sorted(c.field for c in terms) != sorted(TEXT_FIELDS):
        return None
    # The user's own ^boost and a function word's 0 are kept: each term's
    # boost relative to the parser's field boost.
    queries = [_term(dataclasses.replace(
        c, boost=c.boost / PARSER_BOOSTS[c.field] * WORD_FIELD_WEIGHTS[c.field])) for c in terms]
    return {"dis_max": _boosted({"queries": queries, "tie_breaker": WORD_TIE_BREAKER}, node.boost)}


def _or(node: t.Or) -> Dsl:
    word = _word(node)
    if word is not None:
        return word
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
