"""Snippets for OpenSearch hits made as the embedded engine makes them: the
passages and highlights of `search.query.snippets`, from the article text in
``_source`` and what the query tree asks for.

OpenSearch's highlighter picks and cuts passages its own way (by its scores,
at its sentence breaks), so the same hit showed other sentences on the two
engines (the seed's ``Patriot Idlib``: "Turkish Defence Minister Akar said …
Syria's Idlib" first on the embedded engine, "Speaking in an interview …" on
OpenSearch). Running our snippet code on both makes the snippet a function of
the article and the query alone, and spares the cluster the highlighting.

What is highlighted, per text field, as `query.searcher.highlight_matchers`
reads a Whoosh query: the terms and exact phrases of the parts not negated
(a sloppy phrase lights up its words), and for a pattern the words of this
article it matches as written — the embedded engine lists the index's words
a pattern matched; the ones in this article are the same.
"""

from __future__ import annotations

import re
from typing import Iterator

from ...query import tree as t
from ...query.snippets import Matcher
from ...text.analysis import NewsAnalyzer
from .dsl import TEXT_FIELDS

_WORDS = NewsAnalyzer(stemming=False)


def matchers(node: t.Node) -> dict[str, "Plan"]:
    """What to highlight in each text field for the query `node`."""
    plans = {name: Plan() for name in TEXT_FIELDS}
    for leaf in unnegated_leaves(node):
        plan = plans.get(getattr(leaf, "field", None))
        if plan is None:
            continue
        if isinstance(leaf, t.Term):
            plan.terms.add(leaf.text)
        elif isinstance(leaf, t.Phrase):
            if leaf.slop <= 1 and len(leaf.words) > 1:
                plan.phrases.add(leaf.words)
            else:
                plan.terms.update(leaf.words)
        elif isinstance(leaf, t.PATTERNS):
            plan.patterns.append(leaf)
    return plans


class Plan:
    """One field's terms and phrases, and patterns to match against a text."""

    def __init__(self):
        self.terms: set[str] = set()
        self.phrases: set[tuple[str, ...]] = set()
        self.patterns: list = []

    def matcher(self, text: str) -> Matcher:
        words = frozenset(w for w in _words_of(text) if any(matches(p, w) for p in self.patterns)) \
            if self.patterns else frozenset()
        return Matcher(frozenset(self.terms), tuple(sorted(self.phrases)), words)


def unnegated_leaves(node: t.Node) -> Iterator[t.Node]:
    """The leaves of `node` outside any NOT (``Patriot -Idlib`` lights up Patriot only)."""
    if isinstance(node, t.Not):
        return
    if isinstance(node, t.AndNot):
        yield from unnegated_leaves(node.positive)
        return
    children = t.children(node)
    if not children:
        yield node
    for child in children:
        yield from unnegated_leaves(child)


def _words_of(text: str) -> set[str]:
    # (the analysis find_matches reads words as written with)
    return {word for word, _, _ in _WORDS.query_spans(text)}


def matches(pattern, word: str) -> bool:
    """Whether a word as written (folded) is one `pattern` stands for."""
    if isinstance(pattern, t.Prefix):
        return word.startswith(pattern.text)
    if isinstance(pattern, t.Wildcard):
        return _wildcard(pattern.pattern).fullmatch(word) is not None
    # Fuzzy: Levenshtein without transpositions, as Whoosh counts edits (dsl._fuzzy).
    from rapidfuzz.distance import Levenshtein

    keep = pattern.prefixlength
    return word[:keep] == pattern.text[:keep] and \
        Levenshtein.distance(word, pattern.text, score_cutoff=pattern.maxdist) <= pattern.maxdist


def _wildcard(pattern: str) -> re.Pattern:
    # * any run of characters, ? one character, everything else itself
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts))
