""""Did you mean": corrections for query words the index has never seen.

Corrections are real words, taken from the unstemmed sibling fields
(``schema.WORD_FIELDS``: words as written, folded), so they read as words
(``coffee``, not the stem ``coffe``). For an unknown word:

1. Candidates: the index words within two edits that share its first
   letter, found by Whoosh's Levenshtein automaton over the term dictionary
   (through `patterns.expand`, like any fuzzy word).
2. Ranking: by Damerau (optimal string alignment) distance, in which a
   swap of two letters is one edit (``pirces`` → ``prices``; in plain
   Levenshtein it is two, and ``pieces`` won), computed by rapidfuzz; then
   by how many articles have the word (``cofee`` → ``coffee``, not the more
   frequent but farther ``comes``).

The searcher offers the corrected query only if it finds more articles
than the one typed.
"""

from __future__ import annotations

from whoosh import query as wq

from ....fields import WORD_FIELDS
from ....query import tree as t
from ....text.respell import best, edits_for, respell
from .patterns import expand

#: Stemmed fields whose terms tell whether a query word is known.
VOCABULARY_FIELDS = tuple(WORD_FIELDS)
#: Unstemmed fields the corrections come from.
WORDS = tuple(WORD_FIELDS.values())
#: Longer "words" get no correction: the edit distance to every index term
#: costs their length squared (a 20,000-letter word took 7 s). The same
#: bound as fuzzy query words, for the same reason.
LONGEST_WORD = t.MAX_FUZZY_CHARS


def suggest(searcher, text: str, query: t.Node) -> str | None:
    """The query text with unknown words replaced by their nearest known
    words, or None if every word is known (or nothing close exists)."""
    reader = searcher.reader()
    unknown = {term for term in t.plain_terms(query, VOCABULARY_FIELDS)
               if not _frequency(reader, term)}
    if not unknown:
        return None
    return respell(text, unknown, lambda word: nearest_word(reader, word))


def _frequency(reader, term: str, fields: tuple[str, ...] = VOCABULARY_FIELDS) -> int:
    return sum(reader.doc_frequency(field, term) for field in fields)


def nearest_word(reader, word: str) -> str | None:
    """The best real word for a folded, unknown `word` (`respell.best`:
    fewest edits, a swap counting one, then most articles, then
    alphabetical); None if no index word is that close."""
    if not word.isalpha() or not 3 <= len(word) <= LONGEST_WORD:
        return None
    fuzzy = [wq.FuzzyTerm(field, word, maxdist=edits_for(word), prefixlength=1)
             for field in WORDS]
    candidates = {found for query in fuzzy for found in expand(query, reader)}
    return best(word, {c: _frequency(reader, c, WORDS) for c in candidates})
