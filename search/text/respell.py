"""A query's text with misspelt words put right, as "did you mean" offers
it on either engine (`search.engine.whoosh.querying.suggest`,
`search.engine.opensearch.suggest`): each word whose one term no article
holds is replaced by its correction, capitalised as typed; everything
else (operators, quotes, fields, spacing) stays as the user wrote it."""

from __future__ import annotations

from typing import Callable, Collection

from .analysis import WORD, analyze, fold


def respell(text: str, unknown: Collection[str],
            nearest: Callable[[str], str | None]) -> str | None:
    """`text` with each word whose term is in `unknown` replaced by
    `nearest(folded word)` (asked once a word), or None if nothing changed."""
    corrections: dict[str, str | None] = {}

    def fix(match) -> str:
        word = match.group(0)
        terms = analyze(word)
        if len(terms) != 1 or terms[0] not in unknown:
            return word
        folded = fold(word)
        if folded not in corrections:
            corrections[folded] = nearest(folded)
        correction = corrections[folded]
        if not correction:
            return word
        return correction.capitalize() if word[:1].isupper() else correction

    corrected = WORD.sub(fix, text)
    return corrected if corrected != text else None


#: Words of this many letters or fewer are corrected by one edit at most,
#: longer ones by two.
SHORT_WORD = 4


def edits_for(word: str) -> int:
    """How many edits away a correction of `word` may be."""
    return 1 if len(word) <= SHORT_WORD else 2


def best(word: str, frequency: dict[str, int]) -> str | None:
    """The best of the candidates (→ how many articles have each) for a
    folded `word`: fewest edits, a swap of two letters counting one
    (``pirces`` → ``prices``, where ``pieces`` is two plain edits), computed
    by rapidfuzz; then most articles (``cofee`` → ``coffee``, not the more
    frequent but farther ``comes``); then alphabetical. A candidate more
    than `edits_for(word)` plain (Levenshtein) edits away is none: Whoosh's
    automaton never lists one, Lucene's (a swap one edit) does."""
    from rapidfuzz.distance import OSA, Levenshtein  # (only when a word is unknown)

    edits = edits_for(word)
    ranked = sorted((OSA.distance(word, c), -count, c) for c, count in frequency.items()
                    if c != word and Levenshtein.distance(word, c) <= edits)
    return ranked[0][2] if ranked and ranked[0][0] <= edits else None
