"""One ranking for every query: a word searched in every text field is scored
once, as a true BM25F term.

The query parser (and its plain-words fast path) expand a bare word into one
``Term`` per text field with the fields' boosts: ``oil`` becomes
``title:oil^2.5 OR body:oil``. Scored like that, each field saturates the
word's frequency on its own and the scores add up, so a headline match earns a
second full BM25 score (see :mod:`search.engine.whoosh.querying.ranking`). :func:`for_ranking`
replaces each such group by one :class:`ranking.BM25FTerm` (keeping the
user's boost, ``oil^2``), gives a word said more than once its query
frequency, and gives function words (``what are the …``) no weight, unless
the query has nothing else. A phrase in every field becomes one
:class:`ranking.BM25FPhrase`; in an OR, a compound typed as one word
(``non-linear``, which the parser makes a phrase) is any of its words, as
Elasticsearch and Meilisearch read it (in quotes it stays a phrase); letters
with dots (``U.S.``, ``e.g.``), which nearly every story has, count there
like function words.
Everything else (``title:oil``, patterns, ranges, negations) is left as
parsed.

A BM25FTerm matches exactly the articles its field terms match. Function
words are left out of an OR that has other words (``--any "why are oil
prices rising"`` lists articles with oil, prices or rising, not every article
with "are"); elsewhere (all words required) they still match, without
weight. The searcher counts and facets what this query matches, and
highlights what the parsed one names. The same function ranks ``newssearch
query`` and ``newssearch eval``, so the figure ``eval`` prints is what users
get (``query --any`` gives the order of ``eval``'s run).
"""

from __future__ import annotations

from collections import Counter

from whoosh import query as wq

from ....fields import TEXT_FIELDS
from ....query import tree as t
from ....query.tree import MAX_QUERY_CHARS
from ....text.query_words import QueryWords
from .ranking import BM25FPhrase, BM25FTerm

#: Boosts that differ by less than this are the same (they are products of floats).
_TOLERANCE = 1e-9


def for_ranking(q: wq.Query, text: str, *, query_frequency: bool = True,
                drop_function_words: bool = True, compounds_as_words: bool = True) -> wq.Query:
    """`q` (parsed from `text`) with each word's per-field terms turned into
    one BM25F term. The options exist to measure each choice
    (bench/bench_ranking.py); the search path uses the defaults."""
    words = QueryWords.of(text[:MAX_QUERY_CHARS])  # as much as the parser reads
    if not compounds_as_words:  # every phrase as if quoted
        words = QueryWords(words.counts, words.function_words, frozenset(_all_phrases(q)))
    if not query_frequency:
        words = QueryWords(Counter(), words.function_words, words.quoted)
    ranked = _rewrite(q, words)
    if not drop_function_words:
        return ranked
    terms = [leaf for leaf in ranked.leaves() if isinstance(leaf, BM25FTerm)]
    if all(t.text in words.function_words for t in terms) and len(terms) == len(
            list(ranked.leaves())):
        return ranked  # "The Who": nothing but function words, all of them count
    return _without_function_words(ranked, words.function_words)


def for_plain_words(tree: t.Node, text: str) -> wq.Query | None:
    """for_ranking(to_whoosh(tree), text) of the parser's plain-words tree
    (see `tree.plain_words`), built directly: no Whoosh tree to build and
    then rewrite node by node, which was half of a two-word search's query
    building. None for any other tree. (tests/test_ranking_query.py
    compares this with for_ranking.)"""
    terms = t.plain_words(tree, TEXT_FIELDS)
    if terms is None:
        return None
    words = QueryWords.of(text[:MAX_QUERY_CHARS])
    function = words.function_words if not all(w in words.function_words for w in terms) \
        else frozenset()  # (nothing but function words: all of them count)
    ranked = [BM25FTerm(w, qf=max(words.counts.get(w, 1), 1), boost=0.0 if w in function else 1.0)
              for w in terms]
    return ranked[0] if len(ranked) == 1 else wq.And(ranked)


def _all_phrases(q: wq.Query):
    return (tuple(leaf.words) for leaf in q.leaves() if isinstance(leaf, wq.Phrase))


def _rewrite(node: wq.Query, words: QueryWords) -> wq.Query:
    group = _field_group(node)
    if group is not None:
        return _scored(*group, words)
    if node.is_leaf():
        return node
    node = node.apply(lambda child: _rewrite(child, words))
    if isinstance(node, wq.Or) and not node.scale:
        node = _group_or(node, words)
    return node


def _key(leaf: wq.Query) -> tuple | None:
    """What a per-field leaf searches, whatever the field: a word or a phrase."""
    if getattr(leaf, "fieldname", None) not in TEXT_FIELDS:
        return None
    if type(leaf) is wq.Term:
        return ("word", leaf.text)
    if type(leaf) is wq.Phrase:
        return ("phrase", tuple(leaf.words), leaf.slop)
    return None


def _field_group(node: wq.Query) -> tuple[tuple, float] | None:
    """(what, boost) if `node` is one word or phrase in every text field
    with the fields' boosts times one factor (the parser's ``oil^2``)."""
    if not isinstance(node, wq.Or) or node.scale or len(node.subqueries) != len(TEXT_FIELDS):
        return None
    found = _in_every_field(node.subqueries)
    return None if found is None else (found[0], found[1] * node.boost)


def _in_every_field(leaves) -> tuple[tuple, float] | None:
    keys = {_key(leaf) for leaf in leaves}
    if len(keys) != 1 or None in keys:
        return None
    fields = [leaf.fieldname for leaf in leaves]
    if sorted(fields) != sorted(TEXT_FIELDS):
        return None
    factors = [leaf.boost / TEXT_FIELDS[leaf.fieldname] for leaf in leaves]
    if max(factors) - min(factors) > _TOLERANCE * max(factors):
        return None
    return keys.pop(), factors[0]


def _scored(key: tuple, boost: float, words: QueryWords) -> wq.Query:
    if key[0] == "word":
        return BM25FTerm(key[1], qf=max(words.counts.get(key[1], 1), 1), boost=boost)
    return BM25FPhrase(list(key[1]), slop=key[2], boost=boost)


def _group_or(node: wq.Or, words: QueryWords) -> wq.Or:
    """In a flat OR (``--any``: every word's field leaves side by side), each
    word's (or phrase's) field leaves as one BM25F query, where the first
    of them was."""
    groups: dict[tuple, list[wq.Query]] = {}
    for child in node.subqueries:
        key = _key(child)
        if key is not None:
            groups.setdefault(key, []).append(child)
    out, placed = [], set()
    for child in node.subqueries:
        key = _key(child)
        found = _in_every_field(groups[key]) if key is not None else None
        if found is None:
            out.append(child)
        elif key not in placed:
            placed.add(key)
            scored = _scored(*found, words)
            if isinstance(scored, BM25FPhrase) and _compound(scored.words, words):
                # A compound typed as one word (non-linear): its words, any of them.
                out.extend(_scored(("word", w), found[1], words) for w in scored.words
                           if ("word", w) not in groups)
            elif isinstance(scored, BM25FPhrase) and _abbreviation(scored.words, words):
                # U.S., e.g.: as little said about the topic as a function word.
                out.append(BM25FPhrase(scored.words, slop=scored.slop, boost=0.0))
            else:
                out.append(scored)
    return wq.Or(_unique(out), boost=node.boost, minmatch=node.minmatch, scale=node.scale)


def _compound(parts: list[str], words: QueryWords) -> bool:
    """True for a phrase typed as one word of words (non-linear), not in
    quotes and not letters with dots (U.S., e.g.: single letters would
    match nearly everything; as a phrase they find the abbreviation)."""
    return tuple(parts) not in words.quoted and any(len(p) > 1 for p in parts)


def _abbreviation(parts: list[str], words: QueryWords) -> bool:
    """True for letters with dots (U.S., e.g.) not in quotes."""
    return tuple(parts) not in words.quoted and all(len(p) == 1 for p in parts)


def _unique(queries: list[wq.Query]) -> list[wq.Query]:
    return list(dict.fromkeys(queries))


def _without_function_words(node: wq.Query, function_words: frozenset[str]) -> wq.Query:
    """Function words weightless; and left out of an OR that has other
    parts (where they would only add articles that have nothing else)."""
    if isinstance(node, BM25FTerm):
        return BM25FTerm(node.text, qf=node.qf, boost=0.0) if node.text in function_words \
            else node
    if node.is_leaf():
        return node
    node = node.apply(lambda child: _without_function_words(child, function_words))
    if isinstance(node, wq.Or):
        kept = [c for c in node.subqueries
                if not (isinstance(c, (BM25FTerm, BM25FPhrase)) and c.boost == 0)]
        if kept and len(kept) < len(node.subqueries):
            return wq.Or(kept, boost=node.boost, minmatch=node.minmatch, scale=node.scale)
    return node
