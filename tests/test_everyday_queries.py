"""What people type works as they expect (issue 16): recency, wildcards on
words as written, negation, suggestions, acronyms, strictness, date facets,
relaxed natural-language queries. Real indexes of our own small articles."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from search import Article, NewsIndex, QueryError
from search.render import count

from .conftest import ROOT

NEWEST = datetime(2024, 6, 30, 12, tzinfo=timezone.utc)


def story(id_, title, body, days_before_newest=None, **kw):
    published = (NEWEST - timedelta(days=days_before_newest)
                 if days_before_newest is not None else None)
    return Article(id=id_, title=title, body=body, published=published, **kw)


CORPUS = [
    story("opec", "OPEC keeps oil output steady",
          "OPEC ministers kept oil output steady as oil prices rose.", 114,
          source="Reuters", topics=["crude"], places=["saudi-arabia"]),
    story("fresh", "Oil prices climb again",
          "Oil prices climbed for a third day; the minister said companies would invest.", 0,
          source="Reuters", topics=["crude"], places=["usa"]),
    story("coffee", "Coffee growers hope for rain",
          "Coffee prices fell as growers in Brazil waited for rain. Coffee stocks grew.", 31,
          source="BBC", topics=["coffee"], places=["brazil"]),
    story("blair", "Blair meets the prime minister of Italy",
          "Tony Blair met ministers in Rome to talk about trade companies.", 400,
          source="BBC", places=["italy", "uk"]),
    story("us-bbc", "US economy grows",
          "The US economy grew faster than expected, US officials said.", 2, source="BBC"),
    story("us-reuters", "U.S. jobs report beats forecasts",
          "The U.S. Labor Department said employers added jobs.", 3, source="Reuters"),
    story("uk-eu", "U.K. and E.U. agree trade terms",
          "The UK and the EU agreed terms; u.s. officials welcomed it.", 5, source="Reuters"),
    story("undated", "Grain harvest report", "Wheat and grain harvests were large.",
          source="AFP"),
    story("chess", "Chess pieces sold", "Carved pieces of an old chess set were sold; "
          "it comes with a board.", 60, source="AFP"),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    index = NewsIndex.create(tmp_path_factory.mktemp("everyday") / "ix")
    index.add(CORPUS)
    yield index
    index.close()


def ids(ix, query, **kw):
    return {h.id for h in ix.search(query, limit=100, **kw).hits}


# --- recency --------------------------------------------------------------------

def test_recent_sort_decays_by_half_life_in_days(ix):
    """An article 114 days older than the newest keeps 0.5^(114/30) of its
    relevance with a 30-day half-life, and that is the score reported."""
    plain = {h.id: h.score for h in ix.search("OPEC OR oil", limit=10).hits}
    recent = {h.id: h.score for h in ix.search("OPEC OR oil", sort="recent", limit=10).hits}
    assert recent["opec"] == pytest.approx(plain["opec"] * 0.5 ** (114 / 30), rel=1e-6)
    assert recent["fresh"] == pytest.approx(plain["fresh"], rel=1e-6)  # the newest: age 0


# --- counts and facets ----------------------------------------------------------

@pytest.mark.parametrize("n, noun, expected", [
    (0, "result", "0 results"), (1, "result", "1 result"), (1, "duplicate", "1 duplicate"),
    (1234, "duplicate", "1,234 duplicates")])
def test_counts_are_grammatical(n, noun, expected):
    assert count(n, noun) == expected


def test_date_facets_are_a_timeline_not_a_ranking(ix):
    res = ix.search("", facets=["month", "year", "source"], facet_limit=50)
    months = [c.value for c in res.facets["month"]]
    assert months == sorted(months) and len(months) == len(set(months)) > 3
    assert [c.value for c in res.facets["year"]] == ["2023", "2024"]
    # Other facets still rank by count.
    counts = [c.count for c in res.facets["source"]]
    assert counts == sorted(counts, reverse=True)


def test_date_facet_limit_keeps_the_latest_periods(ix):
    res = ix.search("", facets=["day"], facet_limit=2)
    assert [c.value for c in res.facets["day"]] == ["2024-06-28", "2024-06-30"]


def test_limit_zero_gives_totals_and_facets_only(ix):
    res = ix.search("oil", limit=0, facets=["source"])
    assert res.hits == [] and res.total == 2
    assert [(c.value, c.count) for c in res.facets["source"]] == [("Reuters", 2)]


def test_limit_zero_on_the_command_line(cli, tmp_path):
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS)
    out = cli("query", "oil", "--index", path, "--limit", "0", "--facet", "source")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.startswith("2 results for \"oil\" · ")
    assert "showing" not in out.stdout and "Reuters (2)" in out.stdout


# --- broken pipes -----------------------------------------------------------------

@pytest.mark.parametrize("args", [["query", "--help"], ["query", ""], ["stats"]])
def test_a_closed_pipe_is_not_an_error_message(args, tmp_path):
    """`newssearch query --help | head`: the reader has gone before we
    write; nothing may be printed about it."""
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: every write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from search.cli import main; main()", *args,
             *(["--index", str(path)] if args != ["query", "--help"] else [])],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert "BrokenPipe" not in done.stderr


# --- negation ---------------------------------------------------------------------

@pytest.mark.parametrize("query", ["-blair", "NOT blair", "-Blair", "(-blair)"])
def test_a_purely_negative_query_is_everything_but(ix, query):
    everything = {a.id for a in CORPUS}
    assert ids(ix, query) == everything - {"blair"}
    assert ix.search(query).total == len(everything) - 1


def test_several_exclusions_and_filters_and_facets(ix):
    assert ids(ix, "-blair -coffee") == {a.id for a in CORPUS} - {"blair", "coffee"}
    both = ix.search("-oil", filters={"source": "Reuters"}, facets=["year"], limit=100)
    assert {h.id for h in both.hits} == {"us-reuters", "uk-eu"}
    assert [(c.value, c.count) for c in both.facets["year"]] == [("2024", 2)]
    same = ix.search("NOT oil", filters={"source": "Reuters"}, facets=["year"], limit=100)
    assert same.total == both.total == 2


# --- natural language: relaxed AND ------------------------------------------------

def test_a_question_no_article_answers_word_for_word_is_relaxed(ix):
    res = ix.search("why are oil prices rising so fast")
    assert res.relaxed and res.total > 0
    assert res.hits[0].id == "fresh"            # oil + prices (+ more) first
    strict = ix.search("why are oil prices rising so fast", relax=False)
    assert strict.total == 0 and not strict.relaxed


def test_relaxed_hits_with_more_of_the_words_come_first(ix):
    # coffee has "coffee" and "growers"; the oil stories have "oil" only,
    # however often they repeat it.
    res = ix.search("oil coffee growers", limit=10)
    assert res.relaxed
    assert [h.id for h in res.hits][0] == "coffee"
    assert {h.id for h in res.hits} == {"coffee", "opec", "fresh"}


def test_an_and_query_with_hits_is_not_relaxed(ix):
    res = ix.search("oil prices")
    assert not res.relaxed and {h.id for h in res.hits} == {"opec", "fresh"}


def test_relaxing_keeps_exclusions(ix):
    assert ids(ix, "oil coffee growers -opec") == {"coffee", "fresh"}


def test_relaxed_in_json_and_text(cli, tmp_path):
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS)
    import json
    out = cli("query", "why are oil prices rising so fast", "--index", path, "--json")
    assert out.exit_code == 0 and json.loads(out.stdout)["relaxed"] is True
    plain = cli("query", "oil prices", "--index", path, "--json")
    assert json.loads(plain.stdout)["relaxed"] is False
    text = cli("query", "why are oil prices rising so fast", "--index", path)
    assert text.stdout.splitlines()[1] == (
        "No article has all the words; showing articles with most of them")


# --- the web page -------------------------------------------------------------------

@pytest.fixture
def client(tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search.web.app import create_app

    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS)
    with TestClient(create_app(path)) as test_client:
        yield test_client


def test_page_sidebar_offers_every_facet_the_index_holds(client):
    html = client.get("/", params={"q": "oil"}).text
    assert 'id="facet-places"' in html and 'id="facet-topics"' in html
    assert 'id="facet-source"' in html
    assert 'id="facet-section"' not in html      # no article has a section
    assert "saudi-arabia" in html


def test_page_offers_the_recent_sort_and_the_relaxed_notice(client):
    html = client.get("/", params={"q": "why are oil prices rising so fast"}).text
    assert "sort=recent" in html and ">Recent<" in html
    assert "No article has all the words; showing articles with most of them" in html
    assert "No article has all the words" not in client.get("/", params={"q": "oil"}).text
    assert client.get("/api/search", params={
        "q": "why are oil prices rising so fast"}).json()["relaxed"] is True


def test_api_limit_zero_gives_totals_and_facets(client):
    data = client.get("/api/search", params={"q": "oil", "limit": 0, "facet": "places"}).json()
    assert data["hits"] == [] and data["total"] == 2
    assert {c["value"] for c in data["facets"]["places"]} == {"saudi-arabia", "usa"}


@pytest.mark.parametrize("query", ["oil AND coffee", "oil && coffee", "+oil +coffee"])
def test_an_explicit_and_is_never_relaxed(ix, query):
    res = ix.search(query)
    assert res.total == 0 and not res.relaxed


# --- wildcards and fuzzy words match words as written -----------------------------------

@pytest.mark.parametrize("query, expected", [
    ("m?nister", {"fresh", "blair"}),           # "minister", not "ministers"
    ("*companies", {"fresh", "blair"}),
    ("minist*", {"fresh", "blair", "opec"}),
    ("ministr~1", {"fresh", "blair"}),
    ("title:m?nister", {"blair"}),
    ("body:*companies", {"fresh", "blair"}),
    ("oil -m?nister", {"opec"}),
])
def test_patterns_match_words_as_written(ix, query, expected):
    assert ids(ix, query) == expected


def test_highlights_mark_the_words_a_pattern_matched(ix):
    hits = {h.id: h for h in ix.search("m?nister", limit=10).hits}
    fresh = hits["fresh"].snippets[0]
    assert [fresh.text[a:b] for a, b in fresh.highlights] == ["minister"]
    blair = hits["blair"]
    assert [blair.title[a:b] for a, b in blair.title_highlights] == ["minister"]
    # Its body says "ministers": not what the pattern matched.
    assert all(not s.highlights for s in blair.snippets)


def test_pattern_limits_still_apply(ix):
    with pytest.raises(QueryError, match="more than"):
        from search.engine.whoosh.querying import execute as searcher
        old = searcher.MAX_EXPANSIONS
        searcher.MAX_EXPANSIONS = 3
        try:
            ix.search("*e*")
        finally:
            searcher.MAX_EXPANSIONS = old


def test_an_index_of_the_previous_format_asks_for_a_rebuild(tmp_path, cli):
    import json

    from search.engine.whoosh.schema import SCHEMA_VERSION
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS[:1])
    manifest = next(p for p in path.iterdir() if p.suffix == ".json")
    data = json.loads(manifest.read_text())
    data["schema_version"] = SCHEMA_VERSION - 1
    manifest.write_text(json.dumps(data))
    out = cli("query", "oil", "--index", path)
    assert out.exit_code == 2 and "rebuild" in out.stderr


# --- did you mean -------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("cofee", "coffee"),                  # a real word, not the stem "coffe"
    ("Cofee", "Coffee"),
    ("oil pirces", "oil prices"),         # a swap is one edit; "pieces" is rarer
    ("minster", "minister"),
    ("oil prices", None),                 # nothing unknown
    ("zzzzqqq", None),                    # nothing close
])
def test_did_you_mean_proposes_frequent_real_words(ix, query, expected):
    assert ix.search(query).suggestion == expected


def test_a_suggestion_finds_more_than_the_query(ix):
    res = ix.search("oil pirces")
    assert res.relaxed and res.suggestion == "oil prices"
    assert ix.search(res.suggestion).total == 2 > ix.search("oil pirces", relax=False).total


# --- strict mode --------------------------------------------------------------------------

@pytest.mark.parametrize("query, column, message", [
    ("blair AND", 7, "nothing after 'AND'"),
    ("OR blair", 1, "nothing before 'OR'"),
    ("(blair NOT) oil", 8, "nothing after 'NOT'"),
    ("published:[2005 TO 2004]", 12, "ends before it starts"),
    ("blair^abc", 6, "a boost must be a number"),
    ('"prime minister"^abc', 17, "a boost must be a number"),
    ('"prime minister" OR', 18, "nothing after 'OR'"),
])
def test_strict_mode_rejects_with_the_column(ix, cli, tmp_path, query, column, message):
    with pytest.raises(QueryError) as raised:
        ix.search(query, strict=True)
    assert raised.value.column == column and message in raised.value.reason
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS[:1])
    out = cli("query", "--strict", "--index", path, "--", query)
    assert out.exit_code == 2
    assert out.stderr.startswith(f"newssearch: error: col {column}: ") and out.stderr.count("\n") == 1


@pytest.mark.parametrize("query, expected", [
    ("blair AND", {"blair"}),
    ("blair^abc", {"blair"}),
    ('"prime minister" AND', {"blair"}),
])
def test_lenient_mode_reads_them_with_a_warning(ix, query, expected):
    res = ix.search(query)
    assert {h.id for h in res.hits} == expected and res.warnings


def test_a_reversed_date_range_is_read_the_right_way_round_when_lenient(ix):
    res = ix.search("oil published:[2024-06 TO 2024-03]", limit=10)
    assert {h.id for h in res.hits} == {"opec", "fresh"}
    assert "ends before it starts" in res.warnings[0]


def test_an_operator_joins_a_phrase(ix):
    # The linter once read a quoted phrase as nothing, dropped the OR as
    # dangling, and "oil prices" OR gold asked for both.
    for query in ('"prime minister" OR oil', 'oil OR "prime minister"',
                  '"prime minister" || oil', '"prime minister" OR "oil"'):
        res = ix.search(query, limit=50, strict=True)
        assert not res.warnings
        assert ids(ix, query) == ids(ix, '"prime minister"') | ids(ix, "oil")
    assert ids(ix, '"prime minister" AND oil') == ids(ix, '"prime minister"') & ids(ix, "oil")


@pytest.mark.parametrize("query", ["War AND Peace", '"blair AND"', "a AND NOT b", "x^1.5",
                                   "published:[2004 TO 2005]", "(a OR b) AND c"])
def test_strict_mode_accepts_well_formed_queries(ix, query):
    ix.search(query, strict=True)


# --- acronyms ------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["U.S.", "US", "U.S", "u.s.", "us"])
def test_us_is_us_however_it_is_written(ix, query):
    # BBC writes US, Reuters U.S.; the third story has "u.s." in its body.
    assert ids(ix, query) == {"us-bbc", "us-reuters", "uk-eu"}


@pytest.mark.parametrize("query, expected", [
    ("title:U.S.", {"us-reuters", "us-bbc"}), ("title:US", {"us-reuters", "us-bbc"}),
    ("U.K.", {"uk-eu"}), ("UK", {"uk-eu"}), ("E.U.", {"uk-eu"}), ("eu", {"uk-eu"}),
    ('"U.S. economy"', {"us-bbc"}), ('"US Labor Department"', {"us-reuters"}),
    ('"u.s. officials"', {"us-bbc", "uk-eu"}),
])
def test_acronyms_in_titles_bodies_and_phrases(ix, query, expected):
    assert ids(ix, query) == expected


def test_acronym_highlights_cover_the_word(ix):
    hit = next(h for h in ix.search("US", limit=10).hits if h.id == "us-reuters")
    assert [hit.title[a:b] for a, b in hit.title_highlights] == ["U.S"]


# --- synonyms ---------------------------------------------------------------------------------

SYNONYMS = ROOT / "tests" / "fixtures" / "synonyms" / "news.txt"


@pytest.fixture(scope="module")
def synonyms():
    from search import Synonyms
    return Synonyms.load(SYNONYMS)


def test_synonyms_widen_words_to_their_equivalents(ix, synonyms):
    assert ids(ix, "java") == set()
    assert ids(ix, "java", synonyms=synonyms) == {"coffee"}
    assert ids(ix, "crops", synonyms=synonyms) == {"undated"}      # analysed: crops = crop
    # "america" → us (and the phrase "united states"): every US story.
    assert ids(ix, "america", synonyms=synonyms) == {"us-bbc", "us-reuters", "uk-eu"}


def test_explicit_mappings_replace_the_word(ix, synonyms):
    assert ids(ix, '"labour department"', synonyms=synonyms) == set()  # a phrase: unchanged
    assert ids(ix, "labour", synonyms=synonyms) == {"us-reuters"}


def test_synonyms_on_the_command_line_and_errors(cli, tmp_path):
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS)
    import json
    out = cli("query", "java", "--index", path, "--synonyms", SYNONYMS, "--json")
    assert out.exit_code == 0 and [h["id"] for h in json.loads(out.stdout)["hits"]] == ["coffee"]
    missing = cli("query", "java", "--index", path, "--synonyms", tmp_path / "nope.txt")
    assert missing.exit_code == 2 and "cannot read synonyms file" in missing.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("coffee, , java\n")
    broken = cli("query", "java", "--index", path, "--synonyms", bad)
    assert broken.exit_code == 2 and "line 1: an empty synonym" in broken.stderr


def test_synonyms_in_the_server(tmp_path, synonyms):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search.web.app import create_app
    path = tmp_path / "ix"
    with NewsIndex.create(path) as index:
        index.add(CORPUS)
    with TestClient(create_app(path, synonyms=synonyms)) as client:
        data = client.get("/api/search", params={"q": "java"}).json()
    assert [h["id"] for h in data["hits"]] == ["coffee"]


def test_relaxed_scores_are_plain_relevance(ix):
    """The per-word constants that order a relaxed query are not in the
    scores shown: they are the OR query's own."""
    relaxed = {h.id: h.score for h in ix.search("oil coffee growers").hits}
    ored = {h.id: h.score for h in ix.search("oil coffee growers", any_term=True).hits}
    assert relaxed.keys() == ored.keys()
    assert all(relaxed[i] == pytest.approx(ored[i], rel=1e-9) for i in relaxed)


def test_strict_errors_in_the_http_api_name_the_column(client):
    answer = client.get("/api/search", params={"q": "blair AND", "strict": "1"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "nothing after 'AND'", "parameter": "q", "column": 7}


def test_index_summary_says_1_duplicate(cli, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    text = "Harbour ferry resumes\n\nThe harbour ferry resumed sailings on Monday.\n"
    (folder / "a.txt").write_text(text)
    (folder / "b.txt").write_text(text)  # the same story twice
    out = cli("index", folder, "--index", tmp_path / "ix")
    assert out.exit_code == 0, out.stderr
    assert ", 1 duplicate" in out.stdout and "1 duplicates" not in out.stdout
    assert cli("query", "ferry", "--index", tmp_path / "ix").stdout.startswith("1 result for")
