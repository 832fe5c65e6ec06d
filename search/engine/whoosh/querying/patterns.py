"""Wildcard, prefix and fuzzy words: where they are matched, and the one
place that expands them to index terms.

The full-text fields hold stems (``minist``, ``compani``), so a pattern
typed as a word (``m?nister``, ``*companies``, ``goverment~1``) matched
nothing there. Patterns are matched in each text field's unstemmed sibling
(``schema.WORD_FIELDS``) instead: the words as written, folded. Ranges
(``title:[a TO c]``) stay on the stemmed field.

Everything that lists what a pattern stands for (the expansion limits,
highlighting, suggestions) calls :func:`expand`, so a faster term
dictionary or reader serves them all.
"""

from __future__ import annotations

from typing import Iterator

from whoosh import query as wq

from ....fields import WORD_FIELDS

#: Query types that are patterns over words (not ranges).
PATTERN_TYPES = (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)
#: Unstemmed sibling → the full-text field it mirrors.
TEXT_OF_WORDS = {words: text for text, words in WORD_FIELDS.items()}


def on_words(q: wq.Query) -> wq.Query:
    """`q` with every pattern on a full-text field moved to its unstemmed
    sibling (boost, fuzziness and offsets kept): what `translate.to_whoosh`
    does to a tree's patterns, for a query read by qparser directly
    (tests/test_query_tree.py compares the two)."""
    def move(node: wq.Query) -> wq.Query:
        if isinstance(node, PATTERN_TYPES) and node.fieldname in WORD_FIELDS:
            moved = node.copy()
            moved.fieldname = WORD_FIELDS[node.fieldname]
            return moved
        return node
    return q.accept(move)


def expand(leaf: wq.MultiTerm, reader) -> Iterator[str]:
    """The index terms a pattern or range stands for, in order."""
    for term in leaf._btexts(reader):
        # (Whoosh 2.7.4's FuzzyTerm gives str where the others give bytes.)
        yield term.decode("utf-8") if isinstance(term, bytes) else term


def shown_field(fieldname: str) -> str:
    """The field a user knows a (possibly moved) pattern by: ``body``."""
    return TEXT_OF_WORDS.get(fieldname, fieldname)
