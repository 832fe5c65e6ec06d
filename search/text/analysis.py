"""Text analysis: the one place that decides what a term is.

Both the indexer and the query parser run text through these analyzers, so a
query term and the words it should find always come out the same.

Choices, and why:

* Words are runs of letters and digits joined by ``- / . & '`` inside a word
  (``S-400``, ``YPG/PKK``, ``al-Sham``, ``U.S.``, ``AT&T``). Such a compound is
  indexed as its parts at consecutive positions (``s``, ``400``), so searching
  ``S-400`` is the phrase "s 400" and ``YPG`` alone finds ``YPG/PKK``. At index
  time the joined form (``s400``) is added at the first part's position, so
  ``S400`` finds ``S-400`` too.
* An acronym written with dots is one word: ``U.S.``, ``U.S`` and ``u.s.``
  are ``us``, as ``US`` is (BBC writes US, Reuters U.S.); likewise ``U.K.``,
  ``E.U.``, ``U.S.A.``. (Letters joined by dots only; ``S-400`` is a compound.)
  It takes one position, so ``"U.S. economy"`` finds "US economy" too.
* The English possessive is dropped (``Turkey’s`` = ``Turkey``); any other
  apostrophe joins parts like a hyphen does (``O'Gara``: ``o``, ``gara`` and
  ``ogara``), so ``Gara`` finds it. Case and accents are folded
  (``Élysée`` = ``elysee``).
* Words are stemmed with the Snowball English stemmer (PyStemmer, a C library:
  far faster than a pure-Python Porter). Numbers and codes are not stemmed.
* Stop words are kept, so ``"the end of the war"`` is an exact phrase.

Articles in other languages get their own stemmer (and German its compound
parts): `analysis_lang` decides, by the article's or query's language; what
is here is the English analysis, which every article of unknown language
keeps.

Nothing here knows an engine: the analyzers take a string and yield tokens
(the attributes Whoosh's analyzer protocol reads, in a :class:`Token` of
their own). The Whoosh engine's schema holds subclasses that yield Whoosh's
own tokens and are Whoosh analyzers (`search.engine.whoosh.analyzers`):
those are what an index pickles, so *their* paths are part of the on-disk
format (see docs/storage-format.md).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator

#: A word, possibly a compound of parts joined by - / . & or an apostrophe.
WORD = re.compile(r"[^\W_]+(?:['’\-/.&][^\W_]+)*")
#: Where a compound splits into parts.
PART_SPLIT = re.compile(r"[\-/.&'’]")
#: The English possessive, dropped from the end of a word.
POSSESSIVE = re.compile(r"['’][sS]$")
#: Single letters joined by dots: an acronym (U.S, e.u, U.S.A).
ACRONYM = re.compile(r"[^\W\d_](?:\.[^\W\d_])+\.?")
#: Separates the values of a multi-valued keyword field in one string.
VALUE_SEPARATOR = "\x1f"


def fold(text: str) -> str:
    """Case- and accent-fold: ``Élysée`` → ``elysee``, ``Straße`` → ``strasse``."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer

    stemmer = Stemmer.Stemmer("english")
    stemmer.maxCacheSize = 50_000
    return stemmer


def stem(word: str) -> str:
    """Snowball English stem of a folded word; words with digits are kept."""
    if len(word) < 3 or not word.isalpha():
        return word
    return _stemmer().stemWord(word)


Parts = tuple[tuple[str, int, int], ...]


def _split_word(word: str, stemmer) -> tuple[Parts, str | None]:
    """A word's terms with their offsets inside the word, and the joined
    form of a compound (None for a plain word)."""
    base = POSSESSIVE.sub("", word)  # a prefix of `word`: offsets stay valid
    if ACRONYM.fullmatch(base):  # U.S → us, one term over the whole word
        return ((stemmer(fold(base.replace(".", ""))), 0, len(base)),), None
    parts, folded_parts = [], []
    cursor = 0
    for raw in PART_SPLIT.split(base):
        start, cursor = cursor, cursor + len(raw) + 1
        if raw:
            folded = fold(raw)
            folded_parts.append(folded)
            parts.append((stemmer(folded), start, start + len(raw)))
    joined = None
    if len(parts) > 1:
        whole = "".join(folded_parts)
        joined = stemmer(whole) if len(whole) <= 40 else None
    return tuple(parts), joined


# News vocabulary repeats heavily, so each distinct word is split, folded and
# stemmed once: this cache is most of the analyzer's speed.
@lru_cache(maxsize=200_000)
def _word_terms(word: str) -> tuple[Parts, str | None]:
    if word.isascii() and word.isalnum():
        # Most words: one part, nothing to split or strip, folding is
        # lowercasing. (Each text builder process fills its own cache: this
        # took a third off its first batch's analysis.)
        return ((stem(word.lower()), 0, len(word)),), None
    return _split_word(word, stem)


@lru_cache(maxsize=50_000)
def _word_terms_unstemmed(word: str) -> tuple[Parts, str | None]:
    return _split_word(word, lambda w: w)


class Token:
    """One token, in the shape of Whoosh's analyzer protocol (``text``,
    ``pos``, ``startchar``, ``endchar``, ``boost``, ``stopped``, and
    ``original`` when asked): as there, one object is yielded over and over
    with new values, so a consumer keeps values, not the token."""

    def __init__(self, positions: bool = False, chars: bool = False,
                 removestops: bool = True, mode: str = "", **kwargs):
        self.positions, self.chars = positions, chars
        self.stopped, self.boost = False, 1.0
        self.removestops, self.mode = removestops, mode
        self.__dict__.update(kwargs)

    def copy(self) -> "Token":
        return type(self)(**self.__dict__)


def analyze(text: str, *, index: bool = False) -> list[str]:
    """The terms of `text` as the index sees them (handy for tests and tools)."""
    return [t.text for t in NewsAnalyzer()(text, mode="index" if index else "query")]


class NewsAnalyzer:
    """Tokenise, fold and stem English news text in one pass (see module doc)."""

    #: The class of the tokens __call__ yields (the Whoosh adapter's: Whoosh's).
    token_class = Token

    #: The language words are analysed for when a call names none (None:
    #: English). A class default: analyzers pickled before it had none.
    language: str | None = None

    def __init__(self, stemming: bool = True, language: str | None = None):
        self.stemming = stemming
        if language is not None:
            self.language = language

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.stemming == self.stemming
                and other.language == self.language)

    @property
    def terms_of(self):
        """word → (its terms with offsets in the word, joined form or None)."""
        return _word_terms if self.stemming else _word_terms_unstemmed

    # --- per-language analysis (analysis_lang): a language of None is English ---
    def terms_for(self, language: str | None):
        """terms_of for an article or query in `language` (a BCP 47 code)."""
        language = language if language is not None else self.language
        if language is None or not self.stemming:
            return self.terms_of
        from .analysis_lang import word_terms  # (it imports this module)

        return word_terms(language)

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True,
                 start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", language: str | None = None,
                 **kwargs) -> Iterator[Token]:
        token = self.token_class(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Wildcard and fuzzy patterns (s?rian, *a*, Idlb~1) arrive whole:
            # fold them, but neither split nor stem them.
            yield self._emit(token, fold(value), start_pos, start_char,
                             start_char + len(value), keeporiginal, value)
            return
        terms_of = self.terms_for(language)
        add_joined = mode == "index"
        pos = start_pos
        for match in WORD.finditer(value):
            offset = start_char + match.start()
            parts, joined = terms_of(match.group(0))
            for extra in (extra_terms(joined) if add_joined else ()):
                yield self._emit(token, extra, pos, offset, start_char + match.end(),
                                 keeporiginal, match.group(0))
            for term, start, end in parts:
                yield self._emit(token, term, pos, offset + start, offset + end,
                                 keeporiginal, match.group(0)[start:end])
                pos += 1

    def term_positions(self, value: str, language: str | None = None) -> dict[str, list[int]]:
        """Index-mode terms of `value` and their positions, without building
        Token objects: the indexer's fast path (see postings.CompactPositions).
        Must agree exactly with __call__(value, positions=True, mode="index")."""
        terms_of = self.terms_for(language)
        poses: dict[str, list[int]] = {}
        pos = 0
        for match in WORD.finditer(value):
            parts, joined = terms_of(match.group(0))
            for extra in extra_terms(joined):
                poses.setdefault(extra, []).append(pos)
            for term, _, _ in parts:
                poses.setdefault(term, []).append(pos)
                pos += 1
        return poses

    def query_spans(self, value: str, cues: tuple[str, ...] = (),
                    language: str | None = None,
                    extras: bool = False) -> list[tuple[str, int, int]]:
        """Query-mode terms of `value` with their character spans, without
        Token objects: the snippet finder's fast path. Must agree exactly
        with __call__(value, chars=True, mode="query").

        With `cues` (for ASCII text only), words holding none of them,
        lower-cased, are left out unanalysed: the result then has gaps, so
        it serves single-term matching, not phrases (see snippets._cues).
        With `extras`, a word's further index terms (a German compound's
        parts) follow its own, spanning the whole word, for highlighting."""
        terms_of = self.terms_for(language)
        spans = []
        for match in (_cued_words(value, cues) if cues else WORD.finditer(value)):
            word = match.group(0)
            offset = match.start()
            parts, joined = terms_of(word)
            for term, start, end in parts:
                spans.append((term, offset + start, offset + end))
            if extras and joined and not isinstance(joined, str):
                spans.extend((term, offset, match.end()) for term in joined)
        return spans

    @staticmethod
    def _emit(token: Token, text: str, pos: int, startchar: int, endchar: int,
              keeporiginal: bool, original: str) -> Token:
        token.text = text
        token.boost = 1.0
        token.stopped = False
        if keeporiginal:
            token.original = original
        if token.positions:
            token.pos = pos
        if token.chars:
            token.startchar = startchar
            token.endchar = endchar
        return token


def extra_terms(joined: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """A word's index terms beside its parts: its joined form (a string)
    or, for a German compound, the stems of its parts (a tuple)."""
    if not joined:
        return ()
    return (joined,) if isinstance(joined, str) else joined


class KeywordAnalyzer:
    """Whole values for facet fields (source, section, tags…): each value is one
    folded term, so ``source:"iran press"`` finds "Iran Press". Several values
    arrive joined by :data:`VALUE_SEPARATOR`."""

    token_class = Token

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True,
                 start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs) -> Iterator[Token]:
        token = self.token_class(positions, chars, removestops=removestops, mode=mode, **kwargs)
        offset = 0
        # A query names one value: a separator typed in it is a space (split,
        # `source:"a\x1fb"` was a phrase on a field without positions).
        values = ([value.replace(VALUE_SEPARATOR, " ")] if mode == "query"
                  else value.split(VALUE_SEPARATOR))
        for pos, raw in enumerate(values):
            text = normalize_keyword(raw)
            if text:
                yield NewsAnalyzer._emit(token, text, start_pos + pos, start_char + offset,
                                         start_char + offset + len(raw), keeporiginal, raw)
            offset += len(raw) + 1


def normalize_keyword(value: str) -> str:
    """The indexed form of a facet value: folded, with whitespace collapsed."""
    return " ".join(fold(value).split())


def _cued_words(value: str, cues: tuple[str, ...]) -> Iterator[re.Match]:
    """The WORD matches of `value` that hold a cue, whatever its case:
    found from where the cues occur, without visiting every word of the
    text. A word holds a cue if an occurrence lies wholly inside it; the
    words around an occurrence are those of its stretch between white space
    (a word never spans white space, so a stretch reads the same alone)."""
    spans = cue_spans(value.lower(), cues)  # (ASCII: lower() keeps positions)
    done = 0
    for i, (at, _) in enumerate(spans):
        if at < done:
            continue
        space = _SPACE.search(value, at)
        end = space.start() if space else len(value)
        start = _LAST_SPACE.match(value, done, at)
        for match in WORD.finditer(value, start.end() if start else done, end):
            if holds_cue(spans, i, match.start(), match.end()):
                yield match
        done = end


def holds_cue(spans: list[tuple[int, int]], i: int, start: int, end: int) -> bool:
    """Does a cue occurrence from spans[i] on (`cue_spans`, sorted by
    start; none before i starts at or after `start`) lie wholly within
    [start, end)?"""
    while i < len(spans) and spans[i][0] < end:
        if spans[i][0] >= start and spans[i][1] <= end:
            return True
        i += 1
    return False


def cue_spans(lowered: str, cues: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of any of `cues` in `lowered`, in
    order (str.find: a C scan, several times faster than one regular
    expression of them all)."""
    found = []
    for cue in cues:
        at = lowered.find(cue)
        while at >= 0:
            found.append((at, at + len(cue)))
            at = lowered.find(cue, at + 1)
    found.sort()
    return found


#: White space; and everything up to the last white space before a point.
_SPACE = re.compile(r"\s")
_LAST_SPACE = re.compile(r".*\s", re.DOTALL)
