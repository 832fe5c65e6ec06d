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
