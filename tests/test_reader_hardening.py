"""Every reader hardened (issue 15, "Every reader"): dates, JSON metadata,
header-less CSV, field maps and defaults, Reuters neighbours, size caps,
reports and symbolic links. Each test uses a small fixture written for it
(tests/fixtures/readers/ or files made in tmp_path) and fails without its fix."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from search import NewsIndex
from search.dates import parse_date
from search.readers import ReadOptions, jsonl

from .conftest import FIXTURES

READERS_DIR = FIXTURES / "readers"


# --- dates ---------------------------------------------------------------------


def test_an_unreadable_date_leaves_the_record_indexed_and_undated():
    problems: list[str] = []
    articles = jsonl.read(READERS_DIR / "dates.jsonl", READERS_DIR, ReadOptions(), problems)
    assert problems == []
    by_title = {a.title: a for a in articles}
    assert by_title["Odd offset"].published is None


def test_dates_in_other_languages_are_read():
    articles = jsonl.read(READERS_DIR / "dates.jsonl", READERS_DIR, ReadOptions())
    by_title = {a.title: a for a in articles}
    assert by_title["German date"].published == datetime(2024, 3, 5, tzinfo=timezone.utc)
    assert by_title["French date"].published == datetime(2021, 3, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, language, expected", [
    ("5. März 2024", "de", datetime(2024, 3, 5, tzinfo=timezone.utc)),
    ("3 mars 2021", "fr-FR", datetime(2021, 3, 3, tzinfo=timezone.utc)),
    ("12 de enero de 2020", None, datetime(2020, 1, 12, tzinfo=timezone.utc)),
    ("26-FEB-1987 15:01:01.79", None, datetime(1987, 2, 26, 15, 1, 1, tzinfo=timezone.utc)),
    ("2020-01-01T00:00:00+99:99", None, None),
    ("Copyright 2024 News Corp", None, None),   # a year alone is no date
    ("März 2024", "de", None),                  # no day: not guessed
])
def test_parse_date_takes_a_language_hint_and_never_guesses(text, language, expected):
    assert parse_date(text, language) == expected


# --- JSON metadata is not an article -------------------------------------------


def test_json_metadata_beside_pages_is_skipped_not_indexed(tmp_path):
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.index_paths([READERS_DIR / "metadata"], jobs=1)
        titles = {a.title for a in ix.articles()}
    skipped = {Path(p).name: reason for p, reason in report.skipped}
    assert set(skipped) == {"expected-metadata.json", "package.json", "about.json", "harbour.json"}
    assert "metadata" in skipped["about.json"] and "body" in skipped["about.json"]
    assert "Dock workers vote" in titles and "Harbour reopens" in titles
    assert not report.failed and report.added == 2


def test_api_add_refuses_an_article_with_no_title_and_no_body(tmp_path):
    from search import Article
    from search.errors import ArticleError

    with NewsIndex.create(tmp_path / "ix") as ix:
        with pytest.raises(ArticleError, match="no title and no body"):
            ix.add([Article(id="good", title="Fine", body="Text."), Article(id="empty", title="", body=" ")])
        assert len(ix) == 0  # the batch was cancelled, nothing half-written


# --- a Reuters folder hides only its own support files -------------------------


def test_a_reuters_folder_reads_the_other_files_beside_it(tmp_path):
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.index_paths([READERS_DIR / "reuters-folder"], jobs=1)
        titles = {a.title for a in ix.articles()}
    skipped = {Path(p).name for p, _ in report.skipped}
    assert skipped == {"all-topics-strings.lc.txt", "lewis.dtd"}
    assert {"Grain desk adds wire notes", "Wheat exports rise"} <= titles
    assert report.formats == {"reuters": 1, "text": 1, "jsonl": 1}


# --- CSV without a header row, columns by position ------------------------------


def test_a_csv_without_a_header_row_is_read_from_its_first_row():
    from search.readers import csvfile

    problems: list[str] = []
    first, second = csvfile.read(READERS_DIR / "csv" / "headerless.csv", READERS_DIR, None, problems)
    assert problems == []
    assert first.title == "Harbour strike ends after pay deal"
    assert first.body.startswith("Dock workers accepted")
    assert second.title == "Chip maker raises forecast"


def test_columns_map_by_position_with_or_without_a_header(cli, tmp_path):
    result = cli("index", READERS_DIR / "csv", "--index", tmp_path / "ix", "--json",
                 "--map", "title=2", "--map", "body=3", "--map", "section=1")
    assert result.exit_code == 0, result.stderr
    with NewsIndex.open(tmp_path / "ix") as ix:
        found = {a.title: a for a in ix.articles()}
    assert set(found) == {"Harbour strike ends after pay deal", "Chip maker raises forecast",
                          "Rail line reopens"}
    assert found["Rail line reopens"].body.startswith("The coastal rail line")
    assert found["Chip maker raises forecast"].section == "3"


def test_a_header_of_unknown_names_is_still_refused_without_a_map(tmp_path):
    from search.errors import ReadError
    from search.readers import csvfile

    with pytest.raises(ReadError, match="by 1-based column number"):
        csvfile.read(READERS_DIR / "csv" / "named-other.tsv", READERS_DIR)
