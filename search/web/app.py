"""The search page and JSON HTTP API of `newssearch serve`, over one NewsIndex.

FastAPI (on Starlette) with Jinja2 templates; uvicorn runs it behind
`front`, which answers plain searches itself and builds this app for the
rest when first asked (see the `serve` command). One long-lived
:class:`NewsIndex` serves every request: it refreshes its searcher when the
index changes and follows a rebuild's generation swap, so `newssearch
index` needs no restart. Requests run in worker threads in parallel: each
borrows a searcher of the current index version from the NewsIndex's pool
(no lock is held while searching), and a search that runs past its time
limit is stopped with a 503.

Routes:

* ``GET /``: the search page; the URL holds the whole state (q, page, sort,
  filter.FIELD, since, until, collapse), so a search can be bookmarked.
* ``GET /article/{id}``: one article, query terms highlighted, similar ones.
* ``GET /api/search``, ``/api/article/{id}``, ``/api/similar/{id}``,
  ``/api/stats``, ``/api/suggest``: JSON; the search shape is the
  ``--json`` contract (``SearchResults.to_dict()``) with an escaped ``html``
  rendering added to each snippet.
* ``GET /openapi.json``: the OpenAPI description.

This module holds the routes; `state` reads and checks what a request asks
for, `views` builds what the pages show, `guard` decides who may ask.

Bad parameters are a 400 with ``{"error", "parameter", "column"}``; every
answer, 500s too, carries the security headers. `guard` checks the
Host header (DNS rebinding) and an optional API key, and turns stored paths
into paths relative to the indexed folder. All
article text reaches HTML through Jinja's autoescaping or ``render.mark(...,
"html")``, which escapes too; a Content-Security-Policy forbids inline
scripts as a second line of defence.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from .. import __version__
from ..api import NewsIndex
from ..errors import NewsSearchError, QueryError, SearchTimeout
from ..query import facets
from ..query.synonyms import Synonyms
from .guard import SECURITY_HEADERS, HostCheck, key_matches
from .params import search_state
from .server import SEARCH_TIME_LIMIT, Server
from .state import MAX_LIMIT, MAX_QUERY_CHARS, ParamError, SearchState
from .views import (PAGE_FACET_LIMIT, PAGE_FACETS, article_highlights, paragraphs,
                    results_json, safe_link, search_context, templates)

HERE = Path(__file__).resolve().parent


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer from /api (for the OpenAPI description)."""

    error: str
    parameter: str | None = None
    column: int | None = None


# --- the app -------------------------------------------------------------------

def create_app(index: str | Path | NewsIndex, *, host_check: HostCheck | None = None,
               api_key: str | None = None, time_limit: float = SEARCH_TIME_LIMIT,
               synonyms: Synonyms | None = None) -> FastAPI:
    """The web app over the index at path or URL `index` (opened once, kept
    open), or over an open NewsIndex, which the app then closes at shutdown.
    `host_check` refuses requests whose Host header names another server
    (`newssearch serve` always passes one); with `api_key`, every request
    but those for /static must carry it (see `guard`). A search
    running longer than `time_limit` seconds is stopped (503). `synonyms`
    widen every search's words (see `synonyms`)."""
    server = Server(index, time_limit, synonyms)

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
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
        return templates().TemplateResponse(request, name, context, status_code=status)

    # --- errors ---------------------------------------------------------------

    def error_response(request: Request, status: int, error: ParamError) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse(error.to_dict(), status_code=status)
        if request.url.path == "/":
            q = request.query_params.get("q", "")[:MAX_QUERY_CHARS]
            return page(request, "search.html", search_context(SearchState(q=q), None, error),
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
                       for name in facets.FACET_FIELDS]})
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
        return page(request, "search.html", search_context(state, results))

    @app.api_route("/article/{article_id:path}", methods=["GET", "HEAD"],
                   response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str,
                     q: str = Query("", max_length=MAX_QUERY_CHARS)):
        with server.index.snapshot() as snap:  # one commit for the article and its neighbours
            article = snap.get(article_id)
            if article is None:
                raise _no_article(article_id)
            title_spans, body_spans = article_highlights(snap, article, q)
            related = snap.similar(article_id, limit=5, snippets=1)
        return page(request, "article.html", {
            "article": article, "q": q, "title_spans": title_spans,
            "paragraphs": paragraphs(article.body, body_spans), "similar": related,
            "back": SearchState(q=q).url(), "link": safe_link(article.url),
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


def _secured(response):
    """`response` with the security headers (kept where a route set its own)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _no_article(article_id: str) -> ParamError:
    return ParamError("id", f'no article with id "{article_id}"', status=404)
