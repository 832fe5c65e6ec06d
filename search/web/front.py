"""The app `newssearch serve` runs: a plain search it answers itself; every
other request goes to the FastAPI app of `app`, built when first needed.

Importing FastAPI (and pydantic, Starlette, Jinja2) and building its app
was about 0.4 s of CPU before the server's first answer, over a third of it
on a million-article index (docs/performance.md, "Time to the first
answer"). Most requests to a search
server are ``GET /api/search`` with parameters in their plain form, and for
those this module gives the FastAPI app's answer, byte for byte
(tests/test_front.py compares the two on many query strings), without
FastAPI:

* the parameters are read here only where FastAPI would read them the same
  way: whole numbers written plainly and in range, ``true``/``false``/``1``/
  ``0``, a known sort, a query within its length, each at most once; then
  checked by the same `state.checked_state`;
* the Host header and API key pass the same `guard` checks;
* the search and its JSON are the route's (`Server.search`,
  `views.results_json`, pydantic's JSON encoder as FastAPI's), in a worker
  thread as FastAPI runs it, with the same security headers.

Anything else (another route or method, a refused Host or key, a parameter
in another form, a bad facet or date, an unexpected error) is the FastAPI
app's to answer, as before.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable
from urllib.parse import parse_qsl

from .guard import SECURITY_HEADERS, HostCheck, key_matches
from .server import Server
from .state import MAX_QUERY_CHARS, NUMBERS, SORTS, ParamError, SearchState, checked_state
from .views import results_json

#: A whole number as FastAPI reads it from any spelling (" 7", "007", "7.0"
#: are read too, by pydantic's rules: those are left to it).
_WHOLE = re.compile(r"0|[1-9][0-9]{0,8}")
#: Flag spellings read here (pydantic's "yes", "on", "T"... are left to it).
_FLAGS = {"true": True, "1": True, "false": False, "0": False}
#: Parameters that take one value (FastAPI keeps the last of several: left to it).
_SINGLE = {"q", "page", "limit", "sort", "facet_limit", "since", "until", "collapse",
           "strict", "any"}
#: Searches run at once, in worker threads: as many as FastAPI's thread pool
#: (anyio's default limiter) runs, without importing anyio for the first one.
WORKERS = 40
_HEADERS = [(b"content-type", b"application/json"),
            *((name.lower().encode("latin-1"), value.encode("latin-1"))
              for name, value in SECURITY_HEADERS.items())]


class Front:
    """The ASGI app of `newssearch serve` over one open index (closed at
    shutdown); `host_check` and `api_key` as for `app.create_app`."""

    def __init__(self, server: Server, *, host_check: HostCheck | None = None,
                 api_key: str | None = None):
        self.server, self.host_check, self.api_key = server, host_check, api_key
        self._app: Callable | None = None
        self._building = threading.Lock()
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="newssearch-search")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "http" and scope["method"] == "GET" \
                and scope["path"] == "/api/search" and self._admits(scope):
            state = plain_state(scope["query_string"])
            answer = await self._search(state) if state is not None else None
            if answer is not None:
                await _send_json(send, *answer)
                return
        await self._delegate(scope, receive, send)

    async def _delegate(self, scope, receive, send) -> None:
        """Hand the request to the FastAPI app (imported and built on the
        first one, in a worker thread: not on the event loop)."""
        if self._app is None:
            await self._in_worker(self._build)
        await self._app(scope, receive, send)

    async def _in_worker(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._workers, function, *args)

    def _build(self) -> None:
        with self._building:
            if self._app is None:
                from .app import create_app  # FastAPI: only now

                self._app = create_app(self.server.index, host_check=self.host_check,
                                       api_key=self.api_key, time_limit=self.server.time_limit,
                                       synonyms=self.server.synonyms)

    def _admits(self, scope) -> bool:
        """The guard's Host and key checks (a refusal is the FastAPI app's to word)."""
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # the first of repeated headers, as Starlette's
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        if self.host_check is not None and not self.host_check.allows(headers.get("host")):
            return False
        return not self.api_key or key_matches(self.api_key, headers)

    async def _search(self, state: SearchState) -> tuple[int, bytes] | None:
        """(status, JSON body) of the search, or None to leave it to FastAPI."""
        try:
            return 200, await self._in_worker(self._results, state)
        except ParamError as error:  # the route's error answer (a query error, a timeout)
            return error.status, json.dumps(
                error.to_dict(), ensure_ascii=False, allow_nan=False, indent=None,
                separators=(",", ":")).encode("utf-8")
        except Exception:  # noqa: BLE001 - whatever it is, FastAPI's handlers word it
            return None

    def _results(self, state: SearchState) -> bytes:
        from pydantic_core import to_json  # FastAPI's encoder for a route's dict

        return to_json(self.server.public(results_json(self.server.search(state))))

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._workers.shutdown(wait=False)
                self.server.index.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def plain_state(query_string: bytes) -> SearchState | None:
    """The search a query string asks for if FastAPI would read each of its
    parameters as it is read here; None to leave the request to FastAPI
    (a bad facet, filter or date included: its 400 is FastAPI's)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # as Starlette
    single: dict[str, str] = {}
    facet = []
    for key, value in pairs:
        if key == "facet":
            facet.append(value)
        elif key in _SINGLE:
            if key in single:
                return None
            single[key] = value
    numbers = {}
    for name, (default, smallest, largest) in NUMBERS.items():
        text = single.get(name)
        if text is not None and (not _WHOLE.fullmatch(text)
                                 or not smallest <= int(text) <= largest):
            return None
        numbers[name] = default if text is None else int(text)
    flags = [single.get(name, "false") for name in ("collapse", "strict", "any")]
    q, sort = single.get("q", ""), single.get("sort")
    if len(q) > MAX_QUERY_CHARS or (sort is not None and sort not in SORTS) \
            or not all(flag in _FLAGS for flag in flags):
        return None
    collapse, strict, any_term = (_FLAGS[flag] for flag in flags)
    try:
        return checked_state(q=q, sort=sort, facet=facet, since=single.get("since"),
                             until=single.get("until"), collapse=collapse, strict=strict,
                             any_term=any_term, pairs=pairs, **numbers)
    except ParamError:
        return None


async def _send_json(send, status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode("latin-1")), *_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
