"""Punctuation of natural language that the query syntax would misread.

People type questions and prose into the search box ("why are oil prices
rising?", "centres of research - if any - in Europe"). Whoosh's syntax reads
the question mark as a one-letter wildcard (``rising?`` then matches no
word: a question lost its last word) and a dash between spaces as a NOT on
the next word. Both are read here as the punctuation they are, before the
syntax is parsed. Each is replaced by a space, so columns in error messages
stay those of the text typed. ``m?nister``, ``colo*r?`` and ``-blair`` keep
their meaning: only a question mark that *ends* a plain word, and a dash
that stands alone, are touched.
"""

from __future__ import annotations

import re

#: A chunk of text between spaces (each is looked at once: linear time).
_CHUNK = re.compile(r"\S+")
#: Closing punctuation that may follow a question mark.
_CLOSERS = ")]}\"',.;:!"
#: A dash (or several) with a space or the end on both sides.
_LONE_DASH = re.compile(r"(?<!\S)[-\u2013\u2014]+(?=\s|$)")


def as_punctuation(text: str) -> str:
    """`text` with question marks that end a word and lone dashes blanked."""
    text = _CHUNK.sub(_question_marks, text)
    return _LONE_DASH.sub(lambda m: " " * len(m.group(0)), text)


def _question_marks(m: re.Match) -> str:
    """A chunk (``rising?``, ``(why?)``) with the question marks after its
    word blanked, if the word has no wildcard of its own (``colo*r?``)."""
    chunk = m.group(0)
    core = chunk.rstrip(_CLOSERS)
    word = core.rstrip("?")
    if word == core or not word or not word[-1].isalnum() or "?" in word or "*" in word:
        return chunk
    return word + " " * (len(core) - len(word)) + chunk[len(core):]
