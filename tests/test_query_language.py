"""The query language, facets, sorts and snippets, end to end on real indexes:
one test per operator and feature, each able to fail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from search import Article, NewsIndex, QueryError
from search.render import mark, results_text, snippet_line
from search.query.snippets import SCAN_CHARS

from .conftest import SEED_ID

NOW = datetime.now(timezone.utc)


def story(id_, title, body, days_ago=None, **kw):
    published = NOW - timedelta(days=days_ago) if days_ago is not None else None
    return Article(id=id_, title=title, body=body, published=published, **kw)


CORPUS = [
    story("a", "Turkey and Russia agree on Idlib patrols",
          "Turkey and Russia agreed on joint patrols in Idlib. Syrian refugees wait at the border.",
          days_ago=2, source="Reuters", section="World", tags=["Syria", "Turkey"],
          authors=["Jane Doe"], language="en"),
    story("b", "Russia warns Turkey over Idlib",
          "Moscow warned that Russian forces would respond. Turkey said its troops would stay.",
          days_ago=40, source="AFP", section="World", tags=["Syria", "Russia"],
          authors=["John Roe"], language="en"),
    story("c", "Missile defence talks stall",
          "Talks on the missile shield stalled again. Officials blamed Washington.",
          days_ago=400, source="Reuters", section="Politics", tags=["Defence"],
          authors=["Jane Doe"], language="en"),
    story("d", "Syrian economy shrinks",
          "The Syrian economy shrank for a fifth year, the central bank said.",
          source="Bloomberg", section="Markets", tags=["Syria", "Economy"], language="en"),
    story("e", "Ankara et Moscou d'accord",
          "La Turquie et la Russie se sont mises d'accord sur Idlib.",
          days_ago=1, source="AFP", section="Monde", tags=["Syria"], language="fr"),
    story("x", "A page with markup <script>alert(1)</script>",
          'Text with <img src=x onerror="alert(1)"> and <script>steal()</script> payloads '
          "about Idlib.", days_ago=5, source="Test", language="en"),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    path = tmp_path_factory.mktemp("ql") / "ix"
    index = NewsIndex.create(path)
    index.add(CORPUS)
    yield index
    index.close()


def ids(ix, query, **kw):
    return {h.id for h in ix.search(query, limit=100, **kw).hits}


# --- operators ------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("Turkey Russia", {"a", "b"}),                      # AND by default
    ("Turkey AND Russia", {"a", "b"}),
    ("Turkey && Russia", {"a", "b"}),
    ("missile OR economy", {"c", "d"}),
    ("missile || economy", {"c", "d"}),
    ("Idlib NOT Russia", {"e", "x"}),
    ("Idlib AND NOT Russia", {"e", "x"}),
    ("Idlib !Russia", {"e", "x"}),
    ("+Idlib -Russia", {"e", "x"}),
    ("(missile OR economy) AND Syrian", {"d"}),
    ('"joint patrols"', {"a"}),
    ('"patrols joint"', set()),
    ('"turkey russia"~3', {"a"}),                       # proximity
    ("title:(economy OR missile)", {"c", "d"}),
    ('title:"Russia warns"', {"b"}),
    ("title:idlib^3 Russia", {"a", "b"}),               # boost keeps matching
    ("missil*", {"c"}),                                  # prefix
    ("s?rian", {"a", "d"}),                              # wildcard
    ("Idlb~1", {"a", "b", "e", "x"}),                    # fuzzy
    ("author:\"jane doe\"", {"a", "c"}),
    ("tags:economy", {"d"}),
    ("source:afp", {"b", "e"}),
    ("lang:fr", {"e"}),
])
def test_operators(ix, query, expected):
    assert ids(ix, query) == expected


def test_any_switches_the_default_operator(ix):
    assert ids(ix, "missile economy", relax=False) == set()
    assert ids(ix, "missile economy", any_term=True) == {"c", "d"}


def test_boost_changes_the_order(ix):
    # "a" has both words (BM25F: a word in the title cannot score twice).
    plain = ix.search("Turkey OR Syrian").hits
    raised = ix.search("Turkey OR Syrian^5").hits
    damped = ix.search("Turkey OR Syrian^0.1").hits
    assert plain[0].id == "a" and raised[0].id == "d" and damped[-1].id == "d"
    assert {h.id for h in plain} == {h.id for h in damped} == {h.id for h in raised}


# --- dates ------------------------------------------------------------------------

def test_date_queries_absolute_and_relative(ix):
    year = NOW.year
    assert ids(ix, "published:[now-7d TO now]") == {"a", "e", "x"}
    assert ids(ix, "published:>=now-60d") == {"a", "b", "e", "x"}
    assert ids(ix, "", since="now-60d", until="now-3d") == {"b", "x"}
    assert "c" in ids(ix, f"published:[{year - 2} TO {year}]")
    assert ids(ix, "", since="now-3d") == {"a", "e"}


# --- strict and lenient ---------------------------------------------------------------

@pytest.mark.parametrize("query, column", [('Idlib "patrols', 7), ("(Idlib", 1),
                                           ("Idlib)", 6), ("title: Idlib", 6)])
def test_strict_errors_point_at_the_problem(ix, query, column):
    with pytest.raises(QueryError) as err:
        ix.search(query, strict=True)
    assert err.value.column == column


def test_lenient_reads_the_rest_and_warns(ix):
    res = ix.search('Idlib "patrols')
    assert res.warnings == ["col 7: unclosed quote (ignored)"]
    assert {h.id for h in res.hits} == {"a"}


def test_huge_wildcards_are_refused_with_a_message(tmp_path):
    words = " ".join(f"w{i}a{i}" for i in range(6000))
    with NewsIndex.create(tmp_path / "ix") as big:
        big.add([Article(id="big", title="many words", body=words)])
        with pytest.raises(QueryError, match="more specific"):
            big.search("*a*")
        assert big.search("w1a1").total == 1


# --- facets -----------------------------------------------------------------------------

def counts(res, name):
    return {c.value: c.count for c in res.facets[name]}


@pytest.mark.parametrize("name, expected", [
    ("source", {"Reuters": 1, "AFP": 2, "Test": 1}),
    ("section", {"World": 2, "Monde": 1}),
    ("authors", {"Jane Doe": 1, "John Roe": 1}),
    ("tags", {"Syria": 3, "Turkey": 1, "Russia": 1}),
    ("language", {"en": 3, "fr": 1}),
])
def test_terms_facets(ix, name, expected):
    assert counts(ix.search("Idlib", facets=[name]), name) == expected


def test_date_histograms(ix):
    res = ix.search("", facets=["year", "month", "day"], facet_limit=50)
    assert sum(counts(res, "year").values()) == 5          # d is undated
    assert counts(res, "day")[(NOW - timedelta(days=2)).strftime("%Y-%m-%d")] == 1
    assert all(len(v) == 7 for v in counts(res, "month"))


def test_multi_select_facets(ix):
    res = ix.search("Idlib", filters={"source": ["AFP"]}, facets=["source", "language"])
    assert {h.id for h in res.hits} == {"b", "e"}
    # The source facet ignores its own filter: other sources stay selectable.
    assert counts(res, "source") == {"Reuters": 1, "AFP": 2, "Test": 1}
    # Other facets follow every filter.
    assert counts(res, "language") == {"en": 1, "fr": 1}
    both = ix.search("Idlib", filters={"source": ["AFP", "Reuters"], "language": "en"},
                     facets=["source", "language"])
    assert {h.id for h in both.hits} == {"a", "b"}
    assert counts(both, "source") == {"Reuters": 1, "AFP": 1, "Test": 1}
    assert counts(both, "language") == {"en": 2, "fr": 1}


def test_facet_limit(ix):
    res = ix.search("", facets=["tags"], facet_limit=2)
    # Syria (4), then the ties (1 each) in alphabetical order.
    assert [c.value for c in res.facets["tags"]] == ["Syria", "Defence"]


# --- sorting ---------------------------------------------------------------------------------

def test_sorts(ix):
    newest = [h.id for h in ix.search("Idlib OR missile", sort="newest").hits]
    oldest = [h.id for h in ix.search("Idlib OR missile", sort="oldest").hits]
    assert newest == ["e", "a", "x", "b", "c"]
    assert oldest == ["c", "b", "x", "a", "e"]


def test_recent_sort_trades_relevance_for_age(ix):
    query = "Russia OR Turkey"
    relevance = [h.id for h in ix.search(query).hits]
    recent = [h.id for h in ix.search(query, sort="recent", half_life=3).hits]
    slow = [h.id for h in ix.search(query, sort="recent", half_life=100_000).hits]
    assert set(recent) == set(relevance) == {"a", "b"}
    assert recent[0] == "a"                 # two days old beats forty days old
    assert slow == relevance                # a huge half-life is plain relevance


# --- snippets ---------------------------------------------------------------------------------

def test_phrase_is_highlighted_as_a_phrase(ix):
    [hit] = ix.search('"joint patrols"').hits
    marked = [mark(s.text, s.highlights, "marks") for s in hit.snippets]
    assert any("[joint patrols]" in m for m in marked)


def test_phrase_words_alone_are_not_highlighted(tmp_path):
    body = ("The missile landed far away. Later the Patriot missile systems were moved. "
            "Another missile test was planned.")
    with NewsIndex.create(tmp_path / "ix") as one:
        one.add([Article(id="p", title="t", body=body)])
        [hit] = one.search('"Patriot missile systems"').hits
    marked = " ".join(mark(s.text, s.highlights, "marks") for s in hit.snippets)
    assert "[Patriot missile systems]" in marked
    assert "[missile]" not in marked


def test_negated_terms_are_not_highlighted(ix):
    [hit] = ix.search("Russia -Moscow").hits
    words = {s.text[a:b].lower() for s in hit.snippets for a, b in s.highlights}
    assert words == {"russia"}


def test_passages_are_sentences_with_most_distinct_terms(tmp_path):
    body = ("Idlib was quiet. " * 3 + "Talks on Idlib and Patriot deliveries continued in Ankara. "
            + "Patriot batteries were mentioned. " * 3)
    with NewsIndex.create(tmp_path / "ix") as one:
        one.add([Article(id="s", title="t", body=body)])
        [hit] = one.search("Idlib Patriot", snippets=1).hits
    [snippet] = hit.snippets
    assert snippet.text.startswith("Talks on Idlib and Patriot") or "Talks on Idlib" in snippet.text
    assert body[snippet.start:snippet.end].replace("\n", " ") == snippet.text


def test_title_is_highlighted_too(ix):
    [hit] = ix.search("economy").hits
    assert [hit.title[a:b] for a, b in hit.title_highlights] == ["economy"]


def test_html_output_escapes_article_markup(ix):
    res = ix.search("payloads")
    text = results_text(res, "html")
    assert "<script>" not in text and "onerror=\"" not in text
    assert "&lt;script&gt;" in text and "<mark>payloads</mark>" in text


def test_snippet_formats(ix):
    [hit] = ix.search("shrank").hits
    line = {style: snippet_line(hit.snippets, style) for style in ("marks", "ansi", "html", "none")}
    assert "[shrank]" in line["marks"]
    assert "\x1b[1;33mshrank\x1b[22;39m" in line["ansi"]
    assert "<mark>shrank</mark>" in line["html"]
    assert "shrank" in line["none"] and "[" not in line["none"]
    data = hit.snippets[0].to_dict()
    assert data["text"][slice(*data["highlights"][0])] == "shrank"


def test_long_articles_are_scanned_only_as_far_as_needed(tmp_path):
    filler = "Nothing to see in this sentence at all. " * (SCAN_CHARS // 40 + 200)
    body = "Idlib opens the story. " + filler + "Idlib again at the very end."
    with NewsIndex.create(tmp_path / "ix") as one:
        one.add([Article(id="long", title="t", body=body)])
        [hit] = one.search("Idlib").hits
        [late] = one.search("end").hits
    assert hit.snippets[0].start == 0 and "[Idlib]" in mark(
        hit.snippets[0].text, hit.snippets[0].highlights, "marks")
    # A match only past the scan limit: the article is found, the snippet is
    # its opening (the body was not analysed to the end).
    assert late.snippets[0].start == 0 and late.snippets[0].highlights == []


def test_seed_snippet_in_the_seed_corpus(seed_index):
    with NewsIndex.open(seed_index) as seed:
        [hit] = seed.search("Patriot Idlib").hits
    assert hit.id == SEED_ID
    assert all(s.text[a:b] in ("Patriot", "Idlib") for s in hit.snippets for a, b in s.highlights)


# --- did you mean, more like this ---------------------------------------------------------------

def test_did_you_mean_corrects_unknown_words(ix):
    res = ix.search("Sirian economy")
    assert res.suggestion == "Syrian economy"
    assert res.relaxed and res.total == 1            # "economy" alone: d
    assert ix.search(res.suggestion).total == 1
    assert ix.search("missle").suggestion == "missile"      # stem read back as a word
    assert ix.search("Idlib").suggestion is None             # found plenty
    assert ix.search("zzzzqqq").suggestion is None           # nothing close


def test_did_you_mean_in_text_and_json(cli, tmp_path):
    index = tmp_path / "ix"
    with NewsIndex.create(index) as one:
        one.add(CORPUS)
    text = cli("query", "Sirian", "--index", index)
    assert text.exit_code == 0 and 'Did you mean: "Syrian"?' in text.stdout
    data = __import__("json").loads(cli("query", "Sirian", "--index", index, "--json").stdout)
    assert data["suggestion"] == "Syrian"


def test_similar_articles(ix, cli, tmp_path):
    res = ix.similar("a", limit=3)
    assert res.hits and "a" not in [h.id for h in res.hits]
    assert res.hits[0].id == "b"          # the other Turkey–Russia–Idlib story
    # The total counts every similar article, not only the page shown.
    everything = ix.similar("a", limit=50)
    assert len(everything.hits) > 1
    assert ix.similar("a", limit=1).total == everything.total == len(everything.hits)
    with pytest.raises(QueryError, match="no article"):
        ix.similar("nope")
    index = tmp_path / "ix"
    with NewsIndex.create(index) as one:
        one.add(CORPUS)
    out = cli("similar", "a", "--index", index, "--json")
    assert out.exit_code == 0
    assert __import__("json").loads(out.stdout)["hits"][0]["id"] == "b"
    assert cli("similar", "nope", "--index", index).exit_code == 2
