"""Per-language word analysis: which Snowball stemmer a language gets, and
German compound splitting.

`analysis` decides what a word *is* (tokenising, compounds joined by
hyphens, folding); this module decides what a word *becomes* in a given
language. English (and any article whose language is unknown) goes through
`analysis._word_terms` unchanged, so English indexes and rankings are
exactly what they were.

For the other languages PyStemmer has a Snowball stemmer for:

* the word is folded and stemmed, as English words are, so that a query
  typed without accents finds the accented word (the stemmer of a
  non-Latin script sees the unfolded word: see STEM_BEFORE_FOLDING); the
  German stemmer reads ``ae``/``oe``/``ue`` as umlauts (the former
  ``german2`` variant), so ``Praesident`` = ``Präsident`` = ``Prasident``;
* stop words are kept, as in English: phrases stay exact, and a word that
  is a function word in one language and a content word in another
  (``die``, ``gift``, ``arm``) never drops out of a query searching both.
  (Snowball's stop lists, as Whoosh ships them, keep function words from
  being compound parts: see `decompound`.);
* German words are also split into their parts (`decompound`), which are
  added at the word's position beside the whole word at index time:
  ``Kommunalwahlen`` is found by ``Wahlen`` and by ``Kommunalwahlen``.

A word's analysis is (parts, extras): parts as in `analysis._word_terms`
(term, start, end inside the word), one position each; extras are further
terms at the first part's position: the joined form of a hyphenated
compound (a string, as in English) or, here, a tuple of terms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from .analysis import PART_SPLIT, Parts, _word_terms, fold

#: BCP 47 primary code → PyStemmer (Snowball) algorithm.
SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
#: Languages whose stemmer must see the letters unfolded: in Cyrillic and
#: the other non-Latin scripts a diacritic makes another letter (Russian
#: "й" is not "и": folded first, "новый" stemmed to "новы", "новые" to
#: "нов"). Latin-script words are folded first, so that a query typed
#: without accents finds the accented word (French "élysée" stems to
#: "élys", "elysee" to "elyse").
STEM_BEFORE_FOLDING = frozenset({"ar", "hy", "el", "hi", "ne", "fa", "ru", "sr", "ta", "yi"})
#: Languages whose words are also split into their parts.
DECOMPOUNDED = frozenset({"de"})
#: The analysis every article of unknown language gets.
DEFAULT = "en"

WordTerms = Callable[[str], tuple[Parts, "str | tuple[str, ...] | None"]]


@lru_cache(maxsize=1)
def supported() -> frozenset[str]:
    """Codes of the languages analysed in their own right (PyStemmer's)."""
    import Stemmer

    algorithms = set(Stemmer.algorithms())
    return frozenset(code for code, name in SNOWBALL.items() if name in algorithms)


def analysis_language(code: str | None) -> str:
    """The language whose analysis an article of language `code` gets:
    its own if supported, else English (the analysis of old)."""
    return code if code in supported() else DEFAULT


def word_terms(code: str | None) -> WordTerms:
    """word → (parts, extras) for language `code` (see module doc)."""
    language = analysis_language(code)
    if language == DEFAULT:
        return _word_terms
    return _language_terms(language)


@lru_cache(maxsize=None)
def _language_terms(language: str) -> WordTerms:
    """The cached word analysis of one (non-English) language."""
    stemmer = _stemmer(language)
    decompound = language in DECOMPOUNDED
    fold_first = language not in STEM_BEFORE_FOLDING

    def stem(lowered: str) -> str:
        if len(lowered) < 3 or not lowered.isalpha():
            return fold(lowered)
        if fold_first:
            return stemmer.stemWord(fold(lowered))
        return fold(stemmer.stemWord(lowered))

    @lru_cache(maxsize=200_000)
    def terms(word: str):
        parts, lowered_parts = [], []
        cursor = 0
        for raw in PART_SPLIT.split(word):
            start, cursor = cursor, cursor + len(raw) + 1
            lowered = raw.lower()
            if raw:
                lowered_parts.append(lowered)
                parts.append((stem(lowered), start, start + len(raw)))
        extras: tuple[str, ...] = ()
        if len(parts) > 1:
            whole = "".join(lowered_parts)
            if len(whole) <= 40:
                extras = (stem(whole),)
        elif decompound and len(parts) == 1 and len(word) >= 8 and word.isalpha():
            extras = _compound_parts(lowered_parts[0], stem, parts[0][0])
        return tuple(parts), (extras or None)

    return terms


def _compound_parts(lowered: str, stem: Callable[[str], str], whole: str) -> tuple[str, ...]:
    """The stems of a German word's compound parts, without the whole's."""
    from .decompound import split

    found: list[str] = []
    for part in split(lowered):
        term = stem(part)
        if term != whole and term not in found:
            found.append(term)
    return tuple(found)


def _stemmer(language: str):
    import Stemmer

    stemmer = Stemmer.Stemmer(SNOWBALL[language])
    stemmer.maxCacheSize = 50_000
    return stemmer


@lru_cache(maxsize=None)
def stop_terms(code: str | None) -> frozenset[str]:
    """The index terms of a language's function words (Snowball's stop list,
    as Whoosh ships it: see `stopwords`), for leaving them out of "more like
    this" key terms; empty for English (which has its own list) and
    languages without one."""
    language = analysis_language(code)
    if language == DEFAULT:
        return frozenset()
    from .stopwords import stop_words

    terms = word_terms(language)
    listed = "no" if language in ("nb", "nn") else language
    return frozenset(term for word in stop_words(listed)
                     for term, _, _ in terms(word)[0])
