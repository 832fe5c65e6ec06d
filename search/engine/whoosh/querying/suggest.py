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
from ....text.analysis import WORD, analyze, fold
from .patterns import expand

#: Stemmed fields whose terms tell whether a query word is known.
VOCABULARY_FIELDS = tuple(WORD_FIELDS)
#: Unstemmed fields the corrections come from.
WORDS = tuple(WORD_FIELDS.values())
#: Longer "words" get no correction: the edit distance to every index term
#: costs their length squared (a 20,000-letter word took 7 s). The same
#: bound as fuzzy query words, for the same reason.
LONGEST_WORD = t.MAX_FUZZY_CHARS
#: Words of this many letters or fewer are corrected by one edit at most.
SHORT_WORD = 4


def suggest(searcher, text: str, query: t.Node) -> str | None:
    """The query text with unknown words replaced by their nearest known
    words, or None if every word is known (or nothing close exists)."""
    reader = searcher.reader()
    unknown = {term for term in _plain_terms(query) if not _frequency(reader, term)}
    if not unknown:
        return None
    corrections: dict[str, str | None] = {}

    def fix(match) -> str:
        word = match.group(0)
        terms = analyze(word)
        if len(terms) != 1 or terms[0] not in unknown:
            return word
        folded = fold(word)
        if folded not in corrections:
            corrections[folded] = nearest_word(reader, folded)
        correction = corrections[folded]
        if not correction:
            return word
        return correction.capitalize() if word[:1].isupper() else correction

    corrected = WORD.sub(fix, text)
    return corrected if corrected != text else None


def _plain_terms(query: t.Node):
    """Terms of the query's plain words and phrases (not wildcards, not
    negated parts: a typo in an exclusion excludes nothing anyway)."""
    for leaf in t.unnegated_leaves(query):
        if isinstance(leaf, t.Term) and leaf.field in VOCABULARY_FIELDS:
            yield leaf.text
        elif isinstance(leaf, t.Phrase) and leaf.field in VOCABULARY_FIELDS:
            yield from leaf.words


def _frequency(reader, term: str, fields: tuple[str, ...] = VOCABULARY_FIELDS) -> int:
    return sum(reader.doc_frequency(field, term) for field in fields)


def nearest_word(reader, word: str) -> str | None:
    """The best real word for a folded, unknown `word`: fewest edits (a swap
    counts one), then most articles, then alphabetical; None if no index
    word is that close."""
    if not word.isalpha() or not 3 <= len(word) <= LONGEST_WORD:
        return None
    from rapidfuzz.distance import OSA  # (imported only when a word is unknown)

    edits = 1 if len(word) <= SHORT_WORD else 2
    candidates = {found for field in WORDS
                  for found in expand(wq.FuzzyTerm(field, word, maxdist=edits, prefixlength=1),
                                      reader)}
    candidates.discard(word)
    ranked = sorted((OSA.distance(word, c), -_frequency(reader, c, WORDS), c)
                    for c in candidates)
    ranked = [r for r in ranked if r[0] <= edits]
    return ranked[0][2] if ranked else None
