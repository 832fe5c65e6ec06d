"""A cold `newssearch` imports only what its command needs (issue 21).

Not timed: wall time on shared cores is noise. What made the start slow is
pinned instead, as modules that must stay out of ``sys.modules`` in a fresh
interpreter. bench/bench_startup.py measures the time; docs/performance.md
("Cold start") has the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Modules a query never needs. urllib.request and http.client came with
# Whoosh's whoosh.compat (see search/engine/whoosh/__init__.py); the readers
# and their parsers belong to indexing, FastAPI and uvicorn to `serve`, query
# completion to the search page.
NOT_FOR_A_QUERY = [
    "urllib.request", "http.client", "ssl", "email.parser",
    "bs4", "lxml", "trafilatura", "dateparser", "numpy",
    "fastapi", "starlette", "uvicorn",
    "search.ingest", "search.ingest.readers", "search.ingest.indexer", "search.web",
    "search.engine.whoosh.querying.complete",
]
# On import the CLI is only Typer and its commands: no API, no Whoosh.
NOT_ON_IMPORT = NOT_FOR_A_QUERY + ["whoosh", "search.api", "search.render", "search.query"]

LOADED = "\nimport json, sys\nprint(json.dumps(sorted(set(sys.modules) & set({names!r}))))"


def loaded_after(code: str, names: list[str]) -> list[str]:
    """Which of `names` a fresh interpreter has imported after running `code`."""
    run = subprocess.run([sys.executable, "-c", code + LOADED.format(names=names)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def test_importing_the_cli_loads_no_engine_readers_or_web_stack():
    assert loaded_after("import search.cli", NOT_ON_IMPORT) == []


@pytest.mark.parametrize("query", ["Patriot", "*atriot", "Patr?ot"])
def test_a_cold_query_loads_no_readers_web_stack_or_urllib(seed_index, query):
    # (Wildcards read the term blocks' signatures: without numpy, whose
    # import cost a cold `*companies` 50 ms before its 3 ms of work.)
    code = ("import sys, search.cli\n"
            f"sys.argv = ['newssearch', 'query', {query!r}, '--index', {str(seed_index)!r}]\n"
            "try:\n    search.cli.main()\nexcept SystemExit as exit:\n"
            "    assert not exit.code, exit.code")
    assert loaded_after(code, NOT_FOR_A_QUERY) == []


def test_the_query_did_run(seed_index):
    # The check above means something only if the command searched for real.
    run = subprocess.run([sys.executable, "-m", "search.cli", "query", "Patriot", "--json",
                          "--index", str(seed_index)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "total" in json.loads(run.stdout)


# What `serve` needs for its first search is the API, the engine and uvicorn:
# its front answers a plain /api/search itself, and FastAPI (with pydantic,
# Starlette and the pages' templates) waits for the first request the front
# hands on; the readers wait for indexing (docs/performance.md, "Time to the
# first answer").
NOT_FOR_THE_FIRST_ANSWER = [
    "fastapi", "starlette", "pydantic", "anyio", "jinja2", "fastapi.templating",
    "bs4", "lxml", "trafilatura", "dateparser",
    "search.ingest", "search.ingest.readers", "search.ingest.indexer",
    "search.engine.whoosh.querying.complete",
]

SERVE_AND_LIST = """
import http.client, json, os, sys, threading, time
import search.cli
port = {port}
sys.argv = ["newssearch", "serve", "--index", {index!r}, "--port", str(port)]
threading.Thread(target=search.cli.main, daemon=True).start()

def get(path):
    for _ in range(1200):  # polling until the port answers (at most 2 minutes)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path)
            answer = conn.getresponse()
            return answer.status, answer.read()
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise SystemExit("the server never answered")

for path in ("/api/search?q=Patriot", "/?q=Patriot"):
    status, body = get(path)
    total = json.loads(body)["total"] if path.startswith("/api/") else None
    print(json.dumps([status, total, sorted(set(sys.modules) & set({names!r}))]), flush=True)
os._exit(0)
"""


def test_serve_answers_its_first_search_without_fastapi_or_readers(seed_index):
    """A real `newssearch serve` on a real index, in a fresh interpreter:
    after its first /api/search answer none of NOT_FOR_THE_FIRST_ANSWER is
    loaded; after the search page, FastAPI and jinja2 are (so the first
    check can fail)."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    code = SERVE_AND_LIST.format(port=port, index=str(seed_index), names=NOT_FOR_THE_FIRST_ANSWER)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    api, page = (json.loads(line) for line in run.stdout.splitlines()[-2:])
    assert api == [200, 1, []]
    assert page[0] == 200 and {"fastapi", "jinja2", "fastapi.templating"} <= set(page[2])
