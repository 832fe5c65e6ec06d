""""Did you mean": corrections for query words the index has never seen.

The index holds stems (``missil``), not words, so a correction is found in two
steps: the nearest stem in the index vocabulary by edit distance (the most
common one wins), then the word it came from, read back from an article that
contains it (``missil`` → ``missile``).
"""

from __future__ import annotations

from whoosh import query as wq

from .analysis import WORD, NewsAnalyzer, analyze
from .query import MAX_FUZZY_CHARS, unnegated_leaves

#: Fields whose vocabulary corrections come from.
VOCABULARY_FIELDS = ("title", "body")
#: How much of an article to read when turning a stem back into a word.
SURFACE_SCAN_CHARS = 50_000
#: Longer "words" get no correction: the edit distance to every index term
#: costs their length squared (a 20,000-letter word took 7 s). The same
#: bound as fuzzy query words, for the same reason.
LONGEST_WORD = MAX_FUZZY_CHARS

_ANALYZER = NewsAnalyzer()


def suggest(searcher, text: str, query: wq.Query) -> str | None:
    """The query text with unknown words replaced by their nearest known
    words, or None if every word is known (or nothing close exists)."""
    reader = searcher.reader()
    replacements: dict[str, str] = {}
    for term in _plain_terms(query):
        if term in replacements or _frequency(reader, term):
            continue
        nearest = _nearest(reader, term)
        if nearest:
            replacements[term] = _surface(searcher, nearest) or nearest
    if not replacements:
        return None
    return _rewrite(text, replacements)


def _plain_terms(query: wq.Query):
    """Terms of the query's plain words and phrases (not wildcards, not
    negated parts: a typo in an exclusion excludes nothing anyway)."""
    for leaf in unnegated_leaves(query):
        if isinstance(leaf, wq.Term) and leaf.fieldname in VOCABULARY_FIELDS:
            yield leaf.text
        elif isinstance(leaf, wq.Phrase) and leaf.fieldname in VOCABULARY_FIELDS:
            yield from leaf.words


def _frequency(reader, term: str) -> int:
    return sum(reader.doc_frequency(field, term) for field in VOCABULARY_FIELDS)


def _nearest(reader, term: str) -> str | None:
    """The most frequent index term within 1 (then 2) edits, same first letter."""
    if not term.isalpha() or not 3 <= len(term) <= LONGEST_WORD:
        return None
    for distance in (1, 2) if len(term) > 4 else (1,):
        candidates = {c.decode("utf-8") if isinstance(c, bytes) else c
                      for field in VOCABULARY_FIELDS
                      for c in reader.terms_within(field, term, distance, prefix=1)}
        candidates.discard(term)
        if candidates:
            return max(sorted(candidates), key=lambda c: _frequency(reader, c))
    return None


def _surface(searcher, stem: str) -> str | None:
    """A word as written in an article that the analyzer turns into `stem`."""
    for field in VOCABULARY_FIELDS:
        docnum = searcher.document_number(**{field: stem})
        if docnum is None:
            continue
        text = searcher.stored_fields(docnum).get(field, "")[:SURFACE_SCAN_CHARS]
        for token in _ANALYZER(text, keeporiginal=True, mode="query"):
            if token.text == stem:
                return token.original.lower()
    return None


def _rewrite(text: str, replacements: dict[str, str]) -> str:
    """Replace the words of `text` whose single term has a correction."""
    def fix(match) -> str:
        word = match.group(0)
        terms = analyze(word)
        if len(terms) != 1 or terms[0] not in replacements:
            return word
        correction = replacements[terms[0]]
        return correction.capitalize() if word[:1].isupper() else correction
    return WORD.sub(fix, text)
