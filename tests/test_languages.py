"""Multilingual news: language codes, detection, per-language analysis
(German stemming, umlauts and compounds), queries across languages,
snippets per language, on real indexes built from tests/fixtures/languages
(German, English and French articles written for these tests)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from search import Article, NewsIndex
from search.engine.whoosh.schema import to_document
from search.engine.whoosh.translate import to_whoosh
from search.text.analysis import NewsAnalyzer, _word_terms
from search.text.analysis_lang import word_terms
from search.text.decompound import split
from search.text.language import choose, detect, normalize_code

from .test_text_postings import NewsSegmentWriter, PerDocumentWriter, build

LANGUAGES = Path(__file__).parent / "fixtures" / "languages"


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    """The fixtures indexed from files: no file declares its language."""
    root = tmp_path_factory.mktemp("langs")
    shutil.copytree(LANGUAGES, root / "news")
    index = NewsIndex.create(root / "ix")
    index.index_paths([root / "news"])
    yield index
    index.close()


def ids(index, query, **kw):
    return {hit.id for hit in index.search(query, limit=50, **kw).hits}


# --- codes and detection ------------------------------------------------------

@pytest.mark.parametrize("value, code", [
    ("en-GB", "en"), ("en_us", "en"), ("EN", "en"), (" de-AT ", "de"), ("fr-CA", "fr"),
    ("deu", "de"), ("ger", "de"), ("eng", "en"), ("iw", "he"), ("pt-BR", "pt"),
    ("zh-Hant-TW", "zh"), ("en us", "en"),
    ("", None), ("*", None), ("x-klingon", None), ("und", None), ("zxx", None),
    ("English", None), (None, None), (42, None),
])
def test_declared_codes_become_bcp47_primary_subtags(value, code):
    assert normalize_code(value) == code


def test_every_english_variant_is_found_by_one_filter(tmp_path):
    index = NewsIndex.create(tmp_path / "ix")
    index.add([Article(id=f"a{i}", title=f"Budget vote {i}", body=f"Budget vote number {i}.",
                       language=code) for i, code in enumerate(["en-GB", "en_US", "EN", "de"])])
    found = {h.id for h in index.search("", filters={"language": "en"}).hits}
    counts = {f.value: f.count for f in index.search("", facets=["language"]).facets["language"]}
    index.close()
    assert found == {"a0", "a1", "a2"}
    assert counts == {"en": 3, "de": 1}


@pytest.mark.parametrize("name, code", [
    ("de_wahl.txt", "de"), ("de_sicherheit.txt", "de"), ("en_election.txt", "en"),
    ("fr_president.txt", "fr"),
])
def test_the_language_of_a_text_is_detected(name, code):
    assert detect((LANGUAGES / name).read_text(encoding="utf-8"))[0] == code


def test_control_characters_do_not_stop_detection():
    text = (LANGUAGES / "de_wahl.txt").read_text(encoding="utf-8")
    assert detect(text.replace(" ", "\x00 ", 5).replace("Die", "\x1bDie"))[0] == "de"


def test_too_little_text_has_no_language():
    assert detect("Q3 2.5 vs 1.2")[0] is None
    assert choose(None, "", "")[0] is None


def test_a_declared_code_is_kept_unless_the_text_clearly_says_otherwise():
    german = (LANGUAGES / "de_sicherheit.txt").read_text(encoding="utf-8")
    assert choose("de-DE", "", german) == ("de", False)
    assert choose("en", "", german) == ("de", True)  # a feed that says en for everything
    assert choose("en", "", "Kurz und gut.") == ("en", False)  # too short to overrule


def test_indexed_files_get_the_detected_language(ix):
    got = {hit.id: hit for hit in ix.search("", limit=50).hits}
    languages = {id_: ix.get(id_).language for id_ in got}
    assert languages == {"de_wahl.txt": "de", "de_sicherheit.txt": "de",
                         "de_reaktor.txt": "de", "en_election.txt": "en",
                         "en_reactor.txt": "en", "fr_president.txt": "fr"}


# --- analysis -------------------------------------------------------------------

def test_english_analysis_is_the_one_of_old():
    assert word_terms(None) is _word_terms
    assert word_terms("en") is _word_terms
    assert word_terms("xx") is _word_terms  # no stemmer of its own: English, as before


def test_accents_may_be_left_out_in_a_query():
    french = word_terms("fr")
    assert french("Élysée")[0][0][0] == french("elysee")[0][0][0]
    assert word_terms("de")("Prasident")[0][0][0] == "prasident"


def test_a_cyrillic_stemmer_sees_its_letters_unfolded():
    russian = word_terms("ru")
    assert russian("новый")[0][0][0] == russian("новые")[0][0][0]


def test_german_umlauts_may_be_written_out():
    terms = word_terms("de")
    assert terms("Praesident")[0][0][0] == terms("Präsident")[0][0][0] == "prasident"
    assert terms("Straße")[0][0][0] == terms("Strasse")[0][0][0]


@pytest.mark.parametrize("word, parts", [
    ("kommunalwahlen", {"kommunal", "wahlen"}),
    ("sicherheitslücken", {"sicherheit", "lücken"}),
    ("bundesregierung", {"bund", "regierung"}),
    ("unternehmen", set()),      # "unter" is a function word, not a part
    ("präsident", set()),
])
def test_german_compounds_split_into_dictionary_words(word, parts):
    assert set(split(word)) >= parts
    if not parts:
        assert split(word) == ()


def test_compound_parts_are_index_terms_at_the_word_position_only():
    analyzer = NewsAnalyzer()
    index = analyzer.term_positions("Die Kommunalwahlen enden", "de")
    assert index["kommunalwahl"] == index["wahl"] == index["kommunal"] == [1]
    assert index["end"] == [2]
    query = [t.text for t in analyzer("Kommunalwahlen", mode="query", language="de")]
    assert query == ["kommunalwahl"]  # a query for the compound wants the compound


def test_mixed_language_segments_are_the_same_written_either_way(tmp_path, monkeypatch):
    """Documents analysed in their own language: in a segment written a
    whole segment at a time, streamed to a text builder, or document by
    document (the reference), byte for byte the same."""
    docs = []
    for i, path in enumerate(sorted(LANGUAGES.glob("*.txt")) * 3):
        text = path.read_text(encoding="utf-8")
        code = path.name[:2]
        docs.append(to_document(Article(id=f"{i}", title=path.stem, body=text, language=code)))
    reference = build(tmp_path / "per-doc", PerDocumentWriter, docs)
    whole = build(tmp_path / "whole", NewsSegmentWriter, docs)
    monkeypatch.setattr("search.engine.whoosh.text_builder.CHUNK", 4)
    streamed = build(tmp_path / "streamed", NewsSegmentWriter, docs, streamed=True)
    assert whole == reference
    assert streamed["decoded"] == reference["decoded"]
    assert (("body", b"wahl") in reference["decoded"]
            and ("body", b"luck") in reference["decoded"])


# --- searching ------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("Wahlen", {"de_wahl.txt"}),                    # a compound's head
    ("Lücken", {"de_sicherheit.txt"}),              # Sicherheitslücken, and Lücken itself
    ("Regierung", {"de_sicherheit.txt", "de_wahl.txt"}),  # Bundesregierung; regierende
    ("Reaktor", {"de_reaktor.txt"}),                # Reaktoren
    ("Gespräch", {"de_wahl.txt", "de_reaktor.txt"}),  # Gesprächen, Gespräche
    ("Praesident", {"de_sicherheit.txt", "de_reaktor.txt"}),  # Präsident; Praesident
    ('"bitteren Niederlage"', {"de_wahl.txt"}),
    ("reactors", {"en_reactor.txt"}),
])
def test_german_words_find_their_inflected_and_compound_forms(ix, query, expected):
    assert ids(ix, query) == expected


def test_a_query_is_analysed_for_every_language_of_the_index(ix):
    assert "de_sicherheit.txt" in ids(ix, "Präsident")
    assert {"en_election.txt", "en_reactor.txt"} <= ids(ix, "president")
    assert "fr_president.txt" in ids(ix, "présidents")


def test_named_languages_limit_the_analysis(ix):
    assert ids(ix, "Wahlen", languages=["en"]) == set()
    assert ids(ix, "Wahlen", languages=["de", "en"]) == {"de_wahl.txt"}


def test_not_excludes_a_word_in_every_language(ix):
    assert ids(ix, "Präsident") - ids(ix, "Präsident NOT Angriffen") == {"de_sicherheit.txt"}
    assert ids(ix, "Wahlen NOT Graz") == set()


def test_highlights_mark_the_inflected_and_compound_forms(ix):
    hit = ix.search("Lücken").hits[0]
    marked = {hit.snippets[0].text[s:e] for s, e in hit.snippets[0].highlights}
    assert {"Sicherheitslücken", "Lücken"} <= marked
    assert hit.title[slice(*hit.title_highlights[0])] == "Sicherheitslücken"
    hit = ix.search("Gespräch").hits
    texts = {s.text[a:b] for h in hit for s in h.snippets for a, b in s.highlights}
    assert {"Gesprächen", "Gespräche"} <= texts


def test_cli_lang_option_and_bad_code(cli, ix):
    path = str(ix.path)
    result = cli("query", "Wahlen", "--lang", "de", "--json", "--index", path)
    assert result.exit_code == 0
    assert [h["id"] for h in json.loads(result.stdout)["hits"]] == ["de_wahl.txt"]
    bad = cli("query", "Wahlen", "--lang", "1x", "--index", path)
    assert bad.exit_code == 2
    assert "not a language code" in bad.stderr and "Traceback" not in bad.stderr


def test_the_article_page_marks_german_compounds(ix):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search.web.app import create_app
    from search.web.views import article_url

    with TestClient(create_app(ix.path)) as client:
        html = client.get(article_url("de_sicherheit.txt", "Lücken")).text
    assert "<mark>Sicherheitslücken</mark>" in html
    assert "<mark>Lücken</mark>" in html


def test_more_like_this_reads_a_german_article_in_german(tmp_path):
    """Key terms of a German article are its German index terms (Reaktoren
    → reaktor), and German function words are not key terms: the article
    sharing only "der", "die", "und" is not "similar"."""
    index = NewsIndex.create(tmp_path / "ix")
    index.add([
        Article(id="a", title="Reaktoren", language="de",
                body="Die Reaktoren der Anlage werden von der Atomaufsicht geprüft, und "
                     "die Betreiber warten."),
        Article(id="b", title="Reaktor", language="de",
                body="Der Reaktor wurde nach der Prüfung durch die Aufsicht wieder "
                     "angefahren."),
        Article(id="c", title="Fußball", language="de",
                body="Die Mannschaft der Stadt gewinnt, und der Trainer jubelt über die "
                     "Tabelle."),
    ])
    hits = [hit.id for hit in index.similar("a").hits]
    index.close()
    assert hits == ["b"]


def test_an_english_index_parses_queries_as_before(tmp_path, ix):
    """English only (or unknown): one analysis, the query of old; the
    fixtures' index: English, German and French."""
    from search.text.language import index_languages
    from search.query.parser import parse

    index = NewsIndex.create(tmp_path / "ix")
    index.add([Article(id="e", title="Budget", body="The budget vote passed.", language="en"),
               Article(id="u", title="Q3", body="Shr 10 cts vs 14 cts")])
    with index._searching() as searcher:
        assert index_languages(searcher.reader()) == [None]
    index.close()
    with ix._searching() as searcher:
        assert index_languages(searcher.reader()) == [None, "de", "fr"]
    for text in ("budget vote", '"the vote" NOT budget', "vot*", "title:budget"):
        assert to_whoosh(parse(text, languages=[None]).tree) == to_whoosh(parse(text).tree)
        assert to_whoosh(parse(text, languages=["en", "xx"]).tree) == to_whoosh(parse(text).tree)


def test_a_query_is_analysed_for_a_language_added_since_the_last_search(tmp_path):
    """The index's languages are kept per reader (each query read them
    anew): a reader of an English index that a second handle then gives a
    German article analyses the next query in German too (Regierung →
    regier finds "Regierungen"; the English analysis alone does not)."""
    reader = NewsIndex.create(tmp_path / "ix")
    try:
        reader.add([Article(id="e", title="Budget", body="The budget vote passed.", language="en")])
        assert reader.search("Regierung").total == 0
        with NewsIndex.open(tmp_path / "ix") as writer:
            writer.add([Article(id="d", title="Haushalt", language="de",
                                body="Die Regierungen der Länder beschlossen den Haushalt.")])
        assert [hit.id for hit in reader.search("Regierung").hits] == ["d"]
    finally:
        reader.close()


def test_a_lone_surrogate_in_a_query_on_a_multilingual_index(ix, cli):
    """The text read back is the cleaned one in every language's parse
    (the merged query once kept the raw text: UnicodeEncodeError, exit 1)."""
    from search.query.parser import parse

    assert parse("Wahl\ud800", languages=[None, "de"]).text == "Wahl\ufffd"
    result = cli("query", "\ud800", "--index", str(ix.path))
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr


def test_a_date_in_words_is_read_in_the_detected_language(tmp_path):
    """A record that does not say its language, dated in Indonesian words
    (not among the languages dates are tried in without a hint): the date is
    read once the text is detected as Indonesian."""
    story = {"title": "Pemerintah umumkan kebijakan baru tentang harga beras",
             "text": ("Pemerintah Indonesia pada hari Rabu mengumumkan kebijakan baru untuk "
                      "menstabilkan harga beras di pasar tradisional. Menteri perdagangan "
                      "mengatakan bahwa stok beras nasional cukup untuk beberapa bulan ke depan "
                      "dan masyarakat tidak perlu khawatir. Para pedagang di Jakarta menyambut "
                      "baik langkah tersebut."),
             "date": "12 Agustus 2023"}
    source = tmp_path / "id.jsonl"
    source.write_text(json.dumps(story) + "\n", encoding="utf-8")
    index = NewsIndex.create(tmp_path / "ix")
    index.index_paths([source])
    article = index.search("beras").hits[0]
    index.close()
    assert article.published is not None and article.published.date().isoformat() == "2023-08-12"
