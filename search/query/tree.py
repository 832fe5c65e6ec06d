"""The engine-neutral query tree: what a query asks for, before any engine
reads it.

The query language (`parser`) has produced ``whoosh.query`` trees, so every
rewrite after it, and the searcher, spoke Whoosh. This module is the common
vocabulary instead: small frozen dataclasses, one per kind of node our
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

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, Union


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
