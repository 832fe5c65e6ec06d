"""Snippets: the passages of an article that show why it matched.

Independent of output format: a :class:`Snippet` is text plus the character
spans to highlight; `render` turns spans into ANSI colour, ``[marks]`` or
``<mark>`` HTML.

* Passages are sentences, scored by how many *distinct* query terms they
  hold (then by how many matches), best first, shown in text order.
* A phrase is highlighted as the phrase where it occurs, and its words are
  not lit up on their own elsewhere: ``"Patriot missile systems"`` marks
  those three words together, not every "missile".
* Matching uses the index's analyzer, so ``missiles`` lights up ``missile``.
* Only as much of the body is analysed as it takes: the scan stops once it
  has enough sentences holding every query term, and never goes past
  :data:`SCAN_CHARS`, so a 50 MB article costs what a short one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from ..results import Snippet, merge_spans
from ..text.analysis import NewsAnalyzer, cue_spans, holds_cue

#: Longest passage shown; a longer sentence is cut around its first match.
PASSAGE_CHARS = 240
#: A passage shorter than this takes in the next sentence too.
MIN_PASSAGE_CHARS = 80
#: A body with no match shows its opening this long.
LEAD_CHARS = 200
#: Never analyse more of a body than this many characters for snippets.
SCAN_CHARS = 100_000

_ANALYZER = NewsAnalyzer()
_WORDS_ANALYZER = NewsAnalyzer(stemming=False)
#: Sentence ends: . ! ? (optionally closed by a quote or bracket) before
#: whitespace, or a paragraph break. The break is what follows the . ! ?
#: (see sentences): matched with it, not after a look-behind, the pattern
#: starts with a character class, which the regex engine scans for fast
#: (2.5x faster over BBC News). One class for both kinds of break, the kind
#: told apart after it: an alternation of the two at the top hides that
#: class from the engine (2.3x slower on Reuters-21578's hits).
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=[.!?])[\"'”’)\]]*\s+|(?<=\n)\s*\n)")


@dataclass(frozen=True)
class Matcher:
    """What to highlight in one field: single terms, phrases (as
    sequences of analysed terms) that count only where they occur whole, and
    words as written, folded but not stemmed (what wildcard, prefix and
    fuzzy words matched: ``m?nister`` lights up "minister", not "ministers")."""

    terms: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    words: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.words)

    def keys(self) -> int:
        return len(self.terms) + len(self.phrases) + len(self.words)


def find_matches(text: str, matcher: Matcher, cues: tuple[str, ...] = (),
                 language: str | None = None) -> list[tuple[int, int, object]]:
    """(start, end, key) of every match in `text`, analysed for its
    `language` (None: English); key is the term or phrase. `cues` (see
    _cues; ASCII text, no phrases) skip words that cannot match."""
    tokens = _ANALYZER.query_spans(text, cues if not matcher.phrases else (), language)
    # --- per-language analysis: a German compound's parts light it up whole ---
    singles = (_ANALYZER.query_spans(text, (), language, extras=True)
               if language is not None and matcher.terms else tokens)
    found = [(start, end, term) for term, start, end in singles if term in matcher.terms]
    if matcher.words:  # (cues hold for words as written too: their first letters)
        found += [(start, end, ("word", word)) for word, start, end
                  in _WORDS_ANALYZER.query_spans(text, cues) if word in matcher.words]
    for phrase in matcher.phrases:
        n = len(phrase)
        for i in range(len(tokens) - n + 1):
            if all(tokens[i + k][0] == phrase[k] for k in range(n)):
                found.append((tokens[i][1], tokens[i + n - 1][2], phrase))
    return sorted(found, key=lambda m: (m[0], m[1]))


def passages(text: str, matcher: Matcher, count: int = 2,
             language: str | None = None) -> list[Snippet]:
    """Up to `count` passages of `text` holding the most query terms, in text
    order, the text analysed for its `language` (None: English). Falls back
    to the opening of the text when nothing matches."""
    language = _own_analysis(language)
    if not text or count < 1:
        return []
    if not matcher:
        return [lead(text)]
    # (Cues hold for English stems only: a German compound's parts are not
    # its prefix.)
    cues = _cues(matcher) if language is None else ()
    scan = text[:SCAN_CHARS]
    if cues and not matcher.phrases and scan.isascii():
        found = _matched_sentences(scan, matcher, cues)
    else:
        found = _analysed_sentences(scan, matcher, cues, language)
    scored = []  # (-distinct, -matches, start, end, matches)
    wanted = matcher.keys()
    complete = 0
    for start, end, matches in found:
        distinct = len({key for _, _, key in matches})
        scored.append((-distinct, -len(matches), start, end, matches))
        complete += distinct == wanted
        if complete >= count:
            break  # enough sentences with every term: stop reading
    if not scored:
        return [lead(text)]
    best = sorted(scored)[:count]
    return [_passage(text, start, end, matches)
            for _, _, start, end, matches in sorted(best, key=lambda s: s[2])]


def _matched_sentences(text: str, matcher: Matcher, cues: tuple[str, ...]):
    """(start, end, matches) of each sentence of an ASCII `text` holding a
    match, in order, matches relative to the sentence: the words of the
    whole text that hold a cue analysed at once (analysing sentence by
    sentence was half of a snippet's time), then dealt to their sentences.
    The same as `_analysed_sentences` gives: a sentence starts and ends at
    white space or a quote, which no word crosses. Single terms only (a
    phrase's words must be read consecutively)."""
    matches = find_matches(text, matcher, cues)
    if not matches:
        return
    i = 0
    for start, end in sentences(text, _paragraph_start(text, matches[0][0])):
        if i == len(matches):
            return  # (no sentence further on holds a match)
        while i < len(matches) and matches[i][0] < start:
            i += 1
        first = i
        while i < len(matches) and matches[i][1] <= end:
            i += 1
        if i > first:
            yield start, end, [(s - start, e - start, key) for s, e, key in matches[first:i]]


def _analysed_sentences(text: str, matcher: Matcher, cues: tuple[str, ...],
                        language: str | None):
    """(start, end, matches) of each sentence of `text` holding a match, in
    order, each sentence analysed on its own (phrases, text that is not
    ASCII); a sentence with no cue in it is skipped unread."""
    # An ASCII text is screened once for all its sentences: where its cues are.
    at = _Cues(text, cues) if cues and text.isascii() else None
    for start, end in sentences(text):
        sentence = text[start:end]
        if at is not None:
            if not at.within(start, end):
                continue  # cannot hold a match: not worth analysing
            screened = cues
        else:
            screened = cues if sentence.isascii() else ()
            if screened and not any(c in sentence.lower() for c in screened):
                continue
        matches = find_matches(sentence, matcher, screened, language)
        if matches:
            yield start, end, matches


@lru_cache(maxsize=256)
def _cues(matcher: Matcher) -> tuple[str, ...]:
    """Cues for a cheap first test of an ASCII sentence: it holds a match
    only if one of them occurs in it, lower-cased. Analysing every sentence
    was a third of a search's time. A stem of four letters or more is its
    word's opening but for its last letter at most (Snowball changes
    endings: "happy" → "happi", "hoping" → "hope"; checked on the 63,719
    words of BBC, Reuters, CISI and Cranfield), so it cues with all but that
    letter: the longer the cue, the fewer words it lets through for
    nothing (three letters let through twice as many). A stem of three keeps two
    ("cuts" → "cut"): Snowball turns a "y" into "i" only after a letter
    that is not the word's first, but for its exceptions "dying", "lying",
    "tying" (→ "die"…), so a stem with "i" second gives only its first
    letter, as shorter ones do. Empty (no screening) for terms that are not
    plain ASCII words. A sentence with other characters is always analysed:
    folding "Élysée" to "elysee" would have to come first."""
    words = set(matcher.terms).union(matcher.words, *matcher.phrases)
    if not all(word.isascii() and word.isalpha() for word in words):
        return ()
    # An acronym written with dots ("U.S.S.R." → ussr) holds none of its
    # term's letters in a row: its first two letters and the dot between cue it.
    return tuple({_cue(word) for word in words}
                 | {f"{word[0]}.{word[1]}" for word in words if len(word) > 1})


def _cue(stem: str) -> str:
    if len(stem) >= 4:
        return stem[:-1]
    if len(stem) == 3 and stem[1] != "i":
        return stem[:2]
    return stem[:1]


class _Cues:
    """Where the cues occur in an ASCII text, for sentences asked in order:
    does one lie wholly inside this sentence?"""

    def __init__(self, text: str, cues: tuple[str, ...]):
        self._spans = cue_spans(text.lower(), cues)
        self._next = 0

    def within(self, start: int, end: int) -> bool:
        spans, i = self._spans, self._next
        while i < len(spans) and spans[i][0] < start:
            i += 1
        self._next = i
        return holds_cue(spans, i, start, end)


def sentences(text: str, begin: int = 0):
    """(start, end) of each sentence; a short sentence is joined with the
    next one of its paragraph so a passage has enough context to read.
    From `begin`: 0, or where the scan starts afresh (`_paragraph_start`)."""
    # (Read lazily: the snippet finder stops at the last sentence it needs.
    # One loop over the breaks, the pending sentence in two numbers: this
    # runs for every hit shown.)
    start, pending_start, pending_end = begin, -1, 0  # (-1: nothing pending)
    find = text.find
    for brk, next_start in chain(map(_span, _SENTENCE_END.finditer(text, begin)),
                                 [(len(text), len(text))]):
        end = brk + 1 if brk < len(text) and text[brk] in ".!?" else brk
        if end > start:
            if pending_start >= 0 and find("\n", pending_end, start) >= 0:
                yield pending_start, pending_end  # never glue across paragraphs
                pending_start = -1
            if pending_start < 0:
                pending_start = start
            pending_end = end
            if end - pending_start >= MIN_PASSAGE_CHARS:
                yield pending_start, end
                pending_start = -1
        start = next_start
    if pending_start >= 0:
        yield pending_start, pending_end


_span = re.Match.span
#: Line breaks looked back over for a paragraph break before giving up.
_PARAGRAPH_TRIES = 8
#: What closes a sentence before white space: . ! ? and closing quotes.
_CLOSING = "\"'”’)]"


def _paragraph_start(text: str, before: int) -> int:
    """The last place at or before `before` (a word's start) where
    `sentences` starts afresh, as if the text began there: just after a
    paragraph break (white space holding two line breaks), which a sentence
    never spans nor glues across. Reading sentences from there, not from the
    start, gives the same sentences after it: the break is found whole by
    the full scan too (as ". " and white space, the break ends where the
    white space does; else it runs from its first line break to its last)."""
    newline = text.rfind("\n", 0, before)
    for _ in range(_PARAGRAPH_TRIES):  # (text wrapped in lines: give up soon)
        if newline <= 0:
            break
        low = high = newline
        while low > 0 and text[low - 1].isspace():
            low -= 1
        while high < before and text[high].isspace():
            high += 1
        if text.count("\n", low, high) >= 2:
            closed = low
            while closed > 0 and text[closed - 1] in _CLOSING:
                closed -= 1
            if closed > 0 and text[closed - 1] in ".!?":
                return high
            return text.rfind("\n", low, high) + 1
        newline = text.rfind("\n", 0, low)
    return 0


def _passage(text: str, start: int, end: int, matches) -> Snippet:
    """A sentence as a Snippet, cut around its first match if too long."""
    if end - start > PASSAGE_CHARS:
        first = start + matches[0][0]
        lo = max(start, first - PASSAGE_CHARS // 3)
        lo = _word_start(text, lo, start)
        hi = _word_end(text, min(end, lo + PASSAGE_CHARS), end)
        matches = [(s + start - lo, e + start - lo, k) for s, e, k in matches
                   if s + start >= lo and e + start <= hi]
        start, end = lo, hi
    piece = text[start:end].replace("\n", " ")
    spans = merge_spans([(s, e) for s, e, _ in matches], piece)
    return Snippet(piece, start, end, spans, cut_after=bool(text[end:].strip()))


def _word_start(text: str, i: int, floor: int) -> int:
    while i > floor and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int, ceiling: int) -> int:
    while i < ceiling and not text[i].isspace():
        i += 1
    return i


def lead(text: str) -> Snippet:
    """The opening of an article, cut at a word boundary."""
    if len(text) <= LEAD_CHARS:
        return Snippet(text.replace("\n", " "), 0, len(text))
    cut = text.rfind(" ", 0, LEAD_CHARS)
    cut = cut if cut > LEAD_CHARS // 2 else LEAD_CHARS
    return Snippet(text[:cut].replace("\n", " "), 0, cut, cut_after=True)


def highlight_spans(text: str, matcher: Matcher,
                    language: str | None = None) -> list[tuple[int, int]]:
    """Spans of `text` (e.g. a title, in `language`) that match."""
    if not matcher or not text:
        return []
    language = _own_analysis(language)
    # (Screened by cues like a body's sentences: most titles hold no match.)
    cues = _cues(matcher) if language is None and not matcher.phrases and text.isascii() else ()
    if cues:
        lowered = text.lower()
        if not any(cue in lowered for cue in cues):
            return []  # (most titles: no word to analyse)
    found = find_matches(text, matcher, cues, language)
    return merge_spans([(s, e) for s, e, _ in found], text)


@lru_cache(maxsize=256)
def _own_analysis(language: str | None) -> str | None:
    """`language` if it has an analysis of its own, else None (English)."""
    if language is None:
        return None
    from ..text.analysis_lang import DEFAULT, analysis_language

    language = analysis_language(language)
    return None if language == DEFAULT else language
