"""Every reader hardened (issue 15, "Every reader"): dates, JSON metadata,
header-less CSV, field maps and defaults, Reuters neighbours, size caps,
reports and symbolic links. Each test uses a small fixture written for it
(tests/fixtures/readers/ or files made in tmp_path) and fails without its fix."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from search import NewsIndex
from search.text.dates import parse_date
from search.ingest.readers import ReadOptions, jsonl

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

    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.add([Article(id="good", title="Fine", body="Text."),
                         Article(id="empty", title="", body=" ")])
        assert [a.id for a in ix.articles()] == ["good"]  # the others are still indexed
    assert report.added == 1
    assert report.failed == [("empty", "article 'empty' has no title and no body: nothing to index")]


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
    from search.ingest.readers import csvfile

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
    from search.ingest.readers import csvfile

    with pytest.raises(ReadError, match="by 1-based column number"):
        csvfile.read(READERS_DIR / "csv" / "named-other.tsv", READERS_DIR)


# --- reports on stderr ------------------------------------------------------------


def test_notices_are_capped_per_kind_and_json_lists_them_all(cli, tmp_path):
    import json

    feed = tmp_path / "feed"
    feed.mkdir()
    lines = [json.dumps({"id": "same", "title": f"Story {i}", "body": f"Text number {i} of the feed."})
             for i in range(2000)]
    (feed / "wire.jsonl").write_text("\n".join(lines) + "\n")
    result = cli("index", feed, "--index", tmp_path / "ix", "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if line.startswith("newssearch: skipped:")]
    assert len(notices) == 6
    assert notices[-1].endswith("wire.jsonl: … and 1,994 more in this file (--json lists them all)")
    as_json = cli("index", feed, "--index", tmp_path / "ix2", "--jobs", "1", "--json")
    assert len(json.loads(as_json.stdout)["skipped"]) == 1999


def test_file_names_with_control_characters_cannot_forge_report_lines(cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday after repairs.\n")
    evil = folder / "bad\nnewssearch: failed: forged.txt"
    evil.write_bytes(b"\x00\x01\x02binary" * 50)
    result = cli("index", folder, "--index", tmp_path / "ix", "--jobs", "1")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert not any(line.startswith("newssearch: failed: forged") for line in lines)
    assert any("bad\\nnewssearch: failed: forged.txt" in line for line in lines)


def test_the_summary_counts_are_grammatical(cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = "Harbour reopens\n\nThe harbour reopened on Monday after a week of repairs.\n"
    (folder / "a.txt").write_text(text)
    (folder / "b.txt").write_text(text)
    (folder / "README").write_text("About this folder.\n")
    result = cli("index", folder, "--index", tmp_path / "ix", "--jobs", "1")
    summary = result.stdout.splitlines()[0]
    assert "1 duplicate," in summary and "1 skipped" in summary and "duplicates" not in summary
    assert summary.startswith("Indexed 2 files")


def test_a_utf16_file_with_a_bom_is_read_by_every_reader_not_called_binary(tmp_path):
    sgm = (READERS_DIR / "reuters-folder" / "reut2-000.sgm").read_bytes().decode("latin-1")
    files = {
        "story.txt": "Harbour reopens\n\nThe harbour reopened on Monday after repairs.\n",
        "rows.csv": 'title,body\n"Chip forecast","The chip maker raised its forecast."\n',
        "lines.jsonl": '{"title": "Rail line", "body": "The rail line reopened on Friday."}\n',
        "wire.sgm": sgm,
    }
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode("utf-16"))
    (tmp_path / "nobom.txt").write_bytes("Ferry timetable\n\nFerries run hourly again.\n".encode("utf-16-le"))
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.index_paths([tmp_path / n for n in [*files, "nobom.txt"]], jobs=1)
    assert report.failed == [] and report.added == 5


# --- size caps ----------------------------------------------------------------------

#: Reads one file as the indexer's workers do, in a process forked from a
#: small fresh one, and prints that process's peak memory (ru_maxrss, KB on
#: Linux) and the outcome. (Measured in a grandchild: a process started from
#: pytest inherits pytest's own high-water mark through exec.)
PEAK_SCRIPT = """
import json, os, resource, sys
from pathlib import Path
from search.ingest.parsing import parse_file
from search.ingest.readers import ReadOptions
from search.ingest.readers.discover import discover
[candidate] = list(discover([Path(sys.argv[1])]))
read_end, write_end = os.pipe()
if os.fork() == 0:
    parsed = parse_file(candidate, ReadOptions(), None)
    os.write(write_end, json.dumps({
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "articles": len(parsed.articles), "error": parsed.error}).encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end) as answer:
    print(answer.read())
os.wait()
"""


def peak_read(path: Path) -> dict:
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_1gb_sparse_text_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as fh:
        fh.truncate(1024 ** 3)
    outcome = peak_read(path)
    assert "too large" in outcome["error"] and "64 MB" in outcome["error"]
    assert outcome["peak_mb"] < 200  # it cost 1,054 MB before the cap


def test_a_100mb_csv_field_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write('title,body\n"Small","A small body."\n"Big","')
        fh.write("word " * 20_000_000)
        fh.write('"\n')
    outcome = peak_read(path)
    assert outcome["articles"] == 1 and outcome["error"] is None  # the row before it is kept
    assert outcome["peak_mb"] < 500  # it peaked at 1,769 MB before


def test_read_file_reads_up_to_its_cap_and_refuses_past_it(tmp_path):
    from search.errors import ReadError
    from search.ingest.readers.encoding import read_file

    path = tmp_path / "story.txt"
    path.write_bytes(b"x" * 5000)
    assert len(read_file(path, cap=5000)) == 5000
    with pytest.raises(ReadError, match="too large"):
        read_file(path, cap=4999)


def test_each_kind_is_capped_in_all_with_a_count_of_the_rest():
    from search.reporting import LINES_PER_KIND, notice_lines
    from search.results import IndexReport

    report = IndexReport(failed=[(f"/data/f{i}.bin", "looks like a binary file, not text")
                                 for i in range(LINES_PER_KIND + 200)])
    lines = list(notice_lines(report))
    assert len(lines) == LINES_PER_KIND + 1
    assert lines[-1] == "newssearch: … and 200 more failed (--json lists them all)"


# --- field maps and defaults: remembered, and a change reads files again ----------


def _titles_sections(index: Path) -> dict[str, tuple]:
    with NewsIndex.open(index) as ix:
        return {a.title: (a.section, a.source) for a in ix.articles()}


def test_changing_or_dropping_the_map_reads_the_files_again(cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wire.csv").write_text("headline,story,desk,kind\n"
                                     "Rail line reopens,The coastal line reopened on Friday.,Travel,News\n")
    index = tmp_path / "ix"
    assert cli("index", folder, "--index", index, "--map", "section=desk").exit_code == 0
    assert _titles_sections(index) == {"Rail line reopens": ("Travel", None)}
    changed = cli("index", folder, "--index", index, "--map", "section=kind", "--json")
    assert '"updated": 1' in changed.stdout
    assert _titles_sections(index) == {"Rail line reopens": ("News", None)}
    dropped = cli("index", folder, "--index", index, "--json")  # the automatic mapping again
    assert '"updated": 1' in dropped.stdout
    assert _titles_sections(index) == {"Rail line reopens": ("Travel", None)}  # "desk" is an alias
    same = cli("index", folder, "--index", index, "--json")
    assert '"files_unchanged": 1' in same.stdout


def test_set_fills_empty_fields_everywhere_and_rebuild_keeps_map_and_defaults(cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "note.txt").write_text("Ferry timetable\n\nFerries run hourly again from Monday.\n")
    (folder / "rows.tsv").write_text("kind\thed\tcopy\n1\tRail line reopens\tThe line reopened.\n")
    (folder / "own.jsonl").write_text('{"title": "Own source", "body": "Text.", "source": "Wire"}\n')
    index = tmp_path / "ix"
    first = cli("index", folder, "--index", index, "--map", "title=2", "--map", "body=3",
                "--set", "source=BBC News")
    assert first.exit_code == 0, first.stderr
    expected = {"Ferry timetable": (None, "BBC News"), "Rail line reopens": (None, "BBC News"),
                "Own source": (None, "Wire")}  # a default never overrides the file
    assert _titles_sections(index) == expected
    (folder / "note.txt").write_text("Ferry timetable\n\nFerries run every half hour from Monday.\n")
    rebuilt = cli("rebuild", "--index", index, "--json")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert '"updated": 1' in rebuilt.stdout and '"unchanged": 2' in rebuilt.stdout
    assert _titles_sections(index) == expected


def test_set_refuses_fields_that_cannot_be_set(cli, tmp_path):
    result = cli("index", READERS_DIR / "csv", "--index", tmp_path / "ix", "--set", "title=X")
    assert result.exit_code == 2
    assert 'cannot be set' in result.stderr and "Traceback" not in result.stderr


# --- symbolic links -------------------------------------------------------------------


def test_links_out_of_the_folder_are_not_followed_unless_asked(cli, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Private notes\n\nNot for the archive at all.\n")
    folder = tmp_path / "in"
    (folder / "desk").mkdir(parents=True)
    (folder / "desk" / "story.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday.\n")
    (folder / "to-outside").symlink_to(outside, target_is_directory=True)
    (folder / "secret-link.txt").symlink_to(outside / "secret.txt")
    (folder / "inner-link.txt").symlink_to(folder / "desk" / "story.txt")  # stays inside
    index = tmp_path / "ix"
    result = cli("index", folder, "--index", index, "--json")
    assert result.exit_code == 0, result.stderr
    import json

    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(result.stdout)["skipped"]
               if "symbolic link" in s["reason"]}
    assert set(skipped) == {"to-outside", "secret-link.txt"}  # inner-link.txt is followed
    assert "--follow-links" in skipped["to-outside"]
    assert set(_titles_sections(index)) == {"Harbour reopens"}
    followed = cli("index", folder, "--index", index, "--follow-links")
    assert followed.exit_code == 0, followed.stderr
    assert set(_titles_sections(index)) == {"Harbour reopens", "Private notes"}


def test_a_short_list_of_class_names_is_not_an_article():
    from search.errors import NotAnArticleError
    from search.ingest.readers import text

    with pytest.raises(NotAnArticleError, match="list of words"):
        text.read(READERS_DIR / "classes.txt", READERS_DIR)


def test_prose_with_a_box_of_control_characters_is_text_not_binary():
    from search.ingest.readers import text

    [article] = text.read(READERS_DIR / "signature-box.txt", READERS_DIR)
    assert article.title == "Is it illegal to transmit encrypted data?"
    assert "export of cryptographic technology" in article.body


def test_a_json_record_with_a_title_alone_is_not_an_article():
    problems: list[str] = []
    [article] = jsonl.read(READERS_DIR / "title-only.jsonl", READERS_DIR, ReadOptions(), problems)
    assert article.title == "With a body"
    assert problems == ["line 1: a title alone, no body or text: not an article"]
