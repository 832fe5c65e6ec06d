"""German compound splitting, so that a compound's parts are searchable:
``Kommunalwahlen`` is also indexed as ``kommunal`` and ``wahl``, so
``Wahlen`` finds it.

Modelled on Lucene's DictionaryCompoundWordTokenFilter: a word is split
only into parts that are words of a dictionary, and the compound itself is
kept (the parts are added beside it). The dictionary is wordfreq's German
"small" list (about 39,000 words used at least once per million words of
news, web, subtitles and books; it ships in the wheel). Like Lucene's, it
also splits lexicalised compounds (``Hochzeit``: ``hoch`` + ``zeit``) and
words that merely look like two (``minimalen``: ``mini`` + ``malen``); the
precision measured is in docs/languages.md.

Rules, after Koehn & Knight (2003), "Empirical methods for compound
splitting":

* only words of :data:`MIN_WORD` letters or more are split, into parts of
  at least :data:`MIN_PART` letters;
* a modifier may end in a linking element (Fugenelement: ``-s-`` in
  ``Sicherheit-s-lücke``, ``-es-`` in ``Bund-es-regierung``);
* no part is a function word (``unter`` + ``nehmen``: no) and no head a
  derivational suffix (``heit``, ``schaft``);
* of all the ways to split a word, the one whose parts have the highest
  geometric mean of frequency wins; splitting goes on inside the parts
  (``Bundestagswahlkampf`` → ``bundestag``, ``wahlkampf``, ``wahl``,
  ``kampf``).
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Shorter words are never split.
MIN_WORD = 8
#: A part has at least this many letters (``Ost``, ``Amt`` are not split
#: off: three-letter parts matched inside far too many unrelated words).
MIN_PART = 4
#: Linking elements a modifier may end in, longest first.
LINKS = ("ens", "es", "en", "er", "s", "n", "e")
#: Parts of a split at most this deep (a long word is not atomised).
MAX_DEPTH = 3
#: Derivational suffixes that are also in the word list: never a head
#: (``Sicherheit`` is not ``sich`` + ``heit``).
SUFFIXES = frozenset({"heit", "keit", "schaft", "schaften", "ungen", "lich", "isch",
                      "chen", "lein", "nisse", "tums", "heiten", "keiten",
                      # -in of the feminine (Reporterin is not report + erin),
                      # adjective endings (freiheitlichen, vielfältigsten)
                      "erin", "erinnen", "lichen", "liche", "licher", "liches", "lichem",
                      "ische", "ischen", "ischer", "isches", "sten", "igen",
                      # -bar, -haft (vergleichbare, dauerhaft)
                      "bare", "baren", "barer", "bares", "barem",
                      "haft", "hafte", "haften", "hafter", "haftes"})


@lru_cache(maxsize=1)
def dictionary() -> dict[str, float]:
    """German word → frequency (per word of text), lower-cased as wordfreq
    keeps them (``ß`` folded to ``ss``)."""
    import wordfreq  # imported on first use (0.3 s): paid only for German text

    # The list comes in buckets of equal frequency: bucket i holds the words
    # of frequency 10^(-i/100) (centibels, as get_frequency_list documents).
    # (Asking word_frequency for each bucket's frequency doubled the load.)
    return {word: 10 ** (-index / 100)
            for index, bucket in enumerate(wordfreq.get_frequency_list("de", wordlist="small"))
            for word in bucket if word.isalpha()}


@lru_cache(maxsize=100_000)
def split(word: str) -> tuple[str, ...]:
    """The parts of a lower-cased German compound, every level of the split
    (``bundestagswahlkampf`` → ``('bundestag', 'wahlkampf', 'wahl',
    'kampf')``, modifiers without their linking element); () for a word
    that is not split."""
    best = _best_split(word.casefold(), MAX_DEPTH)
    return best[1] if best else ()


def _best_split(word: str, depth: int) -> tuple[float, tuple[str, ...]] | None:
    """(score, parts) of the best split of `word`, or None."""
    if depth == 0 or len(word) < MIN_WORD:
        return None
    words = dictionary()
    best = None
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        head = word[cut:]
        head_freq = words.get(head)
        if head_freq is None or head in SUFFIXES or head in _stop_words():
            continue
        for modifier in _modifiers(word[:cut], words):
            score = math.sqrt(words[modifier] * head_freq)
            if best is None or score > best[0]:
                best = (score, (modifier, head))
    if best is None:
        return None
    parts = list(best[1])
    for part in best[1]:
        inner = _best_split(part, depth - 1)
        if inner:
            parts.extend(p for p in inner[1] if p not in parts)
    return best[0], tuple(parts)


def _modifiers(prefix: str, words: dict[str, float]) -> list[str]:
    """The dictionary words `prefix` can be: itself, or itself without a
    linking element."""
    stops = _stop_words()
    candidates = [prefix] + [prefix[:-len(link)] for link in LINKS
                             if prefix.endswith(link) and len(prefix) - len(link) >= MIN_PART]
    return [word for word in candidates if word in words and word not in stops]


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """German function words (Snowball's list, as Whoosh ships it: see
    `stopwords`), folded as the dictionary is."""
    from .stopwords import stop_words

    return frozenset(word.casefold() for word in stop_words("de"))
