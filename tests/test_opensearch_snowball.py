"""Every language the embedded engine stems, and "did you mean", on
OpenSearch (issue 20): the same corpus — the seed, the fixture articles, the
language fixtures, the German stories and the stories in French, Spanish,
Italian, Russian and Dutch written for this module
(tests/fixtures/world-news/) — indexed by `newssearch index` into both
engines and queried through the CLI on both.
"""

from __future__ import annotations

import pytest

from search.article import Article
from tests.conftest import ARTICLES, ROOT, SEEDS
from tests.test_opensearch_engine import module_indexes, one_line_exit_2, run
from tests.test_opensearch_query_options import both

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")

WORLD = ROOT / "tests" / "fixtures" / "world-news"
CORPUS = [SEEDS, ARTICLES, ROOT / "tests" / "fixtures" / "languages",
          ROOT / "tests" / "fixtures" / "german-news", WORLD]


@pytest.fixture(scope="module")
def indexes(opensearch_url, opensearch_client, tmp_path_factory):
    yield from module_indexes("snowball", CORPUS, opensearch_url, opensearch_client,
                              tmp_path_factory)


def ids(answer: dict) -> list[str]:
    return sorted(hit["id"] for hit in answer["hits"])


# --- languages --------------------------------------------------------------------------------

#: A word form and the story it must find though the story has another form.
FORMS = [("grèves", "fr_greve.txt"), ("greve", "fr_greve.txt"),
         ("négociation", "fr_greve.txt"), ("annonce", "fr_vendanges.txt"),
         ("vendange", "fr_vendanges.txt"), ("cheminot", "fr_greve.txt"),
         ("elección", "es_elecciones.txt"), ("eleccion", "es_elecciones.txt"),
         ("approvata", "it_porto.txt"), ("выборы", "ru_vybory.txt"), ("депутат", "ru_vybory.txt"),
         ("fietsers", "nl_fietsers.txt")]


@pytest.mark.parametrize("query, story", FORMS)
def test_word_forms_find_the_story_on_both_engines(indexes, query, story):
    ours, theirs = both(indexes, query, "--facet", "language")
    assert story in ids(ours)
    assert query not in (WORLD / story).read_text(encoding="utf-8").split()
    assert theirs["total"] == ours["total"] and ids(theirs) == ids(ours)
    assert theirs["facets"] == ours["facets"]
    snippets = [{h["id"]: h["snippets"] for h in answer["hits"]} for answer in (ours, theirs)]
    assert snippets[1] == snippets[0]


def test_without_its_analysis_a_form_is_not_found(indexes):
    """The stories are found through their language's stems, not by chance:
    asked in English analysis only, the plural finds nothing, on both."""
    for query in ("grèves", "выборы"):
        ours, theirs = both(indexes, query, "--lang", "en")
        assert theirs["total"] == ours["total"] == 0, query


@pytest.mark.parametrize("lang", ["fr", "es", "it", "ru", "nl", "fr,es", "de,fr,en"])
def test_lang_names_the_analyses_alike(indexes, lang):
    for query in ("grèves", "elecciones", "approvata", "выборы", "président", "Wahlen", "Idlib",
                  "cheminots -salaires", "grève OR elecciones"):
        ours, theirs = both(indexes, query, "--lang", lang)
        assert theirs["total"] == ours["total"], (query, lang)
        assert ids(theirs) == ids(ours)


def test_a_language_lucene_cannot_stem_is_one_line(indexes):
    one_line_exit_2(*run("query", "wybory", "--lang", "pl", "--index", indexes[1]),
                    "Polish analysis is not supported on an OpenSearch index")
    one_line_exit_2(*run("query", "x", "--lang", "klingon!", "--index", indexes[1]),
                    "not a language code")


@pytest.mark.parametrize("story", sorted(p.name for p in WORLD.glob("*.txt")))
def test_the_routed_analyzer_gives_the_embedded_terms(indexes, opensearch_client, story):
    """A story's language field on OpenSearch gives exactly the embedded
    engine's terms at the same positions (compounds' joined forms too)."""
    from search.engine.opensearch.snowball import field
    from search.text.analysis import NewsAnalyzer

    code = story.split("_")[0]
    text = (WORLD / story).read_text(encoding="utf-8")
    text += " économie-politique Øresund Şırnak ÉLYSÉE 3-й выборах"
    ours = {(t.text, t.pos) for t in NewsAnalyzer()(text, positions=True, language=code,
                                                    mode="index")}
    answer = opensearch_client.indices.analyze(index=indexes[1].rsplit("/", 1)[1],
                                               body={"field": field(code, "body"), "text": text})
    assert {(t["token"], t["position"]) for t in answer["tokens"]} == ours


def test_the_stem_rules_are_current(opensearch_client):
    """snowball_stems.txt holds exactly the listed words OpenSearch's
    Snowball stems otherwise than PyStemmer (regenerate with
    bench/opensearch_snowball_stems.py after upgrading either)."""
    from search.engine.opensearch import snowball
    from search.text.analysis_lang import SNOWBALL

    rules = snowball.stem_rules()
    for algorithm in sorted({snowball.ENGLISH} | {SNOWBALL[c] for c in snowball.routed()}):
        assert snowball.differing_rules(opensearch_client, algorithm) == \
            list(rules.get(algorithm, ())), algorithm


def test_an_index_older_than_the_routed_fields_still_takes_and_finds_them(
        opensearch_url, opensearch_client):
    """An index created without the routed fields gets them as a kept, not
    indexed object: a French article is written and found as before
    (English analysis) until a rebuild."""
    from search import NewsIndex
    from search.engine.opensearch.mapping import load_mapping
    from search.engine.opensearch.snowball import ROOT as ROUTED

    name = "snowball-older"
    body = load_mapping()
    del body["mappings"]["properties"][ROUTED]
    del body["mappings"]["_source"]
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)
    opensearch_client.indices.create(index=name, body=body)
    url = f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"
    text = (WORLD / "fr_greve.txt").read_text(encoding="utf-8")
    title, rest = text.split("\n", 1)
    try:
        with NewsIndex.open(url) as ix:
            ix.add([Article(id="greve", title=title, body=rest, language="fr")])
            assert ix.get("greve").title == title
            assert [h.id for h in ix.search("cheminots").hits] == ["greve"]
        # Kept in _source, not indexed (the routed fields come with a rebuild).
        assert opensearch_client.count(index=name, body={"query": {"exists": {
            "field": f"{ROUTED}.fr.body"}}})["count"] == 0
        stored = opensearch_client.get(index=name, id="greve")["_source"]
        assert stored[ROUTED]["fr"]["title"] == title
    finally:
        opensearch_client.indices.delete(index=name, ignore_unavailable=True)


# --- did you mean -----------------------------------------------------------------------------

#: Misspelt queries and the correction both engines offer.
MISSPELT = [("Idlbi", "Idlib"), ("Patriot Idlb", "Patriot Idlib"), ("chemints", "cheminots"),
            ("missle", "missile"), ('"Patriot missle"', '"Patriot missile"'),
            ("Pariot -Idlib", "Patriot -Idlib"), ("vendanges précoses", "vendanges precoces"),
            ("выбарах", "выборах")]


@pytest.mark.parametrize("query, corrected", MISSPELT)
def test_a_misspelt_query_gets_the_same_suggestion(indexes, query, corrected):
    ours, theirs = both(indexes, query)
    assert ours["suggestion"] == corrected
    assert theirs["suggestion"] == ours["suggestion"]
    assert theirs["total"] == ours["total"]


@pytest.mark.parametrize("query", ["Idlib", "président", "xyzzyq", "grèvs",
                                   "Patriot", "Idlib -Russia",
                                   # the unstemmed words fold й to и (`fold`; on OpenSearch
                                   # snowball._fold_scripts): "городскои" finds nothing more
                                   "гордоской"])
def test_no_suggestion_where_the_embedded_engine_gives_none(indexes, query):
    ours, theirs = both(indexes, query)
    assert ours["suggestion"] is None and theirs["suggestion"] is None


def test_no_suggestion_when_the_correction_finds_no_more(indexes):
    # "Idlbi" within --source Reuters: "Idlib" would find no Reuters article more.
    ours, theirs = both(indexes, "Idlbi", "--source", "Nowhere Press")
    assert ours["suggestion"] is None and theirs["suggestion"] is None


def test_the_cli_prints_did_you_mean_on_both(indexes):
    for target in indexes:
        code, out, err = run("query", "chemints", "--index", target)
        assert code == 0, err
        assert 'Did you mean: "cheminots"?' in out


def test_api_suggest_offers_the_correction_on_opensearch(indexes):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search.web.app import create_app

    answers = []
    for target in indexes:
        with TestClient(create_app(target)) as client:
            answer = client.get("/api/suggest", params={"q": "Patriot Idlb"})
            assert answer.status_code == 200
            answers.append(answer.json())
    assert answers[1]["suggestion"] == answers[0]["suggestion"] == "Patriot Idlib"
    assert set(answers[1]) == set(answers[0])
