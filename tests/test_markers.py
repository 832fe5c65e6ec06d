"""The markers conftest.py applies: every listed name still names a test, and
every test of a listed module, or using a listed fixture, gets its marker.

The suite's tests come from this session's collection when it covered every test
module, else from collecting the suite once in a subprocess (collecting needs no
index and no corpus).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from . import conftest
from .conftest import ROOT

PROBE = """
import sys, pytest

class Probe:
    def pytest_collection_finish(self, session):
        for item in session.items:
            module = item.module.__name__.rsplit(".", 1)[-1]
            name = getattr(item, "originalname", item.name)
            marks = sorted({m.name for m in item.iter_markers()} & {"slow", "corpus", "browser"})
            fixtures = sorted(set(getattr(item, "fixturenames", ())))
            print("ITEM", module, name, ",".join(marks), ",".join(fixtures), sep="\\t")

sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
                     plugins=[Probe()]))
"""


@pytest.fixture(scope="module")
def collected() -> list[tuple[str, str, set[str], set[str]]]:
    """Every test with its markers and fixtures: from this session when it
    collected the whole suite (the fast loop too: `-m` deselects after
    conftest marks), else from a collection of the suite in a subprocess."""
    modules = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    seen = {key.split("::")[0] for key in conftest.COLLECTED}
    if modules <= seen:
        return [(*key.split("::", 1), set(marks), set(fixtures))
                for key, (marks, fixtures) in conftest.COLLECTED.items()]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    items = []
    for line in done.stdout.splitlines():
        if line.startswith("ITEM\t"):
            _, module, name, marks, fixtures = line.split("\t")
            items.append((module, name, set(filter(None, marks.split(","))),
                          set(filter(None, fixtures.split(",")))))
    assert len(items) > 500
    return items


def test_listed_modules_exist():
    modules = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    for listed in (conftest.SLOW_MODULES, conftest.CORPUS_MODULES, conftest.BROWSER_MODULES,
                   conftest.ALL_CORES_MODULES):
        assert listed <= modules, listed - modules


def test_listed_tests_exist(collected):
    names = {f"{module}::{name}" for module, name, _, _ in collected}
    stale = (conftest.SLOW_TESTS | conftest.CORPUS_TESTS) - names
    assert not stale, f"conftest.py lists tests that are gone: {sorted(stale)}"


def test_each_marked_module_and_test_gets_its_marker(collected):
    wrong = []
    for module, name, marks, fixtures in collected:
        key = f"{module}::{name}"
        want = set()
        if module in conftest.SLOW_MODULES or key in conftest.SLOW_TESTS:
            want.add("slow")
        if module in conftest.BROWSER_MODULES:
            want.add("browser")
        if (module in conftest.CORPUS_MODULES or key in conftest.CORPUS_TESTS
                or conftest.CORPUS_FIXTURES & fixtures):
            want.add("corpus")
        if not want <= marks:
            wrong.append(f"{key}: has {sorted(marks)}, wants {sorted(want)}")
    assert not wrong, "\n".join(wrong[:20])


def test_tests_that_skip_without_shared_are_corpus_tests(collected):
    marked = {(m, n) for m, n, marks, _ in collected if "corpus" in marks}
    # the HTML reader's real-page tests carry a skipif naming ../shared
    assert any(m == "test_html_reader" for m, _ in marked)
    assert any(m == "test_reuters" for m, _ in marked)
    assert all(m == "test_bbc" and "corpus" in marks
               for m, _, marks, _ in collected if m == "test_bbc")


def test_the_fast_loop_leaves_out_what_is_marked(collected):
    fast = [(m, n) for m, n, marks, _ in collected if not marks]
    slow = [(m, n) for m, n, marks, _ in collected if marks]
    assert fast and slow
    assert not any(m in conftest.SLOW_MODULES | conftest.BROWSER_MODULES for m, _ in fast)
