"""Snippet passages: the cheap sentence screen never changes what is found."""

from __future__ import annotations

import random
import re

import pytest

from search.query import snippets
from search.text.analysis import NewsAnalyzer
from search.query.snippets import Matcher, highlight_spans, passages

from .conftest import ARTICLES, CORPORA, SEED_FILE

ANALYZER = NewsAnalyzer()
#: Words whose stems do not start with the word's first three letters, and
#: compounds, numbers and possessives: the screen's hard cases.
TRICKY = ("The dying man was lying about tying the skies. Prices priced pricing. "
          "S-400 systems and U.S. forces; Turkey's 1,000 troops. Generalizations "
          "generally generate news. Early only ugly idly gently singly.")


def texts() -> list[str]:
    found = [TRICKY, SEED_FILE.read_text(encoding="utf-8")]
    files = sorted(ARTICLES.rglob("*.txt"))
    files += sorted((CORPORA / "bbc").glob("*/*.txt"))[::40]  # when ../shared is there
    return found + [p.read_text(encoding="utf-8", errors="replace") for p in files]


def matchers(text: str, rng: random.Random) -> list[Matcher]:
    terms = [term for term, _, _ in ANALYZER.query_spans(text)]
    out = [Matcher(frozenset({t})) for t in rng.sample(terms, min(len(terms), 30))]
    out += [Matcher(frozenset(rng.sample(terms, 2))) for _ in range(10)]
    for _ in range(10):
        i = rng.randrange(max(len(terms) - 2, 1))
        out.append(Matcher(frozenset(), (tuple(terms[i:i + 2]),)))
    return out


#: Sentences ending in quotes and brackets, words joined by apostrophes and
#: dots: where a sentence's edge meets a word.
QUOTED = ("He said \"no.\" Then 'yes.' (U.S.) Turkey's troops left.\n\nThe U.S. "
          "army's 'Patriot' systems? Officials' talks [failed!] ended.\u2019 Prices rose.")


def test_screened_passages_equal_unscreened_ones(monkeypatch):
    # Screened, an ASCII body's cued words are analysed at once and dealt to
    # their sentences (snippets._matched_sentences); a title's, read alone.
    rng = random.Random(3)
    cases = [(text, m) for text in texts() + [QUOTED] for m in matchers(text, rng)]
    cases += [(QUOTED, Matcher(frozenset(), (), frozenset({"yes", "army's", "officials"})))]
    screened = [(passages(text, m), snippets.highlight_spans(text[:90], m))
                for text, m in cases]
    monkeypatch.setattr(snippets, "_cues", lambda matcher: ())
    assert screened == [(passages(text, m), snippets.highlight_spans(text[:90], m))
                        for text, m in cases]
    assert len(cases) > 200


def test_whole_text_matching_deals_the_same_matches_to_each_sentence():
    rng = random.Random(11)
    compared = 0
    for text in texts() + [QUOTED]:
        text = text.encode("ascii", "replace").decode("ascii")
        for m in matchers(text, rng):
            cues = snippets._cues(m)
            if m.phrases or not cues:
                continue
            assert (list(snippets._matched_sentences(text, m, cues))
                    == list(snippets._analysed_sentences(text, m, (), None)))
            compared += 1
    assert compared > 100


def test_cues_leave_out_exactly_the_words_without_one():
    # With cues, only the stretches of text holding one are read (analysis._cued_words):
    # the same spans as reading every word and dropping those without a cue.
    rng = random.Random(5)
    checked = 0
    for text in texts():
        text = text.encode("ascii", "replace").decode("ascii") + "\tprice\n\nprices\x0bpri"
        words = [w for w, _, _ in ANALYZER.query_spans(text)]
        for _ in range(5):
            cues = tuple({w[:3] for w in rng.sample(words, min(3, len(words)))}) + ("s-4",)
            every = ANALYZER.query_spans(text)
            kept = [span for span, word in zip(every, _words(text))
                    if any(cue in word.lower() for cue in cues)]
            assert ANALYZER.query_spans(text, cues) == kept
            checked += 1
    assert checked > 20


def _words(text: str) -> list[str]:
    """The word each query span of `text` comes from (a compound gives several spans)."""
    from search.text.analysis import WORD
    out = []
    for match in WORD.finditer(text):
        out += [match.group(0)] * len(ANALYZER.query_spans(match.group(0)))
    return out


def test_every_word_starts_with_its_stems_cue():
    """The screen is exact only if a word holds its stem's cue: over every
    word of the test texts (BBC News's too, when ../shared is there) and
    Snowball's exceptional forms."""
    from search.text.analysis import WORD

    words = {w.lower() for text in texts() for w in WORD.findall(text) if w.isascii() and w.isalpha()}
    words |= {"dying", "lying", "tying", "vying", "skies", "cuts", "taxes", "idly", "ugly",
              "happy", "happily", "hoping", "capability", "activity", "sensational", "possibly",
              "gently", "early", "only", "singly", "news", "skis", "relational", "organization"}
    stems = {w: ANALYZER.query_spans(w)[0][0] for w in words}
    assert [w for w, term in stems.items() if not w.startswith(snippets._cue(term))] == []
    assert snippets._cue("cut") == "cu" and snippets._cue("die") == "d"
    assert snippets._cue("happi") == "happ" and snippets._cue("hope") == "hop"
    assert len(words) > 300  # (the fixture texts alone: 436 words)


@pytest.mark.parametrize("written, term", [("U.S.S.R.", "ussr"), ("U.S.", "us"),
                                           ("N.Y.S.E.", "nyse"), ("a.m.", "am")])
def test_acronyms_written_with_dots_light_up(written, term):
    """The cue screen once skipped "U.S.S.R." for ussr (its letters are not
    in a row): neither the body's passage nor the title showed the match."""
    assert ANALYZER.query_spans(written)[0][0] == term
    text = f"Nothing to see in this first sentence at all. Later {written} said it buys grain."
    [snippet] = passages(text, Matcher(frozenset({term})), count=1)
    assert [snippet.text[a:b] for a, b in snippet.highlights] == [written.rstrip(".")]
    assert highlight_spans(f"{written} buys grain", Matcher(frozenset({term}))) != []


@pytest.mark.parametrize("word, term", [("dying", "die"), ("skies", "sky"), ("lying", "lie"),
                                        ("vying", "vie"), ("cuts", "cut")])
def test_short_stems_still_highlight(word, term):
    assert ANALYZER.query_spans(word)[0][0] == term
    text = f"Nothing here at all in this sentence. The witness was {word} again today."
    [snippet] = passages(text, Matcher(frozenset({term})), count=1)
    assert word in snippet.text


def test_non_ascii_sentences_are_always_analysed():
    text = ("Nothing to see in this first sentence at all. Le président Élysée "
            "a parlé aujourd'hui de la réforme. A £5 note about Elysee again.")
    found = " ".join(p.text for p in passages(text, Matcher(frozenset({"elyse"})), count=2))
    assert "Élysée" in found and "£5 note about Elysee" in found


def _reference_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences as first written: breaks found by the plain look-behind
    pattern, short sentences glued to the next unless a line break lies
    between them, a slice of the text checked for it."""
    import re

    behind = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n\s*\n")
    found, start, pending = [], 0, None
    for end, next_start in [m.span() for m in behind.finditer(text)] + [(len(text), len(text))]:
        if end > start:
            if pending and "\n" in text[pending[1]:start]:
                found.append(pending)
                pending = None
            pending = (pending[0], end) if pending else (start, end)
            if pending[1] - pending[0] >= snippets.MIN_PASSAGE_CHARS:
                found.append(pending)
                pending = None
        start = next_start
    return found + [pending] if pending else found


SENTENCE_TRICKS = ["a.. b", "Why?! Yes.\n\nNo.", "He said \"no.\" Then.'\n \n'", ". .\nb", "?",
                   "x.\n", "end.)] next", "\n\n\n", "a.\n\n\nb!  c?\t\"d\"", " \n \n x", "a\n\n",
                   "Short. Also short.\n\nNext one here.\n  \nAnd \"quoted.\"\n\n  Indented."]


def _sentence_texts() -> list[str]:
    rng = random.Random(11)
    pieces = [".", "!", "?", " ", "\n", "\n\n", "\"", ")", "’", "\t", "word ", "x" * 90, "Oil. ", " \n \n "]
    made = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    return texts() + [QUOTED, TRICKY] + SENTENCE_TRICKS + made


def test_sentences_are_those_of_the_look_behind_pattern():
    """snippets.sentences matches the . ! ? with the break, both kinds of
    break behind one character class (a faster pattern), and keeps its
    pending sentence in two numbers: the same sentences as the plain
    look-behind version, on every test text and on runs of marks, quotes
    and paragraph breaks."""
    for text in _sentence_texts():
        assert list(snippets.sentences(text)) == _reference_sentences(text), repr(text)


def test_sentences_read_from_a_paragraph_start_are_the_same():
    """Reading from where a paragraph starts (_paragraph_start before any
    word) gives exactly the sentences the whole scan gives from there on."""
    checked = 0
    for text in _sentence_texts():
        whole = list(snippets.sentences(text))
        for word in re.finditer(r"\w+", text):
            begin = snippets._paragraph_start(text, word.start())
            assert 0 <= begin <= word.start()
            assert list(snippets.sentences(text, begin)) == [s for s in whole if s[0] >= begin], \
                (repr(text), begin)
            checked += begin > 0
    assert checked > 1000  # (paragraph starts were found, not only 0)
