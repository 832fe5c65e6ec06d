"""Shared fixtures: real indexes built from real files, and a CLI runner.

Fixture articles under tests/fixtures/ are written for this project (not
copied from any corpus). Tests that need ../shared/corpora skip cleanly when
it is absent.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search import Article, NewsIndex
from search.cli import app

# The real OpenSearch node for tests marked `opensearch` (tests/opensearch_fixture.py).
pytest_plugins = ("tests.opensearch_fixture",)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_6a5ba16e49860d31.txt"
SEED_ID = SEED_FILE.name
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLES = FIXTURES / "articles"
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli():
    """Run `newssearch ARGS…` in-process through Typer's runner; stdout and
    stderr come back separately."""
    runner = CliRunner()

    def run(*args: str, env: dict | None = None) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def seed_index(tmp_path) -> Path:
    """A real index built from seeds/ (returned as its directory)."""
    path = tmp_path / "seed-index"
    with NewsIndex.create(path) as ix:
        report = ix.index_paths([SEEDS])
    assert report.added == 1 and not report.failed
    return path


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    """A writable copy of seeds/ plus the fixture articles, so tests may edit files."""
    target = tmp_path / "corpus"
    shutil.copytree(ARTICLES, target)
    shutil.copy(SEED_FILE, target / SEED_ID)
    return target


@pytest.fixture
def corpus_index(tmp_path, corpus_dir) -> Path:
    """An index of `corpus_dir` (5 articles, 3 sources known)."""
    path = tmp_path / "corpus-index"
    with NewsIndex.create(path) as ix:
        report = ix.index_paths([corpus_dir])
    assert report.added == 5, report
    return path


def dated_articles() -> list[Article]:
    """Hand-made dated articles for sorting, date and facet tests."""
    plus3 = timezone(timedelta(hours=3))
    return [
        Article(id="wire-1", title="Idlib ceasefire holds for a second day",
                body="The ceasefire in Idlib held for a second day, monitors said.",
                source="Reuters", section="World", tags=["Syria", "Turkey"],
                authors=["Jane Doe"], published=datetime(2020, 3, 7, 9, 30, tzinfo=plus3),
                url="https://example.com/wire-1", language="en"),
        Article(id="wire-2", title="Talks on Idlib open in Moscow",
                body="Talks on Idlib opened in Moscow between Russian and Turkish delegations.",
                source="Reuters", section="World", tags=["Syria", "Russia"],
                authors=["John Roe"], published=datetime(2020, 2, 27, 15, 1, tzinfo=timezone.utc),
                language="en"),
        Article(id="wire-3", title="Turkey’s lira weakens on Idlib fears",
                body="Investors sold the lira as fighting around Idlib intensified.",
                source="Bloomberg", section="Markets", tags=["Turkey", "Currencies"],
                published=datetime(2019, 12, 30, tzinfo=timezone.utc), language="en"),
        Article(id="wire-4", title="Élysée comments on Idlib",
                body="The Élysée said France was worried about the humanitarian situation in Idlib.",
                source="AFP", section="Europe", tags=["France", "Syria"], language="fr"),
    ]


@pytest.fixture
def dated_index(tmp_path) -> Path:
    """An index of the seed plus four dated wire stories added through the API."""
    path = tmp_path / "dated-index"
    with NewsIndex.create(path) as ix:
        ix.index_paths([SEEDS])
        ix.add(dated_articles())
    return path


@pytest.fixture
def bbc_dir() -> Path:
    """The BBC News corpus (skips when ../shared is not there)."""
    path = CORPORA / "bbc"
    if not (path / "business").is_dir():
        pytest.skip("../shared/corpora/bbc not available")
    return path
