"""The analyzer decides what a term is; these are the cases readers notice."""

from __future__ import annotations

import pickle

import pytest

from search.text.analysis import NewsAnalyzer, analyze, fold, normalize_keyword


@pytest.mark.parametrize("text, terms", [
    ("S-400", ["s", "400"]),
    ("YPG/PKK", ["ypg", "pkk"]),
    ("Turkey’s", ["turkey"]),
    ("Turkey's", ["turkey"]),
    ("al-Sham", ["al", "sham"]),
    ("Missiles", ["missil"]),
    ("missile", ["missil"]),
    ("Élysée", ["elyse"]),
    ("don't", ["don", "t"]),
    ("O'Gara", ["o", "gara"]),
    ("U.S.", ["us"]),              # an acronym is one word (issue 16)
    ("12-13 million", ["12", "13", "million"]),
])
def test_query_terms(text, terms):
    assert analyze(text) == terms


def test_index_adds_joined_compound_at_the_first_position():
    tokens = [(t.text, t.pos) for t in NewsAnalyzer()("the S-400 system", positions=True,
                                                       mode="index")]
    assert tokens == [("the", 0), ("s400", 1), ("s", 1), ("400", 2), ("system", 3)]


def test_apostrophe_names_are_found_by_either_part_or_joined():
    assert analyze("O’Gara", index=True) == ["ogara", "o", "gara"]
    assert "gara" in analyze("O'Gara", index=True) and analyze("OGara") == ["ogara"]


def test_query_mode_never_adds_joined_form():
    # A joined token in the query would break the phrase "s 400".
    assert "s400" not in analyze("S-400")
    assert analyze("S400") == ["s400"]


def test_char_offsets_point_at_the_original_text():
    text = "Syria’s Idlib and YPG/PKK"
    tokens = [(t.text, text[t.startchar:t.endchar])
              for t in NewsAnalyzer()(text, chars=True, mode="query")]
    assert tokens == [("syria", "Syria"), ("idlib", "Idlib"), ("and", "and"),
                      ("ypg", "YPG"), ("pkk", "PKK")]


def test_stop_words_are_kept_for_exact_phrases():
    assert analyze("the end of the war") == ["the", "end", "of", "the", "war"]


def test_fold_and_keywords():
    assert fold("Straße ÉLYSÉE") == "strasse elysee"
    assert normalize_keyword("  Iran   Press ") == "iran press"


def test_analyzer_survives_pickling():
    analyzer = pickle.loads(pickle.dumps(NewsAnalyzer()))
    assert [t.text for t in analyzer("Missiles")] == ["missil"]


def test_plain_word_shortcut_gives_what_splitting_gives():
    """Plain ASCII words skip the split/strip/fold steps (a fast path):
    their terms must be exactly those of the general route."""
    import random
    import string

    from search.text.analysis import _split_word, _word_terms, stem

    rng = random.Random(8)
    words = ["Turkey", "RUNNING", "runs", "1986", "S400", "a1b2", "x", "Ab", "USA",
             "Idlib", "it's", "co-op", "Élysée", "straße"]
    words += ["".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(1, 14)))
              for _ in range(3000)]
    for word in words:
        assert _word_terms.__wrapped__(word) == _split_word(word, stem), word


def test_the_whoosh_adapters_analyse_exactly_as_the_text_layer():
    """The schema's analyzers are Whoosh analyzers yielding Whoosh tokens,
    and give the very terms, positions and offsets of search.text's own
    (which know no Whoosh)."""
    from whoosh.analysis import Analyzer, Token

    from search.engine.whoosh.analyzers import WhooshKeywordAnalyzer, WhooshNewsAnalyzer
    from search.text.analysis import KeywordAnalyzer

    text = "Turkey’s S-400 deal: U.S. and AT&T shares rise at the Élysée\x1fWire"
    pairs = [(NewsAnalyzer(), WhooshNewsAnalyzer()),
             (NewsAnalyzer(stemming=False), WhooshNewsAnalyzer(stemming=False)),
             (NewsAnalyzer(language="de"), WhooshNewsAnalyzer(language="de")),
             (KeywordAnalyzer(), WhooshKeywordAnalyzer())]
    for plain, adapter in pairs:
        assert isinstance(adapter, Analyzer) and not isinstance(plain, Analyzer)
        for mode in ("index", "query"):
            want = [(t.text, t.pos, t.startchar, t.endchar)
                    for t in plain(text, positions=True, chars=True, mode=mode)]
            got = [(t.text, t.pos, t.startchar, t.endchar)
                   for t in adapter(text, positions=True, chars=True, mode=mode)]
            assert got == want and want, (adapter, mode)
        assert type(next(iter(adapter(text)))) is Token


def test_the_schema_pickles_the_whoosh_adapters():
    """What an index's table of contents names (docs/storage-format.md)."""
    from search.engine.whoosh.schema import build_schema

    data = pickle.dumps(build_schema(), 2)
    assert b"search.engine.whoosh.analyzers" in data
    assert b"WhooshNewsAnalyzer" in data and b"WhooshKeywordAnalyzer" in data
    assert b"search.text.analysis" not in data
