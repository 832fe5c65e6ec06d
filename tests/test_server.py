"""The web app (`newssearch serve`): every endpoint through FastAPI's test
client, against real indexes built in tmp_path.

The articles below are written for these tests (a fictional harbour town);
one carries `<script>` and `onerror=` payloads that must stay text. The
browser tests and docs/make_screenshot.py use them too.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("jinja2")
from fastapi.testclient import TestClient  # noqa: E402

from search import Article, NewsIndex  # noqa: E402
from search.web.app import MAX_LIMIT, MAX_QUERY_CHARS, create_app  # noqa: E402
from search.web.views import article_url  # noqa: E402

UTC = timezone.utc
XSS_ID = "opinion/letters-007.txt"
XSS_TITLE = 'Reader asks: is <script>alert(1)</script> a ferry timetable?'
XSS_BODY = ('A reader sent us this ferry "timetable": <img src=x onerror="alert(1)"> '
            'and <script>alert(1)</script>. We print it as text.\n\n'
            'Letters may be edited for length & clarity.')


def news_articles() -> list[Article]:
    """Eighteen dated stories from three outlets; thirteen mention the ferry."""
    def day(month: int, d: int, hour: int = 9) -> datetime:
        return datetime(2024, month, d, hour, tzinfo=UTC)

    def story(id, title, body, source, section, tags, when, authors=(), related=()):
        return Article(id=id, title=title, body=body, source=source, section=section,
                       tags=list(tags), published=when, authors=list(authors),
                       related=list(related), language="en",
                       url=f"https://news.example/{id.replace('/', '-')}")

    return [
        story("local/ferry-strike.txt", "Ferry crews walk out over night shifts",
              "Ferry crews on the Port Alder crossing began a strike at dawn, stranding "
              "commuters on both sides of the estuary.\n\nThe union said night shifts had "
              "doubled since January. The operator said talks would resume on Monday.",
              "Alder Gazette", "Local", ["Transport", "Ferries", "Unions"], day(1, 8),
              ["Mara Quill"], ["Commuters queue for buses as ferries halt"]),
        story("local/ferry-talks.txt", "Ferry strike talks resume with a new offer",
              "Talks to end the ferry strike resumed with a new pay offer on the table. "
              "Union leaders said they would put it to members this week.",
              "Northshore Post", "Local", ["Transport", "Ferries", "Unions"], day(1, 15),
              ["Tom Reyes"]),
        story("local/ferry-deal.txt", "Ferry strike ends after two weeks",
              "The ferry strike ended after two weeks when crews accepted a revised offer on "
              "night shifts. Sailings resume at six tomorrow morning.",
              "Coastline Wire", "Local", ["Transport", "Ferries"], day(1, 22)),
        story("business/harbour-001.txt", "Harbour expansion plan wins council vote",
              "The council approved the harbour expansion by seven votes to four. The plan "
              "adds a second ferry berth and a freight quay.\n\nOpponents warned about "
              "dredging in the estuary.",
              "Alder Gazette", "Business", ["Council", "Harbour", "Economy"], day(2, 2),
              ["Mara Quill"]),
        story("business/harbour-002.txt", "Freight firms welcome bigger harbour",
              "Freight operators said the larger harbour would cut waiting times. A ferry "
              "operator said the second berth would allow hourly sailings in summer.",
              "Coastline Wire", "Business", ["Harbour", "Economy"], day(2, 9)),
        story("weather/storm-eunice.txt", "Storm cancels ferry sailings for a second day",
              "Gales of up to ninety miles an hour cancelled every ferry sailing for a second "
              "day. The coastguard asked people to keep away from the sea wall.",
              "Northshore Post", "Weather", ["Weather", "Ferries"], day(2, 18, 7),
              ["Tom Reyes"]),
        story("weather/flood-warning.txt", "Flood warning for the low town",
              "A flood warning was issued for the low town after the storm surge. Sandbags are "
              "available at the fire station.",
              "Alder Gazette", "Weather", ["Weather", "Flooding"], day(2, 19)),
        story("local/bridge-survey.txt", "Survey backs a bridge over the estuary",
              "A survey of residents found most would prefer a bridge to the ferry, if it "
              "could be built without tolls. Engineers put the cost at 400 million.",
              "Northshore Post", "Politics", ["Transport", "Council", "Bridge"], day(3, 4)),
        story("local/bridge-cost.txt", "Bridge cost estimate doubles",
              "The estimated cost of an estuary bridge has doubled, according to council "
              "papers. The ferry would keep running for at least ten years either way.",
              "Coastline Wire", "Politics", ["Council", "Bridge"], day(3, 12)),
        story("local/ferry-fares.txt", "Ferry fares to rise by five per cent",
              "Ferry fares will rise by five per cent in April, the operator said, blaming "
              "fuel costs and the new night-shift agreement.",
              "Alder Gazette", "Business", ["Ferries", "Economy"], day(3, 20),
              ["Mara Quill"]),
        story("local/ferry-new-boat.txt", "New electric ferry arrives from the yard",
              "The first electric ferry for the crossing arrived from the shipyard. It carries "
              "forty cars and charges at the harbour in twelve minutes.",
              "Northshore Post", "Local", ["Ferries", "Environment"], day(4, 3),
              ["Tom Reyes"]),
        story("local/ferry-trials.txt", "Electric ferry sea trials go well",
              "Sea trials of the electric ferry went well, the operator said, with passenger "
              "service due to start in May.",
              "Coastline Wire", "Local", ["Ferries", "Environment"], day(4, 17)),
        story("environment/seals.txt", "Seal colony returns to the harbour mouth",
              "A colony of grey seals has returned to the harbour mouth for the first time in "
              "a decade. Wildlife officers asked ferry passengers not to feed them.",
              "Alder Gazette", "Environment", ["Environment", "Wildlife"], day(4, 25)),
        story("local/ferry-service.txt", "Electric ferry enters passenger service",
              "The electric ferry carried its first passengers across the estuary on Friday. "
              "The operator said the quieter boat would cut fuel bills by half.",
              "Northshore Post", "Local", ["Ferries", "Environment", "Transport"], day(5, 10)),
        story("politics/election.txt", "Harbour ward elects first Green councillor",
              "The harbour ward elected its first Green councillor, who campaigned against "
              "dredging and for cheaper ferry fares.",
              "Coastline Wire", "Politics", ["Council", "Elections"], day(5, 3)),
        story("business/fish-market.txt", "Fish market moves to the new quay",
              "The fish market will move to the new freight quay next year, freeing the old "
              "market hall for housing.",
              "Alder Gazette", "Business", ["Harbour", "Economy"], day(6, 1)),
        story("local/festival.txt", "Harbour festival draws record crowds",
              "A record forty thousand people came to the harbour festival. Extra ferry "
              "sailings ran until midnight.",
              "Northshore Post", "Local", ["Events", "Ferries"], day(6, 22)),
        Article(id=XSS_ID, title=XSS_TITLE, body=XSS_BODY, source="Alder Gazette",
                section="Opinion", tags=["Letters", "Ferries"], published=day(6, 24),
                url="javascript:alert(1)"),
    ]


def build_news_index(path: Path) -> Path:
    with NewsIndex.create(path) as ix:
        report = ix.add(news_articles())
    assert report.added == len(news_articles()), report
    return path


@pytest.fixture
def news_index(tmp_path) -> Path:
    return build_news_index(tmp_path / "news-index")


@pytest.fixture
def client(news_index):
    with TestClient(create_app(news_index)) as test_client:
        yield test_client


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "parameter", "column"}
    return body


# --- /api/search -----------------------------------------------------------------

def test_search_has_the_json_contract_shape(client):
    data = client.get("/api/search", params={"q": "ferry strike"}).json()
    assert set(data) == {"query", "total", "page", "limit", "took_ms", "hits", "facets",
                         "warnings", "suggestion", "relaxed"}
    assert data["query"] == "ferry strike" and data["total"] == 3
    hit = data["hits"][0]
    for key in ("id", "score", "title", "source", "published", "url", "section", "tags",
                "authors", "path", "snippets", "title_highlights"):
        assert key in hit
    assert {h["id"] for h in data["hits"]} == {
        "local/ferry-strike.txt", "local/ferry-talks.txt", "local/ferry-deal.txt"}


def test_snippets_carry_offsets_and_escaped_html(client, news_index):
    data = client.get("/api/search", params={"q": "estuary"}).json()
    with NewsIndex.open(news_index) as ix:
        bodies = {a.id: a.body for a in ix.articles()}
    marked_hits = 0
    for hit in data["hits"]:
        for snippet in hit["snippets"]:
            text = snippet["text"]
            assert bodies[hit["id"]][snippet["start"]:snippet["end"]].replace("\n", " ") == text
            marked = [text[s:e] for s, e in snippet["highlights"]]
            assert all(m.lower() == "estuary" for m in marked)
            assert snippet["html"].count("<mark>") == len(marked)
            if marked:  # (a hit matching in its title only shows its opening)
                assert "<mark>estuary</mark>" in snippet["html"]
                marked_hits += 1
    assert marked_hits >= 4


def test_script_payloads_are_escaped_in_json_html(client):
    data = client.get("/api/search", params={"q": "timetable"}).json()
    hit = next(h for h in data["hits"] if h["id"] == XSS_ID)
    assert hit["title"] == XSS_TITLE  # the raw text is data, unchanged
    html = " ".join(s["html"] for s in hit["snippets"])
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "onerror=&quot;alert(1)&quot;" in html


def test_paging_and_limit(client):
    first = client.get("/api/search", params={"q": "ferry", "limit": 5}).json()
    second = client.get("/api/search", params={"q": "ferry", "limit": 5, "page": 2}).json()
    assert first["total"] == second["total"] >= 13
    assert len(first["hits"]) == 5 and second["page"] == 2
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    past = client.get("/api/search", params={"q": "ferry", "page": 50}).json()
    assert past["hits"] == [] and past["total"] == first["total"]


def test_sort_newest_and_oldest(client):
    newest = client.get("/api/search", params={"q": "ferry", "sort": "newest",
                                               "limit": 100}).json()["hits"]
    dates = [h["published"] for h in newest]
    assert dates == sorted(dates, reverse=True)
    oldest = client.get("/api/search", params={"q": "ferry", "sort": "oldest"}).json()["hits"]
    assert oldest[0]["id"] == "local/ferry-strike.txt"


def test_filters_and_facets_round_trip(client):
    base = client.get("/api/search", params={"q": "ferry", "facet": ["source", "tags"]}).json()
    counts = {c["value"]: c["count"] for c in base["facets"]["source"]}
    assert sum(counts.values()) == base["total"]
    # one value: the total is that value's count, and the source facet stays multi-select
    one = client.get("/api/search", params={"q": "ferry", "facet": "source,tags",
                                            "filter.source": "Alder Gazette"}).json()
    assert one["total"] == counts["Alder Gazette"]
    assert {c["value"]: c["count"] for c in one["facets"]["source"]} == counts
    assert all(h["source"] == "Alder Gazette" for h in one["hits"])
    # two values of one field are ORed
    two = client.get("/api/search", params=[("q", "ferry"), ("filter.source", "alder gazette"),
                                             ("filter.source", "Coastline Wire")]).json()
    assert two["total"] == counts["Alder Gazette"] + counts["Coastline Wire"]
    # fields are ANDed; aliases (filter.tag) work; tags counts follow the source filter
    both = client.get("/api/search", params={"q": "ferry", "filter.source": "Alder Gazette",
                                             "filter.tag": "Economy", "facet": "tags"}).json()
    assert {h["id"] for h in both["hits"]} == {"local/ferry-fares.txt", "business/harbour-001.txt"}
    tag_counts = {c["value"]: c["count"] for c in one["facets"]["tags"]}
    assert tag_counts["Ferries"] == sum("Ferries" in h["tags"] for h in one["hits"]) == 3
    assert {c["value"]: c["count"] for c in base["facets"]["tags"]}["Ferries"] > 3


def test_dates_bound_the_matches(client):
    march = client.get("/api/search", params={"q": "", "since": "2024-03",
                                              "until": "2024-03", "facet": "month"}).json()
    assert march["total"] == 3
    assert [c["value"] for c in march["facets"]["month"]] == ["2024-03"]
    assert all(h["published"].startswith("2024-03") for h in march["hits"])


def test_collapse_and_any_are_accepted(client):
    data = client.get("/api/search", params={"q": "seals bridge", "any": "1",
                                             "collapse": "true"}).json()
    assert data["total"] == 3
    assert all("similar" in h for h in data["hits"])


def test_empty_query_matches_everything(client):
    data = client.get("/api/search").json()
    assert data["total"] == len(news_articles())


def test_lenient_query_warns_and_strict_names_the_column(client):
    lenient = client.get("/api/search", params={"q": "ferry (strike"}).json()
    assert lenient["total"] == 3 and lenient["warnings"]
    err = error_of(client.get("/api/search", params={"q": "ferry (strike", "strict": "1"}))
    assert err == {"error": "unclosed '('", "parameter": "q", "column": 7}
    err = error_of(client.get("/api/search", params={"q": 'ferry "strike', "strict": "yes"}))
    assert err["parameter"] == "q" and err["column"] == 7 and "quote" in err["error"]


def test_unknown_field_is_an_error_with_its_column(client):
    err = error_of(client.get("/api/search", params={"q": "ferry bogus:x"}))
    assert err["parameter"] == "q" and err["column"] == 7
    assert 'unknown field "bogus"' in err["error"]


@pytest.mark.parametrize("params, parameter", [
    ({"limit": MAX_LIMIT + 1}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"page": 0}, "page"),
    ({"page": "x"}, "page"),
    ({"sort": "sideways"}, "sort"),
    ({"facet": "colour"}, "facet"),
    ({"facet_limit": 1000}, "facet_limit"),
    ({"filter.colour": "red"}, "filter.colour"),
    ({"since": "last tuesday"}, "since"),
    ({"until": "2024-13"}, "until"),
    ({"since": "2024-05", "until": "2024-02"}, "since"),
    ({"collapse": "perhaps"}, "collapse"),
    ({"strict": "perhaps"}, "strict"),
    ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "q"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, params, parameter):
    err = error_of(client.get("/api/search", params=params))
    assert err["parameter"] == parameter
    assert err["error"]
    assert err["column"] is None


def test_limits_at_their_edges_are_fine(client):
    assert client.get("/api/search", params={"limit": MAX_LIMIT}).status_code == 200
    assert client.get("/api/search", params={"q": "x" * MAX_QUERY_CHARS}).status_code == 200


def test_too_many_filter_values(client):
    params = [("filter.tags", f"t{i}") for i in range(60)]
    assert error_of(client.get("/api/search", params=params))["parameter"] == "filter"


def test_did_you_mean_in_search(client):
    data = client.get("/api/search", params={"q": "fery"}).json()
    assert data["total"] == 0 and data["suggestion"] == "ferry"


# --- /api/article, /api/similar, /api/stats, /api/suggest -------------------------

def test_article_by_id_with_slashes(client):
    data = client.get("/api/article/business/harbour-001.txt").json()
    assert data["id"] == "business/harbour-001.txt"
    assert data["title"] == "Harbour expansion plan wins council vote"
    assert data["published"] == "2024-02-02T09:00:00+00:00"
    assert set(data) >= {"id", "title", "body", "source", "authors", "published", "url",
                         "section", "tags", "language", "related", "path", "content_hash"}
    # percent-encoded slashes and other characters work too
    assert client.get("/api/article/business%2Fharbour-001.txt").json()["id"] == data["id"]


def test_unknown_article_is_404_json(client):
    err = error_of(client.get("/api/article/no/such.txt"), 404)
    assert err["parameter"] == "id" and "no/such.txt" in err["error"]
    err = error_of(client.get("/api/similar/no/such.txt"), 404)
    assert err["parameter"] == "id"


def test_similar_articles(client):
    data = client.get("/api/similar/local/ferry-strike.txt", params={"limit": 3}).json()
    ids = [h["id"] for h in data["hits"]]
    assert 0 < len(ids) <= 3 and "local/ferry-strike.txt" not in ids
    assert "local/ferry-talks.txt" in ids or "local/ferry-deal.txt" in ids


def test_stats(client):
    data = client.get("/api/stats").json()
    assert data["documents"] == len(news_articles())
    assert {c["value"] for c in data["sources"]} == {"Alder Gazette", "Northshore Post",
                                                     "Coastline Wire"}
    assert data["earliest"].startswith("2024-01-08") and data["latest"].startswith("2024-06-24")


def test_suggest_completes_words_and_titles(client):
    data = client.get("/api/suggest", params={"q": "electric fer"}).json()
    assert data["completions"][0] == "electric ferry"
    titles = {t["title"] for t in data["titles"]}
    assert "New electric ferry arrives from the yard" in titles
    assert all("lectric" in t for t in titles)
    # a word the stemmer shortens still completes (harbour → harbour, not "harbour" → "harbo")
    data = client.get("/api/suggest", params={"q": "Harb"}).json()
    assert data["completions"] == ["Harbour"]
    assert any(t["title"].startswith("Harbour") for t in data["titles"])


def test_suggest_did_you_mean_and_limits(client):
    data = client.get("/api/suggest", params={"q": "electrik"}).json()
    assert data["suggestion"] == "electric"
    assert client.get("/api/suggest", params={"q": ""}).json() == {
        "query": "", "suggestion": None, "completions": [], "titles": []}
    assert error_of(client.get("/api/suggest", params={"q": "x" * 1001}))["parameter"] == "q"
    assert error_of(client.get("/api/suggest", params={"limit": 50}))["parameter"] == "limit"
    err = error_of(client.get("/api/suggest", params={"q": "nope:x"}))
    assert err["parameter"] == "q" and err["column"] == 1


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/search", "/api/article/{article_id}", "/api/stats",
            "/api/suggest"} <= set(spec["paths"])
    search = spec["paths"]["/api/search"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert {"q", "page", "limit", "sort", "facet", "since", "until", "collapse", "strict",
            "filter.source", "filter.tags"} <= names
    assert "400" in search["responses"] and "422" not in search["responses"]


def test_unknown_api_route_is_json_404(client):
    assert error_of(client.get("/api/nothing"), 404)["error"]


# --- the index changing under a running app ------------------------------------------

def test_an_article_added_elsewhere_is_seen_by_the_next_request(client, news_index):
    assert client.get("/api/search", params={"q": "lighthouse"}).json()["total"] == 0
    with NewsIndex.open(news_index) as other:
        other.add([Article(id="late/lighthouse.txt", title="Lighthouse keeper retires",
                           body="The last lighthouse keeper retired after forty years.",
                           source="Alder Gazette", published=datetime(2024, 7, 1, tzinfo=UTC))])
    data = client.get("/api/search", params={"q": "lighthouse"}).json()
    assert data["total"] == 1 and data["hits"][0]["id"] == "late/lighthouse.txt"
    assert client.get("/api/stats").json()["documents"] == len(news_articles()) + 1
    page = client.get("/", params={"q": "lighthouse"})
    assert "Lighthouse keeper retires" in visible_text(page.text)
    with NewsIndex.open(news_index) as other:
        assert other.delete(["late/lighthouse.txt"]) == 1
    assert client.get("/api/search", params={"q": "lighthouse"}).json()["total"] == 0


def test_a_rebuild_swap_is_followed(tmp_path, corpus_dir):
    path = tmp_path / "idx"
    with NewsIndex.create(path) as ix:
        ix.index_paths([corpus_dir])
    with TestClient(create_app(path)) as client:
        before = client.get("/api/stats").json()["documents"]
        (corpus_dir / "lighthouse.txt").write_text(
            "Lighthouse keeper retires\n\nThe last lighthouse keeper retired.", encoding="utf-8")
        with NewsIndex.open(path) as other:
            other.rebuild()
        assert client.get("/api/stats").json()["documents"] == before + 1
        assert client.get("/api/search", params={"q": "lighthouse"}).json()["total"] == 1


def test_concurrent_requests_share_the_index(client):
    from concurrent.futures import ThreadPoolExecutor

    def ask(i):
        return client.get("/api/search", params={"q": "ferry", "page": 1 + i % 2,
                                                 "facet": "source"}).json()["total"]

    with ThreadPoolExecutor(8) as pool:
        totals = set(pool.map(ask, range(40)))
    assert len(totals) == 1


# --- the HTML pages -------------------------------------------------------------------

def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_page_renders_results_facets_histogram_and_pagination(client):
    response = client.get("/", params={"q": "ferry"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'value="ferry"' in html
    assert "<mark>Ferry</mark> crews walk out over night shifts" in html
    assert 'href="/article/local/ferry-strike.txt?q=ferry"' in html
    for heading in ("Source", "Section", "Tags", "Authors"):
        assert f">{heading}</h2>" in html
    assert 'href="/?q=ferry&amp;filter.source=Alder+Gazette"' in html
    assert 'href="/?q=ferry&amp;since=2024-02&amp;until=2024-02"' in html  # a histogram bar
    assert 'aria-label="Feb 2024: 3 matches"' in html
    assert 'rel="next"' in html and 'href="/?q=ferry&amp;page=2"' in html


def test_page_filters_show_as_chips_and_toggle_off(client):
    html = client.get("/", params=[("q", "ferry"), ("filter.source", "Alder Gazette"),
                                   ("filter.source", "Coastline Wire"),
                                   ("since", "2024-02")]).text
    assert "Source: Alder Gazette" in html and "Date: from 2024-02" in html
    # removing one value keeps the other; the form keeps the filters as hidden inputs
    assert ('href="/?q=ferry&amp;filter.source=Coastline+Wire&amp;since=2024-02"'
            in html)
    assert '<input type="hidden" name="filter.source" value="Alder Gazette">' in html
    assert 'href="/?q=ferry"' in html  # clear all
    assert html.count('aria-current="true" ') + html.count('aria-current="true">') >= 2


def test_page_without_query_lists_newest_first(client):
    html = client.get("/").text
    assert "(all articles)" in html
    titles = re.findall(r'<h2><a href="/article/[^"]+">([^<]+)</a></h2>', html)
    assert titles[0].startswith("Reader asks")  # 24 June, the newest
    assert re.search(r'class="on" aria-current="true">Newest<', html)


def test_page_escapes_article_text(client):
    html = client.get("/", params={"q": "timetable"}).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=&#34;alert(1)&#34;" in html or "onerror=&quot;alert(1)&quot;" in html


def test_page_bad_query_is_400_with_a_caret(client):
    response = client.get("/", params={"q": "ferry (strike", "strict": "1"})
    assert response.status_code == 400
    assert "unclosed &#39;(&#39;" in response.text
    assert "ferry (strike\n      ^</pre>" in response.text
    response = client.get("/", params={"limit": 500})
    assert response.status_code == 400 and "<code>limit</code>" in response.text


def test_article_page(client):
    response = client.get(article_url("local/ferry-strike.txt", "ferry night"))
    assert response.status_code == 200
    html = response.text
    assert "<h1><mark>Ferry</mark> crews walk out over <mark>night</mark> shifts</h1>" in html
    assert "<mark>night</mark> shifts had doubled" in html
    assert "Alder Gazette" in html and "Mara Quill" in html and "8 Jan 2024, 09:00 (UTC)" in html
    assert "Commuters queue for buses as ferries halt" in html  # related headline
    assert "Similar articles" in html and "/article/local/ferry-deal.txt?q=ferry+night" in html
    assert 'href="https://news.example/local-ferry-strike.txt"' in html
    assert html.count("<p>") >= 2  # paragraphs kept


def test_article_page_escapes_and_refuses_javascript_links(client):
    html = client.get(article_url(XSS_ID, "timetable")).text
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # shown as text


def test_article_page_unknown_id_is_404_html(client):
    response = client.get("/article/no/such.txt")
    assert response.status_code == 404 and "Not found" in response.text


def test_security_headers_and_static_files(client):
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert client.get("/static/style.css").status_code == 200
    assert "api/suggest" in client.get("/static/app.js").text


def test_templates_never_mark_article_text_safe():
    templates = Path(__file__).resolve().parents[1] / "search" / "web" / "templates"
    for template in templates.glob("*.html"):
        assert "|safe" not in template.read_text().replace(" ", ""), template.name


def test_odd_ids_round_trip_through_urls(client, news_index):
    # (an id with "%" is tested against a real server in test_browser.py:
    # the test client decodes paths twice)
    odd = ["wire/a b?c#d&e.txt", "https://example.com/2024/05/story?id=7", "ünï/cödé.txt"]
    with NewsIndex.open(news_index) as other:
        other.add([Article(id=i, title=f"Odd id {n}", body="Lighthouse story.")
                   for n, i in enumerate(odd)])
    for article_id in odd:
        url = article_url(article_id)
        assert client.get("/api" + url).json()["id"] == article_id
        assert client.get(url).status_code == 200
    html = client.get("/", params={"q": "lighthouse"}).text
    assert 'href="/article/wire/a%20b%3Fc%23d%26e.txt?q=lighthouse"' in html


def test_head_requests_for_pages(client):
    assert client.head("/").status_code == 200
    assert client.head("/article/local/ferry-strike.txt").status_code == 200


def test_suggest_leaves_a_half_typed_word_alone(client):
    data = client.get("/api/suggest", params={"q": "electric fer"}).json()
    assert data["completions"] and data["suggestion"] is None


def test_serve_command_runs_uvicorn_on_the_index(cli, news_index, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = cli("serve", "--index", news_index, "--port", "8123")
    assert result.exit_code == 0, result.stderr
    (app, options), = calls
    assert options == {"host": "127.0.0.1", "port": 8123, "log_level": "warning"}
    with TestClient(app, base_url="http://127.0.0.1:8123") as client:  # Host is checked
        assert client.get("/api/stats").json()["documents"] == len(news_articles())
    assert "http://127.0.0.1:8123/" in result.stderr


def test_serve_command_without_an_index_fails_cleanly(cli, tmp_path, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("should not serve"))
    result = cli("serve", "--index", tmp_path / "missing")
    assert result.exit_code == 2 and "no index at" in result.stderr
