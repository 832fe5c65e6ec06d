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


def test_a_cold_query_loads_no_readers_web_stack_or_urllib(seed_index):
    code = ("import sys, search.cli\n"
            f"sys.argv = ['newssearch', 'query', 'Patriot', '--index', {str(seed_index)!r}]\n"
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
