"""`newssearch serve`: a search page and a JSON HTTP API over one NewsIndex.

FastAPI (on Starlette) with Jinja2 templates; uvicorn runs it (see the
`serve` command). One long-lived :class:`NewsIndex` serves every request: it
refreshes its searcher when the index changes and follows a rebuild's
generation swap, so `newssearch index` needs no restart. Requests run in
uvicorn's thread pool in parallel: each borrows a searcher of the current
index version from the NewsIndex's pool (no lock is held while searching),
and a search that runs past its time limit is stopped with a 503.

Routes:

* ``GET /``: the search page; the URL holds the whole state (q, page, sort,
  filter.FIELD, since, until, collapse), so a search can be bookmarked.
* ``GET /article/{id}``: one article, query terms highlighted, similar ones.
* ``GET /api/search``, ``/api/article/{id}``, ``/api/similar/{id}``,
  ``/api/stats``, ``/api/suggest``: JSON; the search shape is the
  ``--json`` contract (``SearchResults.to_dict()``) with an escaped ``html``
  rendering added to each snippet.
* ``GET /openapi.json``: the OpenAPI description.

Bad parameters are a 400 with ``{"error", "parameter", "column"}``; every
answer, 500s too, carries the security headers. `guard` checks the
Host header (DNS rebinding) and an optional API key, and turns stored paths
into paths relative to the indexed folder. All
article text reaches HTML through Jinja's autoescaping or ``render.mark(...,
"html")``, which escapes too; a Content-Security-Policy forbids inline
scripts as a second line of defence.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from .. import __version__, render
from ..api import NewsIndex
from ..article import Article
from ..errors import NewsSearchError, QueryError, SearchTimeout
from ..query import searcher as searching
from ..query.parser import parse_date_bound
from ..query.synonyms import Synonyms
from ..results import SearchResults
from ..snapshot import Snapshot
from ..text.analysis import normalize_keyword
from .guard import HostCheck, key_matches, public_path

HERE = Path(__file__).resolve().parent

#: Longest query text accepted, in characters.
MAX_QUERY_CHARS = 1000
#: Most hits per page.
MAX_LIMIT = 100
#: Deepest page (page × limit bounds the work of one request).
MAX_PAGE = 1000
#: Most filter values in one request.
MAX_FILTER_VALUES = 50
#: Seconds one request's search may run before it is stopped (a 503 naming
#: the limit): the thread pool is shared, so one query must not hog it.
SEARCH_TIME_LIMIT = 5.0
#: Facets the page's sidebar may show, in order, with their headings: those
#: the index holds any values for (Reuters has places and topics, BBC none).
PAGE_FACETS = {"source": "Source", "section": "Section", "tags": "Tags",
               "topics": "Topics", "places": "Places", "people": "People",
               "orgs": "Organisations", "exchanges": "Exchanges",
               "authors": "Authors", "language": "Language"}
#: Values shown per sidebar facet before "more".
FACET_SHOWN = 8
#: Values counted per facet on the page (the month histogram needs them all).
PAGE_FACET_LIMIT = 600
#: A histogram of months when the matches span at most this many; else years.
MONTHS_IN_HISTOGRAM = 36
#: Up to this many bars each get a label; more get the first and last only.
HISTOGRAM_LABELS = 12
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "oldest": "Oldest",
               "recent": "Recent"}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class ParamError(Exception):
    """A bad request parameter: becomes a 400 naming it (and its column)."""

    def __init__(self, parameter: str | None, message: str, column: int | None = None,
                 status: int = 400):
        super().__init__(message)
        self.parameter, self.message, self.column = parameter, message, column
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "parameter": self.parameter, "column": self.column}


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer from /api (for the OpenAPI description)."""

    error: str
    parameter: str | None = None
    column: int | None = None


# --- request state -------------------------------------------------------------

@dataclass
class SearchState:
    """Everything a search page or API call asks for; `url()` turns it back
    into a query string, so the URL is the whole state."""

    q: str = ""
    page: int = 1
    limit: int = 10
    sort: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    since: str | None = None
    until: str | None = None
    facets: list[str] = field(default_factory=list)
    facet_limit: int = 10
    collapse: bool = False
    strict: bool = False
    any_term: bool = False

    def effective_sort(self) -> str:
        """The page lists everything newest first when there is no query."""
        return self.sort or ("relevance" if self.q.strip() else "newest")

    def params(self) -> list[tuple[str, str]]:
        """Query-string pairs of the page state (defaults left out)."""
        pairs = [("q", self.q)] if self.q else []
        for name, values in self.filters.items():
            pairs += [(f"filter.{name}", v) for v in values]
        for name in ("since", "until", "sort"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        if self.limit != 10:
            pairs.append(("limit", str(self.limit)))
        for name, flag in (("collapse", self.collapse), ("strict", self.strict),
                           ("any", self.any_term)):
            if flag:
                pairs.append((name, "1"))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def url(self, **changes) -> str:
        """The page URL with `changes` applied; back to page 1 unless a page is given."""
        changes.setdefault("page", 1)
        pairs = replace(self, **changes).params()
        return "/?" + urlencode(pairs) if pairs else "/"

    def is_active(self, name: str, value: str) -> bool:
        wanted = normalize_keyword(value)
        return any(normalize_keyword(v) == wanted for v in self.filters.get(name, []))

    def toggle(self, name: str, value: str) -> str:
        """URL with `value` added to (or, if there, removed from) a facet filter."""
        current = self.filters.get(name, [])
        if self.is_active(name, value):
            wanted = normalize_keyword(value)
            kept = [v for v in current if normalize_keyword(v) != wanted]
        else:
            kept = current + [value]
        filters = {k: v for k, v in self.filters.items() if k != name}
        if kept:
            filters[name] = kept
        return self.url(filters=filters)


def search_state(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY_CHARS,
                   description="The query (see the README's query language); empty matches all."),
    page: int = Query(1, ge=1, le=MAX_PAGE, description="Page of hits, from 1."),
    limit: int = Query(10, ge=0, le=MAX_LIMIT,
                       description="Hits per page; 0 for totals and facets only."),
    sort: Literal["relevance", "newest", "oldest", "recent"] | None = Query(
        None, description="Order of hits (default relevance; the page shows newest "
                          "first when the query is empty)."),
    facet: list[str] = Query([], description="Facet fields to count (repeatable or comma-"
                                             "separated): " + ", ".join(searching.FACET_FIELDS)),
    facet_limit: int = Query(10, ge=1, le=MAX_LIMIT, description="Values per facet."),
    since: str | None = Query(None, description="Published on/after: YYYY, YYYY-MM, "
                                                "YYYY-MM-DD, ISO 8601 or now-30d."),
    until: str | None = Query(None, description="Published on/before (a month or year "
                                                "includes its last day)."),
    collapse: bool = Query(False, description="One hit per near-duplicate story."),
    strict: bool = Query(False, description="Reject malformed queries (400 with the column) "
                                            "instead of reading them leniently."),
    any_term: bool = Query(False, alias="any", description="Match any word instead of all."),
) -> SearchState:
    """Read and check the search parameters; facet and filter names, and
    dates, are checked here so an error can name its parameter."""
    facets = []
    for value in facet:
        for name in filter(None, (part.strip() for part in value.split(","))):
            facets.append(_facet_name(name, "facet", "facet on"))
    return SearchState(q=q, page=page, limit=limit, sort=sort,
                       filters=_read_filters(request), since=_date(since, "since", False),
                       until=_date(until, "until", True), facets=facets,
                       facet_limit=facet_limit, collapse=collapse, strict=strict,
                       any_term=any_term)


def _facet_name(name: str, parameter: str, verb: str) -> str:
    try:
        return searching.resolve_facet(name, verb)
    except QueryError as exc:
        raise ParamError(parameter, exc.reason) from None


def _read_filters(request: Request) -> dict[str, list[str]]:
    """`filter.source=Reuters&filter.source=AFP&filter.tags=Syria` →
    {"source": ["Reuters", "AFP"], "tags": ["Syria"]} (names checked)."""
    filters: dict[str, list[str]] = {}
    count = 0
    for key in dict.fromkeys(request.query_params.keys()):
        if not key.startswith("filter."):
            continue
        name = _facet_name(key[len("filter."):], key, "filter on")
        for value in request.query_params.getlist(key):
            value = " ".join(value.split())  # a blank value (an empty form field) is no filter
            if value and value not in filters.setdefault(name, []):
                filters[name].append(value)
                count += 1
        if not filters.get(name, True):
            del filters[name]
    if count > MAX_FILTER_VALUES:
        raise ParamError("filter", f"at most {MAX_FILTER_VALUES} filter values per request")
    return filters


def _date(value: str | None, parameter: str, end: bool) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        parse_date_bound(value, end=end)
    except QueryError as exc:
        raise ParamError(parameter, exc.reason) from None
    return value.strip()


# --- the app -------------------------------------------------------------------

class Server:
    """The app's shared state: one open index, shared by every request
    thread (NewsIndex lends each a searcher of its own)."""

    def __init__(self, index_path: str | Path, time_limit: float = SEARCH_TIME_LIMIT,
                 synonyms: Synonyms | None = None):
        self.index = NewsIndex.open(index_path)
        self.time_limit = time_limit
        self.synonyms = synonyms

    def public(self, data: dict) -> dict:
        """An article's dict, or results' hits, with paths relative to the
        indexed folder (see guard.public_path)."""
        roots = self.index.roots
        for item in [data, *data.get("hits", [])]:
            if item.get("path"):
                item["path"] = public_path(item["path"], roots)
        return data

    def search(self, state: SearchState, *, sort: str | None = None,
               facets: list[str] | None = None,
               facet_limit: int | None = None) -> SearchResults:
        """Run `state` (the page overrides sort and facets); any QueryError
        left after the parameter checks is the query's, with its column."""
        if state.since and state.until and (parse_date_bound(state.since, end=False)
                                            > parse_date_bound(state.until, end=True)):
            raise ParamError("since", f"since {state.since} is after until {state.until}")
        try:
            return self.index.search(
                state.q, limit=state.limit, page=state.page,
                sort=sort or state.sort or "relevance",
                filters=state.filters, since=state.since, until=state.until,
                facets=state.facets if facets is None else facets,
                facet_limit=facet_limit or state.facet_limit, strict=state.strict,
                any_term=state.any_term, collapse=state.collapse,
                time_limit=self.time_limit, synonyms=self.synonyms)
        except SearchTimeout as exc:  # the query is fine, the server is not: retry later
            raise ParamError("q", exc.reason, status=503) from None
        except QueryError as exc:  # everything else was checked: it is the query's
            raise ParamError("q", exc.reason, exc.column) from None


def create_app(index_path: str | Path, *, host_check: HostCheck | None = None,
               api_key: str | None = None, time_limit: float = SEARCH_TIME_LIMIT,
               synonyms: Synonyms | None = None) -> FastAPI:
    """The web app over the index at `index_path` (opened once, kept open).
    `host_check` refuses requests whose Host header names another server
    (`newssearch serve` always passes one); with `api_key`, every request
    but those for /static must carry it (see `guard`). A search
    running longer than `time_limit` seconds is stopped (503). `synonyms`
    widen every search's words (see `synonyms`)."""
    server = Server(index_path, time_limit, synonyms)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        server.index.close()

    app = FastAPI(
        title="newssearch", version=__version__, lifespan=lifespan,
        description="Full-text search over a news archive: the JSON API behind "
                    "`newssearch serve`. Search results have the shape of "
                    "`newssearch query --json`, plus an HTML-escaped `html` rendering "
                    "of each snippet. Errors are `{error, parameter, column}` with "
                    "status 400 (bad parameter or Host header), 401 (API key missing "
                    "or wrong, when the server has one), 404 (no such article) or "
                    "503 (the search ran past the time limit and was stopped).",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
    )
    app.state.server = server
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["mark"] = _mark_filter
    env.filters["day"] = _day
    env.filters["stamp"] = _stamp
    env.filters["article_url"] = article_url
    env.globals["version"] = __version__
    templates = Jinja2Templates(env=env)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    # --- errors ---------------------------------------------------------------

    def error_response(request: Request, status: int, error: ParamError) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse(error.to_dict(), status_code=status)
        if request.url.path == "/":
            q = request.query_params.get("q", "")[:MAX_QUERY_CHARS]
            return page(request, "search.html", _search_context(SearchState(q=q), None, error),
                        status)
        return page(request, "error.html", {"status": status, "error": error}, status)

    @app.exception_handler(ParamError)
    async def param_error(request: Request, exc: ParamError):
        return error_response(request, exc.status, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        location = [str(part) for part in first.get("loc", ())]
        parameter = location[-1] if len(location) > 1 else None
        return error_response(request, 400, ParamError(parameter, first.get("msg", "invalid")))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error_response(request, exc.status_code, ParamError(None, str(exc.detail)))

    @app.exception_handler(NewsSearchError)
    async def index_error(request: Request, exc: NewsSearchError):
        return error_response(request, 503, ParamError(None, str(exc)))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        # Starlette answers these outside every middleware: add the headers here.
        error = ParamError(None, "internal server error", status=500)
        if request.url.path.startswith("/api/"):
            return _secured(JSONResponse(error.to_dict(), status_code=500))
        return _secured(HTMLResponse("<!doctype html><title>500</title>"
                                     "<h1>Internal server error</h1>", status_code=500))

    @app.middleware("http")
    async def guard(request: Request, call_next):
        """Host check and API key before anything else; security headers on
        every answer. (Registered last, so it runs first.)"""
        if host_check is not None and not host_check.allows(request.headers.get("host")):
            return _secured(JSONResponse(ParamError(
                "Host", "unknown Host header (start the server with --allow-host NAME "
                        "to serve this name)").to_dict(), status_code=400))
        if (api_key and not request.url.path.startswith("/static/")
                and not key_matches(api_key, request.headers)):
            return _secured(JSONResponse(
                ParamError(None, "an API key is required (Authorization: Bearer KEY, "
                                 "X-API-Key: KEY, or HTTP Basic with KEY as password)").to_dict(),
                status_code=401, headers={"WWW-Authenticate": 'Basic realm="newssearch"'}))
        return _secured(await call_next(request))

    # --- JSON API -------------------------------------------------------------

    errors = {400: {"model": ErrorBody, "description": "A bad parameter"},
              503: {"model": ErrorBody, "description": "The search ran past the time "
                                                       "limit and was stopped"}}

    @app.get("/api/search", tags=["api"], responses=errors, openapi_extra={
        "parameters": [{"name": f"filter.{name}", "in": "query", "required": False,
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "description": f"Only articles with this {name} (repeatable: any "
                                       f"of the values; filters of different fields all apply)"}
                       for name in searching.FACET_FIELDS]})
    def api_search(state: SearchState = Depends(search_state)) -> dict:
        """Search: the `newssearch query --json` document. A facet that is also
        filtered is counted as if its own filter were off (multi-select)."""
        return server.public(results_json(server.search(state)))

    @app.get("/api/article/{article_id:path}", tags=["api"],
             responses={404: {"model": ErrorBody, "description": "No such article"}})
    def api_article(article_id: str) -> dict:
        """One stored article with every field (the `newssearch show --json` shape).
        Ids may contain slashes: `/api/article/business/001.txt`."""
        article = server.index.get(article_id)
        if article is None:
            raise _no_article(article_id)
        return server.public(article.to_dict())

    @app.get("/api/similar/{article_id:path}", tags=["api"],
             responses={404: {"model": ErrorBody, "description": "No such article"}})
    def api_similar(article_id: str, limit: int = Query(10, ge=1, le=MAX_LIMIT)) -> dict:
        """Articles most like one article ("more like this"), best first."""
        if server.index.get(article_id) is None:
            raise _no_article(article_id)
        return server.public(results_json(server.index.similar(article_id, limit=limit)))

    @app.get("/api/stats", tags=["api"])
    def api_stats() -> dict:
        """Document count, sources, sections, date range, fields, size on disk."""
        stats = server.index.stats().to_dict()
        # Where the index and its sources lie on this machine is not the client's business.
        stats["path"] = Path(stats["path"]).name
        stats["roots"] = [Path(root).name for root in stats.get("roots", [])]
        return stats

    @app.get("/api/suggest", tags=["api"], responses=errors)
    def api_suggest(q: str = Query("", max_length=MAX_QUERY_CHARS,
                                   description="What has been typed so far."),
                    limit: int = Query(8, ge=1, le=20, description="Most completions.")) -> dict:
        """As-you-type help: `suggestion` (did you mean, when the query finds
        little), `completions` (the query with its last word completed from
        the index vocabulary, most common first) and `titles` (headlines with
        every typed word, the last one as a prefix)."""
        suggestion = None
        if q.strip():
            try:
                suggestion = server.index.search(q, limit=1, snippets=0,
                                                 time_limit=server.time_limit).suggestion
            except SearchTimeout as exc:
                raise ParamError("q", exc.reason, status=503) from None
            except QueryError as exc:
                raise ParamError("q", exc.reason, exc.column) from None
        with server.index.snapshot() as snap:
            done = snap.complete(q, limit)
        if done.completions:  # a word still being typed is not a typo
            suggestion = None
        return {"query": q, "suggestion": suggestion, "completions": done.completions,
                "titles": [{"id": i, "title": t} for i, t in done.titles]}

    # --- pages ----------------------------------------------------------------

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse,
                   include_in_schema=False)
    def search_page(request: Request, state: SearchState = Depends(search_state)):
        held = server.index.fields_with_values(PAGE_FACETS)
        results = server.search(state, sort=state.effective_sort(),
                                facets=[*held, "year", "month"],
                                facet_limit=PAGE_FACET_LIMIT)
        return page(request, "search.html", _search_context(state, results))

    @app.api_route("/article/{article_id:path}", methods=["GET", "HEAD"],
                   response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str,
                     q: str = Query("", max_length=MAX_QUERY_CHARS)):
        with server.index.snapshot() as snap:  # one commit for the article and its neighbours
            article = snap.get(article_id)
            if article is None:
                raise _no_article(article_id)
            title_spans, body_spans = _article_highlights(snap, article, q)
            related = snap.similar(article_id, limit=5, snippets=1)
        return page(request, "article.html", {
            "article": article, "q": q, "title_spans": title_spans,
            "paragraphs": _paragraphs(article.body, body_spans), "similar": related,
            "back": SearchState(q=q).url(), "link": _safe_link(article.url),
            "search_url": lambda name, value: SearchState(q=q).toggle(name, value),
        })

    def custom_openapi():
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            for path in schema.get("paths", {}).values():  # we answer 400, not 422
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = custom_openapi
    return app


# --- helpers -------------------------------------------------------------------

def results_json(results: SearchResults) -> dict:
    """`results.to_dict()` with each snippet's escaped `html` rendering."""
    data = results.to_dict()
    for hit, out in zip(results.hits, data["hits"]):
        for snippet, snippet_out in zip(hit.snippets, out["snippets"]):
            snippet_out["html"] = render.mark(snippet.text, snippet.highlights, "html")
    return data


def _secured(response):
    """`response` with the security headers (kept where a route set its own)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _no_article(article_id: str) -> ParamError:
    return ParamError("id", f'no article with id "{article_id}"', status=404)


def article_url(article_id: str, q: str = "") -> str:
    """`/article/business/001.txt?q=…`: slashes kept, the rest percent-encoded."""
    url = "/article/" + quote(article_id, safe="/")
    return f"{url}?{urlencode({'q': q})}" if q else url


def _mark_filter(text: str, spans) -> Markup:
    """Jinja filter: `text` escaped, with `spans` in <mark>. The only way
    article text becomes markup, and render.mark escapes every piece of it."""
    return Markup(render.mark(text or "", [tuple(s) for s in spans or []], "html"))


def _day(value: datetime | date | None) -> str:
    if value is None:
        return "date unknown"
    return f"{value.day} {value:%b %Y}"


def _stamp(value: datetime) -> str:
    """`7 Mar 2020, 09:30 (UTC+03:00)`: the article's own clock and offset."""
    offset = value.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{_day(value)}, {value:%H:%M} ({zone})"


def _safe_link(url: str | None) -> str | None:
    """Only http(s) links from articles become clickable (no javascript:)."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _search_context(state: SearchState, results: SearchResults | None,
                    error: ParamError | None = None) -> dict:
    context: dict[str, Any] = {"state": state, "results": results, "error": error,
                               "article_url": article_url}
    if error is not None and error.parameter == "q" and error.column:
        context["caret"] = " " * (error.column - 1) + "^"
    if results is None:
        return context
    chips = [(f"{PAGE_FACETS.get(name, name)}: {value}", state.toggle(name, value))
             for name, values in state.filters.items() for value in values]
    if state.since or state.until:
        chips.append((_date_chip(state.since, state.until), state.url(since=None, until=None)))
    sidebar = []
    for name, label in PAGE_FACETS.items():
        counts = [(c.value, c.count) for c in results.facets.get(name, [])]
        for value in state.filters.get(name, []):  # an active value always shows
            if not any(normalize_keyword(v) == normalize_keyword(value) for v, _ in counts):
                counts.insert(0, (value, 0))
        if counts:
            sidebar.append({"name": name, "label": label, "values": [
                {"value": v, "count": c, "active": state.is_active(name, v),
                 "url": state.toggle(name, v)} for v, c in counts]})
    sort = state.effective_sort()
    # "Recent" (relevance decayed by age) needs a query to be relevant to.
    sorts = [(label, key == sort, state.url(sort=key)) for key, label in SORT_LABELS.items()
             if key != "recent" or state.q.strip()]
    context.update(
        chips=chips, clear_url=state.url(filters={}, since=None, until=None),
        sidebar=sidebar, facet_shown=FACET_SHOWN, sorts=sorts,
        histogram=_histogram(state, results),
        pages=_pagination(state, results),
        first=(results.page - 1) * results.limit + 1,
        suggestion_url=state.url(q=results.suggestion) if results.suggestion else None,
    )
    return context


def _date_chip(since: str | None, until: str | None) -> str:
    if since and since == until:
        return f"Date: {since}"
    if since and until:
        return f"Date: {since} to {until}"
    return f"Date: from {since}" if since else f"Date: until {until}"


@dataclass
class Bar:
    label: str
    count: int
    url: str
    x: float = 0.0
    height: float = 0.0
    title: str = ""
    short: str = ""


def _histogram(state: SearchState, results: SearchResults) -> dict | None:
    """Bars of matches per month (or per year when they span many years),
    empty periods included, each a link narrowing since/until to it."""
    months = {c.value: c.count for c in results.facets.get("month", [])}
    years = {c.value: c.count for c in results.facets.get("year", [])}
    if not years or not months:
        return None
    first, last = min(months), max(months)
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    if span <= MONTHS_IN_HISTOGRAM:
        keys, counts, unit = [], months, "month"
        y, m = int(first[:4]), int(first[5:])
        for _ in range(span):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:
        counts, unit = years, "year"
        lo, hi = int(min(years)), int(max(years))
        keys = [f"{y:04d}" for y in range(lo, hi + 1)] if hi - lo < 200 else sorted(years)
    tallest = max(counts.values())
    width, gap, height = 100.0 / len(keys), 0.15, 56.0
    bars = []
    for i, key in enumerate(keys):
        count = counts.get(key, 0)
        label = datetime.strptime(key, "%Y-%m").strftime("%b %Y") if unit == "month" else key
        short = label if unit == "year" or i == 0 or key.endswith("-01") else label[:3]
        bar = Bar(label, count, state.url(since=key, until=key), x=i * width + width * gap / 2,
                  height=max(1.5, height * count / tallest) if count else 0.0,
                  title=f"{label}: {count:,} {'match' if count == 1 else 'matches'}",
                  short=short)
        bars.append(bar)
    return {"bars": bars, "bar_width": width * (1 - gap), "height": height, "unit": unit,
            "first": bars[0].label, "last": bars[-1].label,
            "every_label": len(bars) <= HISTOGRAM_LABELS,
            "undated": max(0, results.total - sum(years.values()))}


def _pagination(state: SearchState, results: SearchResults) -> dict | None:
    pages = min(results.pages, MAX_PAGE)
    if pages <= 1 and results.page == 1:
        return None
    current = results.page
    numbers = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    items, previous = [], 0
    for n in numbers:
        if n - previous > 1:
            items.append(None)  # an ellipsis
        items.append((n, n == current, state.url(page=n)))
        previous = n
    return {"items": items,
            "prev": state.url(page=current - 1) if current > 1 else None,
            "next": state.url(page=current + 1) if current < pages else None}


def _article_highlights(snap: Snapshot, article: Article, q: str):
    """Spans of the query's terms and phrases in the title and body (see
    :meth:`Snapshot.highlight`); none for an empty query or one that is not
    a query."""
    if not q.strip():
        return [], []
    try:
        return snap.highlight(article, q)
    except QueryError:
        return [], []


def _paragraphs(body: str, spans: list[tuple[int, int]]) -> list[tuple[str, list]]:
    """The body as paragraphs (split at blank lines), each with the spans
    that fall in it, relative to it (a span across a break is clipped)."""
    out, start = [], 0
    for gap in [*PARAGRAPH_BREAK.finditer(body), None]:
        end = gap.start() if gap else len(body)
        text = body[start:end]
        if text.strip():
            out.append((text, [(max(s, start) - start, min(e, end) - start)
                               for s, e in spans if s < end and e > start]))
        start = gap.end() if gap else end
    return out


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
