"""The app `newssearch serve` runs (search/web/front.py): it answers a plain
/api/search itself, with the FastAPI app's answer byte for byte, and hands
every other request to the FastAPI app. Each request here goes to both over
ASGI, on one real index; only `took_ms` (the search's own clock) may differ."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from search import NewsIndex  # noqa: E402
from search.web.app import create_app  # noqa: E402
from search.web.front import Front  # noqa: E402
from search.web.guard import HostCheck  # noqa: E402
from search.web.server import Server  # noqa: E402
from tests.test_server import build_news_index  # noqa: E402

HOST = [(b"host", b"127.0.0.1:8000")]


class Watched(Front):
    """A Front that counts the requests it hands to the FastAPI app."""

    handed = 0

    async def _delegate(self, scope, receive, send) -> None:
        self.handed += 1
        await super()._delegate(scope, receive, send)


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    path = build_news_index(tmp_path_factory.mktemp("front") / "news-index")
    with NewsIndex.open(path) as ix:
        check = HostCheck("127.0.0.1")
        yield Watched(Server(ix), host_check=check), create_app(ix, host_check=check)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    path = build_news_index(tmp_path_factory.mktemp("front-key") / "news-index")
    with NewsIndex.open(path) as ix:
        check = HostCheck("127.0.0.1")
        yield (Watched(Server(ix), host_check=check, api_key="s3cret"),
               create_app(ix, host_check=check, api_key="s3cret"))


def call(app, query: str, *, path: str = "/api/search", method: str = "GET",
         headers=HOST) -> tuple[int, list, bytes]:
    """(status, headers, body) of one request to an ASGI app."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": method, "scheme": "http", "path": path,
             "raw_path": path.encode(), "root_path": "", "query_string": query.encode("latin-1"),
             "headers": list(headers), "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000)}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], [tuple(h) for h in start["headers"]], body


def answers(pair, query: str, *, body: bool = True, **kwargs) -> tuple[int, list, bytes]:
    """The front's answer, checked against the FastAPI app's (after setting
    both answers' `took_ms` to 0; their lengths then differ as much).
    `body=False`: a page, which shows its time in words, is not compared."""
    front, fastapi_app = pair
    mine, theirs = call(front, query, **kwargs), call(fastapi_app, query, **kwargs)
    if body:
        assert _steady(mine) == _steady(theirs), query
    else:
        assert _steady(mine)[:2] == _steady(theirs)[:2], query
    return mine


def _steady(answer):
    status, headers, body = answer
    body = re.sub(rb'"took_ms":[-+0-9.eE]+', b'"took_ms":0', body)
    return status, [(k, v) for k, v in headers if k != b"content-length"], body


PLAIN = [
    "q=ferry", "q=ferry+strike&limit=3&page=2", "q=%22ferry+strike%22",
    "q=ferry&facet=source&facet=tags,section&facet_limit=2", "q=&sort=newest&limit=0",
    "q=ferry&filter.source=Alder+Gazette&filter.source=Coastline+Wire&filter.tags=Ferries",
    "q=ferry&since=2024-01&until=2024-02-10", "q=ferry&collapse=1&any=true&strict=false",
    "q=caf%C3%A9+f%C3%A4hre", "q=ferry+AND+(", "q=ferri~1", "q=harbour+OR+ferry&sort=recent",
    "q=ferry&unknown=1&any_term=1", "q=ferry&filter.source=", "q=zzzzqqq",
    # errors the search itself finds: the front words them as the route does
    "q=ferry+AND+(&strict=1", "q=ferry&since=2024-03&until=2024-01",
]
HANDED = [  # (query string, FastAPI's status): forms read here or not, all its to answer
    ("page=007", 200), ("page=+2", 200), ("limit=1.0", 200), ("collapse=yes", 200),
    ("strict=On", 200), ("q=a&q=b", 200), ("page=0", 400), ("limit=101", 400),
    ("sort=", 400), ("sort=best", 400), ("facet=nope", 400), ("filter.nope=x", 400),
    ("since=garbage", 400), ("q=" + "x" * 1001, 400), ("facet_limit=0", 400),
    ("page=99999999999", 400),
]


@pytest.mark.parametrize("query", PLAIN)
def test_plain_searches_are_answered_as_fastapi_answers_them(apps, query):
    front, _ = apps
    handed = front.handed
    status, headers, body = answers(apps, query)
    assert front.handed == handed, "the front handed a plain search to FastAPI"
    assert status in (200, 400) and body.startswith(b"{")
    assert dict(headers)[b"content-security-policy"].startswith(b"default-src 'self'")


@pytest.mark.parametrize("query, status", HANDED)
def test_other_forms_and_bad_parameters_go_to_fastapi(apps, query, status):
    front, _ = apps
    handed = front.handed
    assert answers(apps, query)[0] == status
    assert front.handed == handed + 1


def test_other_routes_methods_and_hosts_go_to_fastapi(apps):
    front, _ = apps
    handed = front.handed
    assert answers(apps, "", path="/api/stats")[0] == 200
    assert answers(apps, "q=ferry", path="/", body=False)[0] == 200
    assert answers(apps, "q=ferry", path="/api/search/")[0] in (307, 404)
    assert answers(apps, "q=ferry", method="HEAD")[0] == 405
    assert answers(apps, "q=ferry", headers=[(b"host", b"evil.example")])[0] == 400
    assert front.handed == handed + 5


def test_the_api_key_is_checked_as_the_guard_does(keyed):
    front, _ = keyed
    handed = front.handed
    assert answers(keyed, "q=ferry")[0] == 401
    assert answers(keyed, "q=ferry", headers=HOST + [(b"x-api-key", b"wrong")])[0] == 401
    assert front.handed == handed + 2
    good = HOST + [(b"authorization", b"Bearer s3cret")]
    assert answers(keyed, "q=ferry", headers=good)[0] == 200
    assert front.handed == handed + 2  # the right key: answered by the front


NAMES = st.sampled_from(["q", "page", "limit", "sort", "facet", "facet_limit", "since", "until",
                         "collapse", "strict", "any", "filter.source", "filter.tags",
                         "filter.year", "filter.bogus", "other"])
VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "2", "10", "100", "101", "007", "-1", "1.5", "true", "False",
                     "yes", "relevance", "newest", "recent", "oldest", "source", "tags,year",
                     "ferry", "ferry strike", "\"ferry strike\"", "Alder Gazette", "Ferries",
                     "2024", "2024-01", "2024-06-24", "now-30d", "ferr*", "harbour OR ferry",
                     "-ferry", "title:ferry", "(", "é"]),
    st.text(max_size=12))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(NAMES, VALUES), max_size=6))
def test_any_query_string_gets_the_fastapi_answer(apps, pairs):
    answers(apps, urlencode(pairs))


def test_shutdown_closes_the_index(tmp_path):
    path = build_news_index(tmp_path / "news-index")
    ix = NewsIndex.open(path)
    front = Front(Server(ix))
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent = []

    async def receive():
        return next(events)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(front({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(Exception):
        ix.search("ferry")
