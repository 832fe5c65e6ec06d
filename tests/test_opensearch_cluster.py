"""A real OpenSearch cluster (issue #20): the node answers, newssearch's analysis
carried over to OpenSearch settings tokenises as `search.text.analysis` does, our
articles bulk-indexed with the official client are found by the same queries,
and the launcher leaves no JVM behind.

Every test here runs against real nodes started by `bench/opensearch_cluster.py`
(tests/opensearch_fixture.py); all skip, with the launcher's reason, on a
machine without Java or the OpenSearch artifacts.
"""

from __future__ import annotations

import json
import signal
import urllib.request
from datetime import timezone
from pathlib import Path

import pytest

from search import NewsIndex
from search.text.analysis import NewsAnalyzer, normalize_keyword
from tests.conftest import ARTICLES, SEEDS
from tests.opensearch_fixture import LauncherMissing, launch, pid_gone

pytestmark = pytest.mark.opensearch

INDEX = "newssearch-test"

#: Strings our analyzer treats specially (module doc of search.text.analysis), and
#: plain prose around them: each must come out of OpenSearch as the same terms
#: at the same positions.
TRICKY = [
    "S-400 missiles",
    "YPG/PKK fighters",
    "Hayat Tahrir al-Sham",
    "Turkey’s foreign minister",
    "Turkey's priority",
    "the bank's statement",
    "U.S. economy",
    "U.S.A. and U.K.",
    "u.s",
    "E.U. summit",
    "A.B.C.D.E.F.G.",
    "J.K. Rowling",
    "U.S-400",
    "e.g. this",
    "O'Gara",
    "AT&T",
    "Élysée Palace",
    "Straße",
    "naïve café",
    "İstanbul",
    "F-35 programme",
    "M4 highway",
    "2019-03-01",
    "3.5% growth",
    "COVID-19 vaccines",
    "Boeing 737-MAX",
    "Moscow-based co-operation",
    "rock'n'roll",
    "don't stop",
    "Ankara’s S-400s",
    "running runs ran",
    "generously generations",
    "iPhone 1990s x86_64 hello_world",
    "north-east Syria’s Idlib",
    "Saraqib, Latakia; Aleppo!",
    "€1.17 against the euro",
    "Sterling rose to 1.17 — dealers said",
    "Russian officials said the deal did not cover Hayat Tahrir al-Sham.",
]

#: Where the two differ, pinned here so a change on either side shows:
#: OpenSearch's asciifolding also folds letters that have no Unicode
#: decomposition (ø, æ, œ, ł, đ), which search.text.analysis.fold (NFKD, combining
#: marks dropped) keeps. (And see the long compound in the test below.)
KNOWN_DIFFERENCES = {
    "Søren": ("soren", "søren"),
    "Œuvre": ("oeuvr", "œuvr"),
    "Łódź": ("lodz", "łodz"),
    "Ærø": ("aero", "ærø"),
}

#: Our analysis modes and the OpenSearch analyzers that mirror them.
MODES = {
    ("index", True): "news_index",
    ("query", True): "news_query",
    ("index", False): "news_words_index",
    ("query", False): "news_words_query",
}


def request(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.load(response)


def ours(text: str, mode: str, stemming: bool) -> list[tuple[int, str]]:
    tokens = NewsAnalyzer(stemming=stemming)(text, positions=True, mode=mode)
    return sorted((t.pos, t.text) for t in tokens)


def theirs(client, analyzer: str, text: str) -> list[tuple[int, str]]:
    tokens = client.indices.analyze(index=INDEX, body={"analyzer": analyzer, "text": text})["tokens"]
    return sorted((t["position"], t["token"]) for t in tokens)


@pytest.fixture(scope="module")
def news_index(opensearch_client, newssearch_mapping):
    """An index with newssearch's analysis settings and mapping."""
    client = opensearch_client
    if client.indices.exists(index=INDEX):
        client.indices.delete(index=INDEX)
    created = client.indices.create(index=INDEX, body=newssearch_mapping)
    assert created["acknowledged"]
    yield INDEX
    client.indices.delete(index=INDEX)


@pytest.fixture(scope="module")
def whoosh_index(tmp_path_factory) -> Path:
    """newssearch's own index of the seed and the fixture articles."""
    path = tmp_path_factory.mktemp("whoosh") / "index"
    with NewsIndex.create(path) as ix:
        report = ix.index_paths([ARTICLES, SEEDS])
    assert report.added == 5 and not report.failed, report
    return path


def as_document(article) -> dict:
    """An Article as a document of search/engine/opensearch/mapping.json."""
    doc = {
        "title": article.title, "body": article.body, "source": article.source,
        "authors": list(article.authors), "url": article.url, "section": article.section,
        "tags": list(article.tags), "language": article.language,
        "related": list(article.related), "path": article.path,
        "content_hash": article.content_hash, "cluster": article.cluster,
        "published": (article.published.astimezone(timezone.utc).isoformat()
                      if article.published else None),
    }
    return {key: value for key, value in doc.items() if value not in (None, [], "")}


@pytest.fixture(scope="module")
def indexed(opensearch_client, news_index, whoosh_index):
    """The same articles in both engines, bulk-indexed into OpenSearch with opensearch-py."""
    helpers = pytest.importorskip("opensearchpy.helpers")
    with NewsIndex.open(whoosh_index) as ix:
        articles = list(ix.articles())
    actions = [{"_index": news_index, "_id": a.id, "_source": as_document(a)} for a in articles]
    ok, errors = helpers.bulk(opensearch_client, actions, refresh="wait_for")
    assert ok == len(articles) == 5 and not errors
    return {a.id: a for a in articles}


# --- the node ------------------------------------------------------------------

def test_node_answers(opensearch_url):
    info = request(opensearch_url + "/")
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("2.19.")
    assert info["cluster_name"].startswith("newssearch-test-")


def test_cluster_health_is_green_or_yellow(opensearch_url):
    health = request(opensearch_url + "/_cluster/health")
    assert health["status"] in ("green", "yellow")
    assert health["number_of_nodes"] == 1


def test_plugins_on_the_classpath_are_loaded(opensearch_url):
    nodes = request(opensearch_url + "/_nodes/plugins")["nodes"]
    (node,) = nodes.values()
    names = {module["classname"] for module in node["plugins"]}
    assert {"org.opensearch.transport.Netty4Plugin",
            "org.opensearch.analysis.common.CommonAnalysisPlugin"} <= names
    assert node["host"] == "127.0.0.1"


# --- newssearch's analysis in OpenSearch ---------------------------------------

def test_index_with_newssearch_analysis_is_created(opensearch_client, news_index, newssearch_mapping):
    mapping = opensearch_client.indices.get_mapping(index=news_index)[news_index]["mappings"]
    fields = mapping["properties"]
    assert set(fields) == {"id", "title", "body", "source", "authors", "published", "url", "section",
                           "tags", "language", "related", "path", "content_hash", "cluster",
                           "topics", "places", "people", "orgs", "exchanges",
                           "text_hash", "bands", "signature",  # (found at ingest)
                           "i18n"}  # (each Snowball language's own fields: snowball.py)
    assert fields["topics"] == fields["source"]  # the Reuters code lists: facets too
    assert fields["bands"] == {"type": "keyword", "doc_values": False}  # searched, not sorted
    assert fields["title"]["fields"]["words"]["analyzer"] == "news_words_index"
    assert fields["published"]["type"] == "date"
    assert fields["source"] == {"type": "keyword", "normalizer": "news_keyword"}
    settings = opensearch_client.indices.get_settings(index=news_index)[news_index]["settings"]
    # Our four modes, German (title.de, body.de: tests/test_opensearch_query_options.py)
    # and each other Snowball language's pair (tests/test_opensearch_snowball.py)
    from search.engine.opensearch.snowball import routed
    from search.text.analysis_lang import SNOWBALL

    assert set(settings["index"]["analysis"]["analyzer"]) == set(MODES.values()) | {
        "news_de_index", "news_de_query"} | {f"news_{SNOWBALL[code]}_{kind}"
                                            for code in routed() for kind in ("index", "query")}
    assert fields["i18n"]["properties"]["fr"]["properties"]["body"]["analyzer"] == \
        "news_french_index"
    assert fields["body"]["fields"]["de"]["analyzer"] == "news_de_index"
    # our BM25's k1 and b, not Lucene's 1.2 and 0.75
    from search.engine.whoosh.querying.ranking import B, K1
    assert settings["index"]["similarity"]["default"] == {"type": "BM25", "k1": str(K1),
                                                          "b": str(B)}


@pytest.mark.parametrize("text", TRICKY)
def test_opensearch_tokenises_as_our_analyzer(opensearch_client, news_index, text):
    for (mode, stemming), analyzer in MODES.items():
        assert theirs(opensearch_client, analyzer, text) == ours(text, mode, stemming), (analyzer, text)


def test_compounds_possessives_and_acronyms_spelled_out(opensearch_client, news_index):
    """The cases the brief names, as literal terms (not only 'same as ours')."""
    expect = {
        "S-400": [(0, "s"), (0, "s400"), (1, "400")],
        "YPG/PKK": [(0, "ypg"), (0, "ypgpkk"), (1, "pkk")],
        "al-Sham": [(0, "al"), (0, "alsham"), (1, "sham")],
        "Turkey’s": [(0, "turkey")],
        "U.S.": [(0, "us")],
    }
    for text, terms in expect.items():
        assert theirs(opensearch_client, "news_index", text) == terms, text


def test_known_differences_are_pinned(opensearch_client, news_index):
    for text, (opensearch_term, our_term) in KNOWN_DIFFERENCES.items():
        assert theirs(opensearch_client, "news_index", text) == [(0, opensearch_term)]
        assert ours(text, "index", True) == [(0, our_term)]
    # A compound over 40 letters: we index no joined form, word_delimiter_graph does.
    long = "Saudi-Arabian-Kuwaiti-Emirati-Qatari-Bahraini"
    joined = "saudiarabiankuwaitiemiratiqataribahraini"  # 40 letters: still joined by both
    assert (0, joined) in theirs(opensearch_client, "news_index", long)
    assert (0, joined) in ours(long, "index", True)
    longer, joined = long + "-Omani", joined + "omani"
    assert (0, joined) in theirs(opensearch_client, "news_index", longer)
    assert (0, joined) not in ours(longer, "index", True)


@pytest.mark.parametrize("value", ["Iran Press", "  Iran   Press ", "Agence France-Presse",
                                   "ÉLYSÉE news", "Daily Sabah"])
def test_keyword_normalizer_matches_ours(opensearch_client, news_index, value):
    tokens = opensearch_client.indices.analyze(
        index=news_index, body={"normalizer": "news_keyword", "text": value})["tokens"]
    assert [t["token"] for t in tokens] == [normalize_keyword(value)]


# --- documents -----------------------------------------------------------------

def opensearch_ids(client, index: str, query: str) -> set[str]:
    """Every word of `query` in title or body, a compound as a phrase: our AND query."""
    must = [{"multi_match": {"query": word, "type": "phrase", "fields": ["title", "body"]}}
            for word in query.split()]
    hits = client.search(index=index, body={"query": {"bool": {"must": must}}, "size": 100})
    return {hit["_id"] for hit in hits["hits"]["hits"]}


def whoosh_ids(path: Path, query: str) -> set[str]:
    with NewsIndex.open(path) as ix:
        results = ix.search(query, limit=100, relax=False, snippets=0)
    return {hit.id for hit in results.hits}


@pytest.mark.parametrize("query", [
    "Idlib", "S-400", "S400", "s-400 battery", "al-Sham", "Sham", "Tahrir al-Sham",
    "Turkey’s", "turkey", "US officials", "U.S.", "minister", "ministers", "officials weighing",
    "interest rates", "Patriot Idlib", "sterling euro", "F-35", "lira", "Saraqib",
])
def test_bulk_indexed_articles_match_as_in_newssearch(opensearch_client, news_index, indexed,
                                                      whoosh_index, query):
    found = opensearch_ids(opensearch_client, news_index, query)
    assert found == whoosh_ids(whoosh_index, query), query
    assert found <= set(indexed)


def test_bulk_indexed_articles_are_searchable(opensearch_client, news_index, indexed):
    client = opensearch_client
    assert client.count(index=news_index)["count"] == 5
    (hit,) = client.search(index=news_index, body={
        "query": {"match_phrase": {"body": "S-400 air defence"}}})["hits"]["hits"]
    assert "S-400" in hit["_source"]["title"]
    # wildcards on the unstemmed words: m?nister finds "minister"; the stemmed field has "minist"
    words = client.search(index=news_index, body={
        "query": {"wildcard": {"body.words": {"value": "m?nister"}}}})["hits"]["hits"]
    stemmed = client.search(index=news_index, body={
        "query": {"wildcard": {"body": {"value": "m?nister"}}}})["hits"]["hits"]
    assert words and not stemmed
    # facets: the keyword fields count whole, folded values
    counts = client.search(index=news_index, body={
        "size": 0, "aggs": {"sources": {"terms": {"field": "source"}}}})["aggregations"]
    sources = {b["key"]: b["doc_count"] for b in counts["sources"]["buckets"]}
    expected: dict[str, int] = {}
    for article in indexed.values():
        if article.source:
            key = normalize_keyword(article.source)
            expected[key] = expected.get(key, 0) + 1
    assert sources == expected and "iran press" in sources
    filtered = client.count(index=news_index, body={
        "query": {"term": {"source": "IRAN PRESS"}}})["count"]
    assert filtered == expected["iran press"]


def test_published_is_a_date(opensearch_client, news_index, indexed):
    dated = [a for a in indexed.values() if a.published]
    undated = len(indexed) - len(dated)
    assert client_count(opensearch_client, news_index, {"exists": {"field": "published"}}) == len(dated)
    if dated:
        first = min(a.published for a in dated).astimezone(timezone.utc)
        in_range = client_count(opensearch_client, news_index, {
            "range": {"published": {"gte": first.isoformat(), "lte": "now"}}})
        assert in_range == len(dated)
    assert undated >= 1  # the seed states no date ("date unknown")


def client_count(client, index: str, query: dict) -> int:
    return client.count(index=index, body={"query": query})["count"]


# --- the launcher: real clusters, no orphan JVMs --------------------------------

def started(data: Path, nodes: int):
    try:
        return launch(data, nodes=nodes)
    except LauncherMissing as missing:
        pytest.skip(f"OpenSearch node not started: {missing}")


def test_three_nodes_form_a_green_cluster_and_sigterm_stops_them(opensearch_node, tmp_path):
    cluster = started(tmp_path / "three", nodes=3)
    try:
        assert len(cluster.node_pids) == 3
        health = request(cluster.url + "/_cluster/health")
        assert health["status"] == "green" and health["number_of_nodes"] == 3
        # a replicated index is green only when its copies sit on other nodes
        request(cluster.url + "/replicated", "PUT", {
            "settings": {"number_of_shards": 3, "number_of_replicas": 1}})
        health = request(cluster.url + "/_cluster/health/replicated"
                         "?wait_for_status=green&timeout=120s")
        assert health["status"] == "green" and health["active_shards"] == 6
    finally:
        status = cluster.stop(signal.SIGTERM)
    assert status == 0, cluster.stderr()
    assert cluster.wait_nodes_gone() == []
    assert not (cluster.data / "cluster.json").exists()
    assert "stopped 3 node(s) on SIGTERM" in cluster.stderr()


def test_a_killed_launcher_leaves_no_jvm(opensearch_node, tmp_path):
    """Even SIGKILL, which the launcher cannot catch: each node watches the pipe
    the launcher holds to it, and stops when it closes."""
    cluster = started(tmp_path / "killed", nodes=1)
    (pid,) = cluster.node_pids
    assert not pid_gone(pid)
    cluster.stop(signal.SIGKILL)
    assert cluster.wait_nodes_gone(timeout=90) == [], f"JVM {pid} outlived its launcher"
