"""`--sort recent`, `--synonyms` and `--lang` on OpenSearch (issue 20): the
same corpus indexed by `newssearch index` into the embedded engine and into
a real OpenSearch node (tests/opensearch_fixture.py), the same queries run
through the CLI's --json on both.

What "the same" can mean: relevance scores differ between the engines (our
BM25F against OpenSearch's per-field BM25: docs/opensearch.md), so a
recent-first order is the same only where the dates decide it. What is
compared exactly: totals, the hits, facet counts, and each hit's decay
factor (its recent score over its relevance score: 0.5^(age / half-life),
a property of its date alone), to 1e-4.
"""

from __future__ import annotations

import json
import math

import pytest

from search.article import Article
from tests.conftest import ARTICLES, ROOT, SEEDS, dated_articles
from tests.test_everyday_queries import CORPUS
from tests.test_opensearch_engine import (built_on_both, module_indexes, one_line_exit_2, query_json,
                                          run)

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")

SYNONYMS = ROOT / "tests" / "fixtures" / "synonyms" / "news.txt"
#: German news stories written for these tests, and one English.
GERMAN = ROOT / "tests" / "fixtures" / "german-news"
LANGUAGES = ROOT / "tests" / "fixtures" / "languages"


def jsonl(folder, name: str, articles: list[Article]) -> None:
    lines = [json.dumps(a.to_dict(), default=str) for a in articles]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def indexes(opensearch_url, opensearch_client, tmp_path_factory):
    """(embedded index folder, opensearch:// URL) of the same articles: the
    seed, the fixture articles, dated wires, the everyday stories (dated
    0 to 400 days before the newest, one undated) and stories in German,
    English and French, each built by `newssearch index`."""
    folder = tmp_path_factory.mktemp("options-corpus")
    jsonl(folder, "wires.jsonl", dated_articles())
    jsonl(folder, "everyday.jsonl", CORPUS)
    corpus = [SEEDS, ARTICLES, folder, LANGUAGES, GERMAN]
    yield from module_indexes("options", corpus, opensearch_url, opensearch_client,
                              tmp_path_factory)


def both(indexes, *args) -> tuple[dict, dict]:
    return query_json(indexes[0], *args), query_json(indexes[1], *args)


def ids(answer: dict) -> list[str]:
    return [h["id"] for h in answer["hits"]]


# --- --sort recent ------------------------------------------------------------------------

RECENT = [("oil",), ("prices",), ("officials OR governments",), ("Idlib", "--half-life", "1000"),
          ("oil OR coffee OR grain", "--half-life", "2.5"), ("Regierung",),
          ("oil", "--source", "Reuters", "--facet", "source"), ("minister*",),
          ("Patriot lira", "--half-life", "400")]


def decay_factors(recent: dict, relevance: dict) -> dict[str, tuple[float, float]]:
    """Each hit's recent score over its relevance score, and how far off
    that may be from the scores' rounding to 4 decimals in --json."""
    scores = {h["id"]: h["score"] for h in relevance["hits"]}
    return {h["id"]: (h["score"] / scores[h["id"]], 1e-4 / scores[h["id"]])
            for h in recent["hits"] if scores[h["id"]] >= 0.01}


@pytest.mark.parametrize("args", RECENT, ids=" ".join)
def test_recent_finds_the_same_hits_with_the_same_decay(indexes, args):
    ours, theirs = both(indexes, *args, "--sort", "recent")
    assert theirs["total"] == ours["total"] > 0
    assert sorted(ids(theirs)) == sorted(ids(ours))
    assert theirs["facets"] == ours["facets"]
    factors = [decay_factors(recent, relevance) for recent, relevance
               in zip((ours, theirs), both(indexes, *args, "--sort", "relevance"))]
    assert factors[1].keys() == factors[0].keys() and factors[0]
    for hit, (factor, off) in factors[0].items():
        other, other_off = factors[1][hit]
        assert abs(other - factor) <= off + other_off + 1e-5 * factor, (hit, factors)
    for answer in (ours, theirs):  # best first, by the decayed score
        scores = [h["score"] for h in answer["hits"]]
        assert scores == sorted(scores, reverse=True)


def test_the_decay_is_half_a_half_life_back_from_the_newest_article(indexes):
    # fresh is the newest article (factor 1), opec 114 days older, undated 0.5.
    ours, theirs = both(indexes, "oil OR grain", "--sort", "recent", "--half-life", "30")
    relevance = both(indexes, "oil OR grain")
    for answer, ranked in zip((ours, theirs), relevance):
        factors = decay_factors(answer, ranked)
        for hit, expected in (("fresh", 1.0), ("opec", 0.5 ** (114 / 30)), ("undated", 0.5)):
            factor, off = factors[hit]
            assert math.isclose(factor, expected, rel_tol=1e-5, abs_tol=2 * off), (hit, factors)


def test_with_a_short_half_life_dates_decide_the_order(indexes):
    # One day: each day of age halves a score, far more than the engines'
    # relevance scores differ, so the dated hits come newest first on both
    # (those scoring 0.001 or more: below, --json's rounding ties them); an
    # undated hit counts as one day old, so after the newest and before two
    # days old, wherever relevance puts it among the undated.
    answers = both(indexes, "oil OR officials OR coffee OR grain OR trade",
                   "--sort", "recent", "--half-life", "1")
    dated = [[h["id"] for h in answer["hits"] if h["published"] and h["score"] >= 0.001]
             for answer in answers]
    assert dated[1] == dated[0] == ["fresh", "us-bbc", "uk-eu"]
    undated = [{h["id"] for h in answer["hits"] if not h["published"]} for answer in answers]
    assert undated[1] == undated[0]
    for answer in answers:
        order = ids(answer)
        assert order[0] == "fresh" and order.index("us-bbc") > order.index("undated")


def test_recent_pages_are_cut_from_the_one_order(indexes):
    query = ("query", "oil OR officials OR coffee OR grain OR trade OR Idlib", "--sort", "recent",
             "--half-life", "3", "--index", indexes[1], "--json")
    pages = []
    for limit, page in (("6", "1"), ("3", "1"), ("3", "2")):
        code, out, err = run(*query, "--limit", limit, "--page", page)
        assert code == 0, err
        pages.append(ids(json.loads(out)))
    assert pages[1] + pages[2] == pages[0] and len(pages[0]) == 6


def test_recent_rescoring_window_is_the_embedded_engines():
    from search.engine.opensearch import recency
    from search.engine.whoosh.querying import execute

    assert recency.RECENT_WINDOW == execute.RECENT_WINDOW
    assert recency.rescore(None, 30, 1, 10)["window_size"] == 500
    assert recency.rescore(None, 30, 60, 10)["window_size"] == 600


def test_recent_past_the_rescore_window_is_one_line(indexes):
    one_line_exit_2(*run("query", "oil", "--sort", "recent", "--limit", "1000", "--page", "11",
                         "--index", indexes[1]), "--sort recent reaches 10,000 hits deep")


# --- --synonyms ---------------------------------------------------------------------------

SYNONYM_QUERIES = [("java",), ("crops",), ("america",), ("labour",), ('"labour department"',),
                   ('"united states"',), ("java growers",), ("java OR wheat", "--facet", "source"),
                   ("harvest -java",), ("title:crop",)]


@pytest.mark.parametrize("args", SYNONYM_QUERIES, ids=" ".join)
def test_synonyms_widen_queries_alike(indexes, args):
    ours, theirs = both(indexes, *args, "--synonyms", SYNONYMS)
    assert theirs["total"] == ours["total"]
    assert sorted(ids(theirs)) == sorted(ids(ours))
    assert theirs["facets"] == ours["facets"] and theirs["relaxed"] == ours["relaxed"]
    marked = [{h["id"]: h["title_highlights"] for h in answer["hits"]} for answer in (ours, theirs)]
    assert marked[1] == marked[0]


def test_synonyms_change_what_opensearch_finds(indexes):
    plain = query_json(indexes[1], "java")
    widened = query_json(indexes[1], "java", "--synonyms", SYNONYMS)
    assert plain["total"] == 0 and ids(widened) == ["coffee"]
    assert "us-reuters" in ids(query_json(indexes[1], "america", "--synonyms", SYNONYMS))


# --- languages: German articles, --lang -----------------------------------------------------

#: Inflected and compound forms of the German stories: the same articles on both engines.
GERMAN_QUERIES = [
    "Regierung", "Regierungen", "berichtet", "berichtete", "Sprecherin", "Häuser", "Haeuser",
    "Häusern", "Steuer", "Steuern", "Präsidentin", "Verhandlung", "Gespräch", "Schule", "Schulen",
    "Straßenbahn", "Strassenbahn", "Bahn", "Grippe", "Kinder", "Verkehr", "Wahlen", "Lücken",
    "Kommunalwahlen", "Wahl", "Ministerium", "Regierung berichtet", '"Straßenbahn entgleist"',
    '"Steuern auf Tabak"', "Schul*", "Regierungen NOT Wien", "title:Steuerreform",
    "governments", "president",
]


@pytest.mark.parametrize("query", GERMAN_QUERIES)
def test_german_word_forms_find_the_same_articles(indexes, query):
    ours, theirs = both(indexes, query, "--facet", "language")
    assert theirs["total"] == ours["total"] > 0
    assert sorted(ids(theirs)) == sorted(ids(ours))
    assert theirs["facets"] == ours["facets"]
    snippets = [{h["id"]: h["snippets"] for h in answer["hits"]} for answer in (ours, theirs)]
    assert snippets[1] == snippets[0]


def test_compound_parts_are_found_in_more_words_on_opensearch(indexes):
    """The known difference, pinned: Lucene's decompounder takes any
    dictionary word inside a compound as a part, `decompound.split` only
    the parts of the best split. So OpenSearch finds everything the embedded
    engine finds, and "Minister" also in "Gesundheitsministerium",
    "Präsident" in "Präsidentin" (docs/opensearch.md, German)."""
    for query, extra in (("Minister", "schule.txt"), ("Präsident", "verhandlung.txt")):
        ours, theirs = both(indexes, query)
        assert set(ids(theirs)) == set(ids(ours)) | {extra} and extra not in ids(ours)


def test_german_forms_reach_the_german_stories(indexes):
    url = indexes[1]
    assert "hochwasser.txt" in ids(query_json(url, "Haeuser"))      # umlaut written out
    assert "de_wahl.txt" in ids(query_json(url, "Wahlen"))          # a compound's part
    assert "regierung.txt" in ids(query_json(url, "berichtet"))     # berichtete, one stem
    # German analysis is not asked of the English stories: "Schulen" is one
    # German story, not the English "Schools" (schul, not school).
    assert ids(query_json(url, "Schulen")) == ["schule.txt"]


@pytest.mark.parametrize("lang", ["de", "en", "de,en"])
def test_lang_names_the_analyses_alike(indexes, lang):
    for query in ("Lücken", "Regierungen", "Wahlen", "governments", "Steuern", "Idlib",
                  "présidents"):
        ours, theirs = both(indexes, query, "--lang", lang)
        assert theirs["total"] == ours["total"], (query, lang)
        assert sorted(ids(theirs)) == sorted(ids(ours))


def test_the_language_filter_and_facet_agree(indexes):
    for args in (("Regierung", "--filter", "language=de"), ("", "--filter", "language=en"),
                 ("Idlib", "--filter", "language=fr")):
        ours, theirs = both(indexes, *args, "--facet", "language")
        assert sorted(ids(theirs)) == sorted(ids(ours)) and theirs["facets"] == ours["facets"]


def test_the_article_page_lights_up_german_words_alike(indexes):
    from search import NewsIndex

    spans = []
    for target in indexes:
        with NewsIndex.open(target) as ix, ix.snapshot() as snap:
            spans.append([snap.highlight(snap.get(article_id), query) for article_id, query in
                          (("de_wahl.txt", "Wahlen"), ("hochwasser.txt", "Haeuser berichtete"),
                           ("markets.txt", "governments"))])
    assert spans[1] == spans[0]
    assert all(title or body for title, body in spans[1])


def test_add_detects_a_german_article_and_analyses_it_in_german(opensearch_url,
                                                                   opensearch_client):
    from search import NewsIndex

    url = f"opensearch://{opensearch_url.removeprefix('http://')}/options-add"
    text = (GERMAN / "schule.txt").read_text(encoding="utf-8")
    title, body = text.split("\n", 1)
    try:
        with NewsIndex.create(url, overwrite=True) as ix:
            ix.add([Article(id="schule", title=title, body=body)])  # no language given
            assert ix.get("schule").language == "de"
            assert [h.id for h in ix.search("Grippewellen").hits] == ["schule"]
    finally:
        opensearch_client.indices.delete(index="options-add", ignore_unavailable=True)


def test_a_language_opensearch_does_not_analyse_is_one_line(indexes):
    one_line_exit_2(*run("query", "vláda", "--lang", "cs", "--index", indexes[1]),
                    "Czech analysis is not supported on an OpenSearch index")
    one_line_exit_2(*run("query", "x", "--lang", "klingon!", "--index", indexes[1]),
                    "not a language code")


def test_german_analysis_matches_the_embedded_analyzer(indexes, opensearch_client):
    """OpenSearch's ``title.de`` analyzer gives every term the embedded
    engine's German analysis gives, at its position; it may give more: a
    compound's parts are found as any dictionary word in it (Lucene's
    decompounder), not by the best split (docs/opensearch.md)."""
    from search.text.analysis import NewsAnalyzer

    name = indexes[1].rsplit("/", 1)[1]
    analyzer, unstemmed = NewsAnalyzer(), NewsAnalyzer(stemming=False)
    texts = [path.read_text(encoding="utf-8") for path in sorted(GERMAN.glob("*.txt"))
             if path.name != "markets.txt"]
    texts += ["Die Sicherheitslücken wurden berichtet, sagte die Sprecherin.",
              "Praesident, Präsident, Prasident; Straßenbahn-Haltestelle; COVID-19 am 3. März"]
    for text in texts:
        ours = {(t.text, t.pos) for t in analyzer(text, positions=True, language="de",
                                                  mode="index")}
        answer = opensearch_client.indices.analyze(index=name, body={"field": "body.de",
                                                                     "text": text})
        theirs = {(t["token"], t["position"]) for t in answer["tokens"]}
        assert ours <= theirs, sorted(ours - theirs)
        # What is added is compound parts: only at words of 8 letters or more.
        words = {t.pos: t.text for t in unstemmed(text, positions=True, mode="index")}
        assert all(len(words[pos]) >= 8 for _, pos in theirs - ours), sorted(theirs - ours)


def test_the_german_stem_rules_are_current(opensearch_client):
    """german_stems.txt holds exactly the dictionary words OpenSearch's
    german2 stems otherwise than PyStemmer (regenerate with
    bench/opensearch_german_stems.py after upgrading either)."""
    from search.engine.opensearch import german

    assert german.differing_rules(opensearch_client) == list(german.stem_rules())


# --- German on 10kGNAD ---------------------------------------------------------------------

GNAD = ROOT.parent / "shared" / "corpora" / "10kgnad" / "test.csv"
GNAD_SAMPLE = 300


@pytest.mark.skipif(not GNAD.exists(), reason="../shared/corpora/10kgnad not available")
def test_german_queries_on_10kgnad_find_at_least_the_embedded_hits(
        opensearch_url, opensearch_client, tmp_path):
    """The 20 judged German queries of bench/german_queries.tsv on the first
    300 articles of 10kGNAD (read from ../shared, written to a temporary
    JSON Lines file, never into the repository): OpenSearch finds every
    article the embedded engine finds, and each article it finds besides
    has a compound holding the query word's stem — the decompounders'
    difference, nothing else."""
    import csv
    import re

    from search.text.analysis import fold
    from search.text.analysis_lang import word_terms

    with open(GNAD, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";", quotechar="'"))[:GNAD_SAMPLE]
    bodies = {f"gnad-{i}": text for i, (_, text) in enumerate(rows)}
    jsonl(tmp_path, "gnad.jsonl", [Article(id=i, title="", body=b) for i, b in bodies.items()])
    name = "options-gnad"
    embedded, url = built_on_both([tmp_path / "gnad.jsonl"], name, opensearch_url,
                                  opensearch_client, tmp_path / "index")
    queries = [line.split("\t")[0] for line in
               (ROOT / "bench" / "german_queries.tsv").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    same = 0
    try:
        for query in queries:
            ours, theirs = (set(ids(query_json(target, query, "--limit", "1000")))
                            for target in (embedded, url))
            assert ours <= theirs, (query, sorted(ours - theirs))
            stem = word_terms("de")(query)[0][0][0]
            for extra in theirs - ours:
                # (A hyphenated word's joined form is split too: "Taliban-Kämpfern".)
                compounds = {fold(w.replace("-", "")) for w in
                             re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", bodies[extra])}
                assert any(stem in word for word in compounds), (query, extra)
            same += ours == theirs
    finally:
        opensearch_client.indices.delete(index=name, ignore_unavailable=True)
    assert len(queries) == 20 and same >= 1
