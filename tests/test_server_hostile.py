"""The server under hostile input and load: every parameter error a 4xx,
500s with the security headers, searches in parallel (no global lock),
bounded phrase slop and search time, the Host check, the API key and
paths relative to the indexed folder. Real indexes, real HTTP through
FastAPI's test client; concurrency is checked by observable state (a search
held open on an event), never by timing.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from search import NewsIndex  # noqa: E402
from search.engine.whoosh.querying import execute as searching  # noqa: E402
from search.query.parser import MAX_PHRASE_SLOP  # noqa: E402
from search.web.app import SECURITY_HEADERS, create_app  # noqa: E402
from search.web.guard import HostCheck, host_name, key_matches, public_path  # noqa: E402

from .test_server import build_news_index, error_of  # noqa: E402

#: Seconds a thread gets to finish before the test calls it stuck (a failure
#: bound only: the test waits on events, not on the clock).
STUCK = 60


@pytest.fixture
def news_index(tmp_path) -> Path:
    return build_news_index(tmp_path / "news-index")


@pytest.fixture
def client(news_index):
    with TestClient(create_app(news_index)) as test_client:
        yield test_client


def assert_secured(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


# --- parameter errors and 500s -------------------------------------------------------

@pytest.mark.parametrize("query", ["filter.source=", "filter.source=%20%20",
                                   "filter.tags=&filter.source=", "filter.source=%09"])
def test_blank_filter_values_are_no_filter(client, query):
    everything = client.get("/api/search").json()["total"]
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 200, response.text
    assert response.json()["total"] == everything
    assert client.get(f"/?{query}").status_code == 200


def test_a_blank_value_beside_a_real_one_keeps_the_real_one(client):
    one = client.get("/api/search", params={"filter.source": "Alder Gazette"}).json()["total"]
    both = client.get("/api/search?filter.source=Alder+Gazette&filter.source=").json()
    assert both["total"] == one > 0


def test_an_unexpected_error_is_a_json_500_with_security_headers(news_index):
    app = create_app(news_index)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    app.state.server.index.search = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get("/api/search", params={"q": "ferry"})
        page = client.get("/", params={"q": "ferry"})
    assert api.status_code == 500 and api.json()["error"] == "internal server error"
    assert "disk on fire" not in api.text
    assert page.status_code == 500 and "disk on fire" not in page.text
    assert_secured(api)
    assert_secured(page)


def test_errors_carry_security_headers(client):
    for response in (client.get("/api/search", params={"page": "x"}),
                     client.get("/api/article/nope"), client.get("/api/nothing-here")):
        assert 400 <= response.status_code < 500
        assert_secured(response)


# --- phrase slop and time limits --------------------------------------------------

def test_a_huge_phrase_slop_is_bounded_with_a_warning(client):
    data = client.get("/api/search", params={"q": '"ferry strike"~1000000000'}).json()
    assert data["total"] > 0
    assert any(f"~{MAX_PHRASE_SLOP}" in w for w in data["warnings"])


def test_a_huge_phrase_slop_is_an_error_when_strict(client):
    err = error_of(client.get("/api/search", params={"q": '"ferry strike"~1000000000',
                                                     "strict": "1"}))
    assert err["parameter"] == "q" and f"~{MAX_PHRASE_SLOP}" in err["error"]


def test_a_search_past_the_time_limit_is_a_503(news_index):
    # A limit no search can meet: the first deadline check stops it.
    with TestClient(create_app(news_index, time_limit=1e-9)) as client:
        response = client.get("/api/search", params={"q": "ferry~1"})
        suggest = client.get("/api/suggest", params={"q": "ferry"})
    body = error_of(response, 503)
    assert body["parameter"] == "q" and "was stopped" in body["error"]
    assert error_of(suggest, 503)["parameter"] == "q"
    assert_secured(response)


# --- no global lock ----------------------------------------------------------------

def test_a_search_in_progress_does_not_block_another(client, monkeypatch):
    """One search is held inside the engine (on an event) while a second
    runs start to finish: with a global lock the second would wait forever."""
    entered, release = threading.Event(), threading.Event()
    original = searching.matching

    def held(searcher, query, *args, **kwargs):
        if "harbour" in str(query):
            entered.set()
            assert release.wait(STUCK), "never released"
        return original(searcher, query, *args, **kwargs)

    monkeypatch.setattr(searching, "matching", held)
    slow_result = {}
    slow = threading.Thread(target=lambda: slow_result.setdefault(
        "total", client.get("/api/search", params={"q": "harbour"}).json()["total"]))
    slow.start()
    try:
        assert entered.wait(STUCK), "the first search never started"
        fast_result = {}
        fast = threading.Thread(target=lambda: fast_result.setdefault(
            "total", client.get("/api/search", params={"q": "ferry"}).json()["total"]))
        fast.start()
        fast.join(STUCK)
        assert not fast.is_alive(), "a search waited for another one to finish"
        assert fast_result["total"] > 0
        assert slow.is_alive()  # still held: the two really overlapped
    finally:
        release.set()
        slow.join(STUCK)
    assert slow_result["total"] > 0


def test_threads_get_searchers_of_their_own_on_the_current_version(news_index):
    from search import Article

    with NewsIndex.open(news_index) as ix:
        with ix._searching() as first, ix._searching() as second:
            assert first is not second  # both borrowed at once
        with ix._searching() as again:
            assert again in (first, second)  # an idle one is lent again
        before = len(ix)
        with NewsIndex.open(news_index) as writer:
            writer.add([Article(id="new-one", title="Lighthouse", body="A new lighthouse.")])
        with ix._searching() as after:
            assert after not in (first, second)  # the old version's searchers are retired
            assert after.doc_count() == before + 1
        assert first.is_closed and second.is_closed


# --- Host header, API key, paths ---------------------------------------------------

def test_host_names_are_read_without_port_and_case():
    assert host_name("[::1]:8000") == "::1"
    assert host_name("Example.ORG:80") == "example.org"
    assert host_name("localhost.") == "localhost"
    assert host_name("::1") == "::1"


@pytest.mark.parametrize("bound, allowed, header, ok", [
    ("127.0.0.1", [], "127.0.0.1:8000", True),
    ("127.0.0.1", [], "localhost:8000", True),
    ("127.0.0.1", [], "[::1]:8000", True),
    ("127.0.0.1", [], "evil.example:8000", False),   # DNS rebinding
    ("127.0.0.1", [], "10.0.0.7:8000", False),
    ("127.0.0.1", [], None, False),
    ("127.0.0.1", ["news.example"], "News.Example", True),
    ("127.0.0.1", ["*"], "anything.example", True),
    ("0.0.0.0", [], "192.168.1.20:8000", True),      # an IP literal cannot be rebound
    ("0.0.0.0", [], "evil.example", False),
    ("192.168.1.20", [], "192.168.1.20:8000", True),
    ("192.168.1.20", [], "192.168.1.21:8000", False),
    ("192.168.1.20", [], "localhost", False),
])
def test_host_check(bound, allowed, header, ok):
    assert HostCheck(bound, allowed).allows(header) is ok


def test_a_foreign_host_header_is_refused(news_index):
    app = create_app(news_index, host_check=HostCheck("127.0.0.1", ["news.example"]))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/stats").status_code == 200
        assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
        assert client.get("/api/stats", headers={"host": "news.example"}).status_code == 200
        refused = client.get("/api/search", params={"q": "ferry"},
                             headers={"host": "evil.example:8000"})
    assert error_of(refused)["parameter"] == "Host"
    assert "ferry" not in refused.text.lower()
    assert_secured(refused)


def test_the_api_key_is_required_when_set(news_index):
    key = "s3cret-key"
    basic = base64.b64encode(f"anyone:{key}".encode()).decode()
    with TestClient(create_app(news_index, api_key=key)) as client:
        missing = client.get("/api/stats")
        wrong = client.get("/api/stats", headers={"authorization": "Bearer nope"})
        page = client.get("/")
        assert client.get("/api/stats", headers={"authorization": f"Bearer {key}"}).is_success
        assert client.get("/api/stats", headers={"x-api-key": key}).is_success
        assert client.get("/", headers={"authorization": f"Basic {basic}"}).is_success
        assert client.get("/static/style.css").status_code != 401
    for response in (missing, wrong, page):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic")
        assert "documents" not in response.text
        assert_secured(response)


def test_key_matching_ignores_malformed_headers():
    assert not key_matches("k", {"authorization": "Basic %%%"})
    assert not key_matches("k", {"authorization": "Bearer "})
    assert not key_matches("k", {})
    assert key_matches("k", {"authorization": "bearer k"})


def test_paths_in_answers_are_relative_to_the_indexed_folder(tmp_path, corpus_dir):
    path = tmp_path / "idx"
    with NewsIndex.create(path) as ix:
        ix.index_paths([corpus_dir])
    with TestClient(create_app(path)) as client:
        hits = client.get("/api/search", params={"limit": 50}).json()["hits"]
        article = client.get(f"/api/article/{hits[0]['id']}").json()
        similar = client.get(f"/api/similar/{hits[0]['id']}").json()["hits"]
        stats = client.get("/api/stats").json()
    paths = [h["path"] for h in hits + similar] + [article["path"]]
    assert paths and all(p and not p.startswith("/") for p in paths)
    assert str(tmp_path) not in str(paths) + str(stats)
    on_disk = {p.relative_to(corpus_dir).as_posix() for p in corpus_dir.rglob("*") if p.is_file()}
    assert set(paths) <= on_disk


def test_public_path():
    roots = ["/data/news", "/data/news/bbc", "/data/one.jsonl"]
    assert public_path("/data/news/bbc/tech/001.txt", roots) == "tech/001.txt"
    assert public_path("/data/news/reuters/a.sgm", roots) == "reuters/a.sgm"
    assert public_path("/data/one.jsonl", roots) == "one.jsonl"
    assert public_path("/elsewhere/x.txt", roots) == "x.txt"
    assert public_path("relative/x.txt", roots) == "relative/x.txt"
    assert public_path(None, roots) is None


def test_serve_passes_host_check_and_key(cli, news_index, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(app))
    result = cli("serve", "--index", news_index, "--host", "0.0.0.0", "--allow-host",
                 "news.example", "--api-key", "k1")
    assert result.exit_code == 0, result.stderr
    with TestClient(calls[0], base_url="http://news.example") as client:
        assert client.get("/api/stats").status_code == 401
        assert client.get("/api/stats", headers={"x-api-key": "k1"}).is_success
        assert client.get("/api/stats", headers={"x-api-key": "k1",
                                                 "host": "evil.example"}).status_code == 400


def test_serve_beyond_loopback_without_a_key_warns(cli, news_index, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    result = cli("serve", "--index", news_index, "--host", "0.0.0.0")
    assert result.exit_code == 0 and "without --api-key" in result.stderr
    empty = cli("serve", "--index", news_index, "--api-key", " ")
    assert empty.exit_code == 2 and "--api-key is empty" in empty.stderr


def test_a_search_racing_a_reopen_takes_the_new_pool(news_index):
    """Another thread follows a rebuild's swap (closing the pool) between a
    search taking the pool and borrowing from it: the search takes the new
    pool instead of failing with "the index was reopened"."""
    with NewsIndex.open(news_index) as ix:
        expected = len(ix)
        old_pool = ix._pool
        borrow = old_pool.borrow

        def reopened_meanwhile(generation):
            ix._reopen()
            return borrow(generation)

        old_pool.borrow = reopened_meanwhile
        assert len(ix) == expected
        assert ix._pool is not old_pool and old_pool.closed
