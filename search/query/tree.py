"""The engine-neutral query tree: what a query asks for, before any engine
reads it.

The query language (`parser`) produces these trees, and every rewrite
after it reads them: small frozen dataclasses, one per kind of node our
parser's output holds, that each engine translates (``engine/whoosh/
translate.py`` to and from Whoosh queries, ``engine/opensearch/dsl.py`` to
OpenSearch's Query DSL). See docs/query-tree.md.

Conventions every engine follows:

* Words are *analysed* already: ``Term("body", "price")`` holds the stem the
  index holds, not the word typed. Translators never analyse again.
* Patterns (``Prefix``, ``Wildcard``, ``Fuzzy``) on a full-text field
  (``title``, ``body``) match its words **as written** (folded, unstemmed):
  the engine's unstemmed sibling field (Whoosh ``title_words``, OpenSearch
  ``title.words``). On a keyword field they match its values.
* ``boost`` multiplies a node's score; 1.0 leaves it alone.
* Dates are naive UTC datetimes.

Nothing here imports Whoosh (tests/test_query_tree.py checks it in a fresh
interpreter): the tree is what a second engine is written against.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Iterator, Union


#: Limits of the query language, kept by every tree the parser makes (so an
#: engine never runs a worse one): fuzzy words of at most MAX_FUZZY_EDITS
#: edits (an automaton's size explodes with the distance: ``idlib~99`` ran
#: for minutes) and MAX_FUZZY_CHARS letters (each index word is compared
#: letter by letter); phrase slops of at most MAX_PHRASE_SLOP (a huge slop
#: makes every article with the words a candidate); and at most
#: MAX_QUERY_CHARS characters of the text read (the parser slows down with
#: the square of the words).
MAX_FUZZY_EDITS = 2
MAX_FUZZY_CHARS = 40
MAX_PHRASE_SLOP = 50
MAX_QUERY_CHARS = 4000


class UnsupportedQuery(ValueError):
    """A query (or node) a translator has no rendering for. Raised rather
    than dropping the part: a silently wider or narrower search is worse."""


# --- leaves -------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One analysed term in one field (``title:opec``, a keyword value)."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Analysed words in order. ``slop`` is the most positions one word may
    be from the previous one: 1 is adjacent (``"oil prices"``), 2 allows one
    word between (``"oil prices"~2``)."""

    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    """Words starting with ``text`` (``minist*``); see the module notes on
    which words a pattern sees."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Wildcard:
    """Words matching ``pattern``: ``?`` one character, ``*`` any run."""

    field: str
    pattern: str
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy:
    """Words within ``maxdist`` edits (Levenshtein: insert, delete,
    substitute) of ``text`` whose first ``prefixlength`` letters are
    ``text``'s (``goverment~1``)."""

    field: str
    text: str
    maxdist: int = 1
    prefixlength: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class Range:
    """Terms of ``field`` between ``start`` and ``end`` in term order
    (``title:[a TO c]``); None is open-ended."""

    field: str
    start: str | None
    end: str | None
    start_inclusive: bool = True
    end_inclusive: bool = True
    boost: float = 1.0


@dataclass(frozen=True)
class DateRange:
    """Articles published between ``start`` and ``end`` (naive UTC; None is
    open-ended). Both open: every article that has a date."""

    start: datetime | None
    end: datetime | None
    inclusive: bool = True
    boost: float = 1.0


@dataclass(frozen=True)
class KeywordFilter:
    """Any of ``values`` in a keyword field (``--source AFP --source
    Reuters``). The values are folded as the index folds keywords
    (``text.analysis.normalize_keyword``) by whoever builds the node."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class MatchAll:
    """Every article (an empty query, ``*``)."""

    boost: float = 1.0


@dataclass(frozen=True)
class Exists:
    """Every article with a value in ``field`` (``source:*``)."""

    field: str
    boost: float = 1.0


@dataclass(frozen=True)
class NullQuery:
    """No article (a query left with nothing readable in it)."""


# --- compounds ----------------------------------------------------------------

@dataclass(frozen=True)
class And:
    """Articles matching every child; the scores add up."""

    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    """Articles matching any child; the matching children's scores add up."""

    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Not:
    """Every article not matching ``child`` (``NOT blair``, ``-blair``)."""

    child: Node
    boost: float = 1.0


@dataclass(frozen=True)
class AndNot:
    """Articles matching ``positive`` and not ``negative`` (``+oil -gas``);
    scored by ``positive`` alone."""

    positive: Node
    negative: Node


@dataclass(frozen=True)
class AndMaybe:
    """Articles matching ``required``; those also matching ``optional``
    score higher (``+Idlib Turkey``)."""

    required: Node
    optional: Node


Leaf = Union[Term, Phrase, Prefix, Wildcard, Fuzzy, Range, DateRange, KeywordFilter,
             MatchAll, Exists, NullQuery]
Node = Union[Leaf, And, Or, Not, AndNot, AndMaybe]
_COMPOUNDS = (And, Or, Not, AndNot, AndMaybe)
#: Leaves that match words by spelling (see the module notes).
PATTERNS = (Prefix, Wildcard, Fuzzy)


def children(node: Node) -> tuple[Node, ...]:
    """A node's direct sub-nodes, in order (none for a leaf)."""
    if isinstance(node, (And, Or)):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    if isinstance(node, AndNot):
        return (node.positive, node.negative)
    if isinstance(node, AndMaybe):
        return (node.required, node.optional)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """`node` and everything under it, depth first."""
    yield node
    for child in children(node):
        yield from walk(child)


def is_leaf(node: Node) -> bool:
    """Whether `node` is a leaf (a compound with no children is not)."""
    return not isinstance(node, _COMPOUNDS)


def with_children(node: Node, kids: list[Node] | tuple[Node, ...]) -> Node:
    """`node` with its direct sub-nodes replaced by `kids` (in `children`'s order)."""
    if isinstance(node, (And, Or)):
        return replace(node, children=tuple(kids))
    if isinstance(node, Not):
        return replace(node, child=kids[0])
    if isinstance(node, AndNot):
        return AndNot(kids[0], kids[1])
    if isinstance(node, AndMaybe):
        return AndMaybe(kids[0], kids[1])
    return node


def rewrite(node: Node, change) -> Node:
    """`node` with `change` applied to every node, children first (so
    `change` sees a compound with its children already changed)."""
    kids = children(node)
    if kids:
        node = with_children(node, [rewrite(kid, change) for kid in kids])
    return change(node)


def loosenable(node: Node) -> bool:
    """May a query finding nothing be asked again with any of its words?
    Only an AND of two or more parts that are not exclusions (perhaps the
    positive side of an AndNot): ``Patriot NOT missile`` has one word to
    look for, and loosened it would find every article without "missile".
    Part of `ParsedQuery.relaxable`, which both engines read; the same
    shapes `engine.whoosh.querying.relax` loosens on the Whoosh query."""
    if isinstance(node, AndNot):
        return loosenable(node.positive)
    return isinstance(node, And) and sum(not isinstance(k, Not) for k in node.children) >= 2


def unnegated_leaves(node: Node) -> Iterator[Leaf]:
    """The leaves of a tree outside its negated parts: what a hit can be
    said to match (``Patriot -Idlib`` → Patriot)."""
    if isinstance(node, Not):
        return
    if isinstance(node, AndNot):
        yield from unnegated_leaves(node.positive)
        return
    if is_leaf(node):
        yield node
    for kid in children(node):
        yield from unnegated_leaves(kid)


def plain_words(node: Node, fields: dict[str, float]) -> list[str] | None:
    """The terms of the parser's plain-words tree (one word, or an AND of
    words, each a Term in every one of `fields` with its boost: what
    ``oil prices`` parses to), in order; None for any other tree. Engines
    build such a query's forms directly from these."""
    groups = node.children if type(node) is And and node.boost == 1.0 else (node,)
    words: list[str] = []
    for group in groups:
        if type(group) is not Or or group.boost != 1.0 or len(group.children) != len(fields):
            return None
        first = group.children[0]
        if type(first) is not Term:
            return None
        for leaf, (name, boost) in zip(group.children, fields.items()):
            if type(leaf) is not Term or leaf.field != name or leaf.boost != boost \
                    or leaf.text != first.text:
                return None
        words.append(first.text)
    return words


def plain_terms(node: Node, fields: Iterable[str]) -> Iterator[str]:
    """The terms of a tree's plain words and phrases on `fields`, outside
    its negated parts (what "did you mean" checks on either engine: a typo
    in an exclusion excludes nothing anyway; patterns are not words)."""
    fields = frozenset(fields)
    for leaf in unnegated_leaves(node):
        if isinstance(leaf, Term) and leaf.field in fields:
            yield leaf.text
        elif isinstance(leaf, Phrase) and leaf.field in fields:
            yield from leaf.words
