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
from search.engine.workers import JOBS_ENV

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


# --- markers: slow, corpus, browser -----------------------------------------------------
#
# Applied here, by module and test name or by the fixtures a test uses, so that test files
# need no decorators. The fast loop (CONTRIBUTING.md):
#     pytest -m "not slow and not corpus and not browser and not opensearch"
# tests/test_markers.py checks that every name listed here still names a test and that each
# one gets its marker.

#: Modules whose every test is slow: real processes killed, crash points replayed, fuzzing,
#: concurrent writers, byte-for-byte comparisons of whole segments.
SLOW_MODULES = {
    "test_concurrency", "test_crash_safety", "test_fuzz_queries", "test_hostile_input",
    "test_parallel_indexing", "test_power_loss", "test_text_postings",
}
#: Single slow tests (over ~1.5 s each on two loaded cores), "module::function".
SLOW_TESTS = {
    "test_term_expansion::test_many_segments_expand_like_brute_force",
    "test_reader_hardening::test_a_1gb_sparse_text_file_is_refused_without_reading_it",
    "test_reader_hardening::test_a_100mb_csv_field_is_refused_in_bounded_memory",
    "test_server::test_bad_parameters_are_400_naming_the_parameter",
    "test_everyday_queries::test_a_closed_pipe_is_not_an_error_message",
    "test_snippets::test_screened_passages_equal_unscreened_ones",
    "test_one_ranking::test_query_any_gives_the_order_of_evals_run",
    "test_cli::test_filters",
    "test_cli::test_fresh_clone_bootstraps_from_seeds",
    "test_safety::test_batch_size_knob",
    "test_safety::test_resuming_into_a_filled_index_opens_a_searcher_per_batch",
    "test_html_reader::test_index_search_filter_and_facet_html_pages",
    "test_server_hostile::test_blank_filter_values_are_no_filter",
    "test_phrases::test_kept_phrases_rank_like_whoosh_phrases",
    "test_integrity::test_a_lost_toc_is_damage_and_repair_rebuilds_it_from_the_sources",
    "test_whoosh_fixes::test_top_n_is_the_true_top_n",
    "test_whoosh_fixes::test_the_check_catches_whoosh_s_own_pruning",
    "test_cli::test_query_language",
    "test_api::test_query_language_on_the_seed",
    "test_api::test_bad_search_arguments_raise_query_error",
    "test_term_expansion::test_fuzzy_search_results_do_not_depend_on_segments",
    "test_safety::test_other_schema_version_needs_a_rebuild_and_rebuild_upgrades_it",
    "test_languages::test_a_date_in_words_is_read_in_the_detected_language",
    "test_integrity::test_the_manifest_generation_must_be_a_folder_inside_the_index",
    "test_query_tree::test_fuzzed_query_text_round_trips",
    "test_codec::test_optimize_merges_w3_and_news_segments_with_deletions",
    "test_reader_hardening::test_an_unreadable_date_leaves_the_record_indexed_and_undated",
    "test_cli::test_newssearch_index_env_var_in_console_script",
    "test_front::test_any_query_string_gets_the_fastapi_answer",
    "test_cold_start::test_serve_answers_its_first_search_without_fastapi_or_readers",
}
#: Modules that drive a real browser.
BROWSER_MODULES = {"test_browser"}
#: Modules whose every test needs ../shared/corpora.
CORPUS_MODULES = {"test_bbc", "test_opensearch_parity"}
#: Fixtures that need ../shared/corpora (they skip without it).
CORPUS_FIXTURES = {"bbc_dir", "corpus_files"}
#: Tests that skip themselves without ../shared/corpora.
CORPUS_TESTS = {
    "test_run_memory::test_reuters_verdicts_are_the_same_when_written_out",
    "test_eval::test_ranking_targets_on_test_collections",
    "test_one_ranking::test_query_any_gives_evals_order_on_test_collections",
}


# --- one indexing process, except where the worker processes are under test --------------

#: Modules whose tests index with every core, as users do: the text builder, merge helpers
#: and parse workers are what they test, or part of what they replay. Everywhere else
#: indexing defaults to one process ($NEWSSEARCH_JOBS=1): forking the text builder (a copy
#: of this process) for a five-article index was a third of the fast loop's CPU time.
#: Tests comparing the two pass `jobs=` themselves (test_ingest's jobs 1 and 2).
ALL_CORES_MODULES = {
    "test_parallel_indexing", "test_text_postings", "test_concurrency", "test_crash_safety",
    "test_power_loss",
}


@pytest.fixture(scope="module", autouse=True)
def _indexing_processes(request):
    """$NEWSSEARCH_JOBS=1 for a module's tests and fixtures (and the CLI
    processes they start), unless it is in ALL_CORES_MODULES."""
    with pytest.MonkeyPatch.context() as patch:
        if request.module.__name__.rsplit(".", 1)[-1] not in ALL_CORES_MODULES:
            patch.setenv(JOBS_ENV, "1")
        yield


def marker_names(item) -> set[str]:
    """The markers this file's rules give `item`."""
    module = item.module.__name__.rsplit(".", 1)[-1]
    key = f"{module}::{getattr(item, 'originalname', item.name)}"
    names = set()
    if module in SLOW_MODULES or key in SLOW_TESTS:
        names.add("slow")
    if module in BROWSER_MODULES:
        names.add("browser")
    skips_without_shared = any("shared" in str(mark.kwargs.get("reason", ""))
                               for mark in item.iter_markers("skipif"))
    if (module in CORPUS_MODULES or key in CORPUS_TESTS or skips_without_shared
            or CORPUS_FIXTURES & set(getattr(item, "fixturenames", ()))):
        names.add("corpus")
    return names


#: What this session collected, before `-m`/`-k` deselect anything: "module::function" →
#: (the markers it got, the fixtures it uses). tests/test_markers.py reads it.
COLLECTED: dict[str, tuple[set[str], set[str]]] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name in sorted(marker_names(item)):
            item.add_marker(getattr(pytest.mark, name))
        module = item.module.__name__.rsplit(".", 1)[-1]
        key = f"{module}::{getattr(item, 'originalname', item.name)}"
        marks, fixtures = COLLECTED.setdefault(key, (set(), set()))
        marks.update(m.name for m in item.iter_markers() if m.name in ("slow", "corpus", "browser"))
        fixtures.update(getattr(item, "fixturenames", ()))
