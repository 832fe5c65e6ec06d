"""The bulk writer (search.engine.opensearch.bulk) against a real OpenSearch
node (tests/opensearch_fixture.py): articles go in and come back equal field by
field, a refused article is reported while the rest are indexed, the progress
callback counts, and an unreachable cluster is one clear error.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from search import NewsIndex
from search.engine.opensearch.bulk import SOURCE_FIELDS, bulk_index, connect, to_source
from search.errors import EngineUnavailableError, NewsSearchError
from tests.conftest import ARTICLES, SEEDS

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    """The seed and the fixture articles as newssearch indexes them (clusters set)."""
    path = tmp_path_factory.mktemp("whoosh") / "index"
    with NewsIndex.create(path) as ix:
        ix.index_paths([ARTICLES, SEEDS])
        found = list(ix.articles())
    assert len(found) == 5
    # The fixtures carry no date; one with an offset shows how dates travel.
    found[0] = replace(found[0], published=datetime(2020, 3, 5, 18, 30, tzinfo=timezone(timedelta(hours=3))))
    return found


@pytest.fixture
def index_name(opensearch_client, request):
    """A fresh index name per test, deleted afterwards."""
    name = "bulk-" + request.node.name.lower().replace("_", "-")[:60]
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)
    yield name
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)


def fetched(client, index, ids) -> dict[str, dict]:
    docs = client.mget(index=index, body={"ids": list(ids)})["docs"]
    return {doc["_id"]: doc["_source"] for doc in docs if doc.get("found")}


def test_articles_come_back_equal_field_by_field(opensearch_client, index_name, articles):
    report = bulk_index(opensearch_client, index_name, articles, refresh=True)
    assert report.indexed == 5 and not report.failures
    assert opensearch_client.count(index=index_name)["count"] == 5
    sources = fetched(opensearch_client, index_name, [a.id for a in articles])
    for article in articles:
        source = sources[article.id]
        assert set(source) == set(SOURCE_FIELDS)
        expected = article.to_dict()
        for name in SOURCE_FIELDS:
            assert source[name] == expected[name], (article.id, name)  # dates as ISO 8601
    assert sources[articles[0].id]["published"] == "2020-03-05T18:30:00+03:00"


def test_the_mapping_is_used_not_guessed(opensearch_client, index_name, articles):
    bulk_index(opensearch_client, index_name, articles[:1])
    fields = opensearch_client.indices.get_mapping(index=index_name)[index_name]["mappings"]["properties"]
    assert fields["published"]["type"] == "date"
    assert fields["source"] == {"type": "keyword", "normalizer": "news_keyword"}


def test_a_refused_article_is_reported_and_the_rest_indexed(opensearch_client, index_name, articles):
    bad = replace(articles[0], id="bad-date")
    bad.published = "the fifth of never"  # forced past Article's types: the mapping refuses it
    report = bulk_index(opensearch_client, index_name, [bad, *articles], refresh=True)
    assert report.indexed == 5
    (failure,) = report.failures
    assert failure.id == "bad-date" and failure.status == 400
    assert "published" in failure.reason and "mapper_parsing_exception" in failure.reason
    assert opensearch_client.count(index=index_name)["count"] == 5


def test_progress_counts_every_item(opensearch_client, index_name, articles):
    calls = []
    bad = replace(articles[1], id="bad")
    bad.published = "13/45/2024"
    report = bulk_index(opensearch_client, index_name, [*articles, bad],
                        progress=lambda done, failed: calls.append((done, failed)), batch_count=2)
    assert len(calls) == 6
    assert calls[-1] == (report.indexed, report.failed) == (5, 1)
    assert [done + failed for done, failed in calls] == list(range(1, 7))


def test_small_batches_by_bytes_index_everything(opensearch_client, index_name, articles):
    # 1 KiB a request is less than most articles: each goes in a request of its own.
    report = bulk_index(opensearch_client, index_name, articles, batch_bytes=1024, refresh=True)
    assert report.indexed == 5 and opensearch_client.count(index=index_name)["count"] == 5


def test_rejected_with_429_is_retried_then_reported(opensearch_client, index_name, articles):
    # A read-only-allow-delete block is what a full disk sets; OpenSearch
    # answers writes with 429 so clients retry (and the writer does).
    bulk_index(opensearch_client, index_name, [])
    settings = {"index.blocks.read_only_allow_delete": True}
    opensearch_client.indices.put_settings(index=index_name, body=settings)
    try:
        report = bulk_index(opensearch_client, index_name, articles, max_retries=2,
                            initial_backoff=0.05)
    finally:
        opensearch_client.indices.put_settings(
            index=index_name, body={"index.blocks.read_only_allow_delete": None})
    assert report.indexed == 0 and {f.status for f in report.failures} == {429}
    assert report.seconds >= 0.05 + 0.1  # it waited before each of the two retries
    assert bulk_index(opensearch_client, index_name, articles).indexed == 5


def test_items_failed_for_a_passing_reason_are_sent_again(opensearch_client, index_name,
                                                          articles):
    """Items still refused after streaming_bulk's own retries go round again
    once the stream is done: here a block that lifts as the last article is
    read. One article a request, one request at a time, so each request is
    sent when the next article is read: every article but the last meets the
    block."""
    bulk_index(opensearch_client, index_name, [])
    block = {"index.blocks.read_only_allow_delete": True}
    opensearch_client.indices.put_settings(index=index_name, body=block)

    def then_unblock():
        yield from articles
        opensearch_client.indices.put_settings(
            index=index_name, body={"index.blocks.read_only_allow_delete": None})

    calls = []
    report = bulk_index(opensearch_client, index_name, then_unblock(), batch_count=1, threads=1,
                        max_retries=1, initial_backoff=0.05, refresh=True,
                        progress=lambda *done: calls.append(done))
    assert report.failures == [] and report.indexed == 5
    assert opensearch_client.count(index=index_name)["count"] == 5
    assert calls[0] == (1, 0) and calls[-1] == (5, 0)  # the last article went first


def test_red_cluster_is_one_clear_error(opensearch_client, index_name, articles):
    # A primary shard that may live on no node leaves the cluster red.
    nowhere = {"settings": {"index.routing.allocation.require._name": "no-such-node",
                            "number_of_replicas": 0}}
    opensearch_client.indices.create(index="bulk-red", body=nowhere, wait_for_active_shards=0)
    try:
        health = opensearch_client.cluster.health(wait_for_status="red")
        assert health["status"] == "red"
        with pytest.raises(EngineUnavailableError, match=r" is red: some data is not available$"):
            bulk_index(opensearch_client, index_name, articles)
    finally:
        opensearch_client.indices.delete(index="bulk-red")
    assert not opensearch_client.indices.exists(index=index_name)  # nothing was sent


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_cluster_is_one_clear_error(articles):
    url = f"http://127.0.0.1:{unused_port()}"
    with pytest.raises(EngineUnavailableError) as raised:
        bulk_index(connect(url, timeout=5), "news", articles)
    assert isinstance(raised.value, NewsSearchError)
    message = str(raised.value)
    assert message.startswith(f"OpenSearch is unreachable at {url}: ")
    assert "\n" not in message and "Traceback" not in message


def test_to_source_of_an_undated_article_has_null_published(articles):
    undated = replace(articles[0], published=None)
    assert to_source(undated)["published"] is None


def test_the_embedded_engine_does_not_import_opensearch_py():
    code = ("import sys, search, search.api, search.engine.opensearch.mapping; "
            "sys.exit('opensearchpy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_url_may_name_every_node_of_a_cluster():
    from search.engine.opensearch.bulk import node_urls
    from search.engine.opensearch.index import parse_url

    url, name = parse_url("opensearch://127.0.0.1:9200,127.0.0.1:9201,127.0.0.1:9202/news")
    assert name == "news"
    assert node_urls(url) == ["http://127.0.0.1:9200", "http://127.0.0.1:9201",
                              "http://127.0.0.1:9202"]
    assert node_urls(["https://a:1", "b:2"]) == ["https://a:1", "https://b:2"]
    client = connect(url)
    assert len(client.transport.hosts) == 3 and client.transport.max_retries >= 3
    client.close()


def refresh_interval(client, index):
    settings = client.indices.get_settings(index=index, flat_settings=True)[index]["settings"]
    return settings.get("index.refresh_interval")


def test_no_refresh_during_a_load_then_the_interval_is_given_back(opensearch_client,
                                                                   index_name, articles):
    bulk_index(opensearch_client, index_name, [])
    opensearch_client.indices.put_settings(index=index_name,
                                           body={"index.refresh_interval": "7s"})
    during = []
    bulk_index(opensearch_client, index_name, articles,
               progress=lambda *_: during.append(refresh_interval(opensearch_client, index_name)))
    assert set(during) == {"-1"}
    assert refresh_interval(opensearch_client, index_name) == "7s"


def test_a_fresh_index_goes_back_to_the_default_interval(opensearch_client, index_name,
                                                         articles):
    report = bulk_index(opensearch_client, index_name, articles)
    assert report.indexed == 5
    assert refresh_interval(opensearch_client, index_name) is None  # OpenSearch's default


def test_an_index_its_owner_keeps_unrefreshed_stays_so(opensearch_client, index_name, articles):
    bulk_index(opensearch_client, index_name, [])
    opensearch_client.indices.put_settings(index=index_name,
                                           body={"index.refresh_interval": "-1"})
    report = bulk_index(opensearch_client, index_name, articles, refresh=True)
    assert report.indexed == 5 and opensearch_client.count(index=index_name)["count"] == 5
    assert refresh_interval(opensearch_client, index_name) == "-1"
