"""End-to-end tests of the `newssearch` command line.

Every test drives the real Typer app (the `cli` fixture, or the console
module in a subprocess) against a real Whoosh index built on disk in
tmp_path from real files (seeds/, tests/fixtures/articles) or real Article
records added through the API. Nothing is mocked; expected values are derived
from the source data, never hard-coded scores.

The tests at the end of the file pin bugs these tests found (and that were
then fixed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from .conftest import SEED_FILE, SEED_ID, SEEDS, dated_articles
from search import __version__
from search.text.analysis import analyze
from search.article import FIELD_NAMES

# --- facts read from the real data (not typed in by hand) -----------------------

SEED_LINES = SEED_FILE.read_text("utf-8").splitlines()
#: The seed's headline as the reader stores it (scraper escaping undone).
SEED_TITLE = SEED_LINES[0].strip().replace('\\"', '"')
#: The "Read More:" headlines at the end of the seed file.
SEED_RELATED = [line.strip() for line in
                SEED_LINES[SEED_LINES.index("Read More:") + 1:] if line.strip()]
WIRES = {a.id: a for a in dated_articles()}
DATED_IDS = {SEED_ID, *WIRES}

JSON_KEYS = {"query", "total", "page", "limit", "took_ms", "hits", "facets",
             "warnings", "suggestion", "relaxed"}
HIT_KEYS = {"id", "score", "title", "source", "published", "url", "section", "tags",
            "path", "snippets"}
SNIPPET_KEYS = {"text", "start", "end", "highlights", "cut_after"}
STATS_KEYS = {"path", "documents", "sources", "sections", "earliest", "latest",
              "undated", "fields", "size_bytes", "roots", "created", "updated"}


# --- helpers ------------------------------------------------------------------

def no_traceback(result) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def query_json(cli, index: Path, *args: str) -> dict:
    """`query ARGS --json` that must succeed; the parsed document."""
    result = cli("query", *args, "--index", index, "--json")
    assert result.exit_code == 0, result.stderr
    no_traceback(result)
    return json.loads(result.stdout)


def hit_ids(data: dict) -> list[str]:
    return [h["id"] for h in data["hits"]]


def assert_usage_error(result, *needles: str) -> str:
    """Exit 2, exactly one line on stderr naming `needles`, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def doc_count(cli, index: Path) -> int:
    result = cli("stats", "--index", index, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["documents"]


def generations(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("gen-*") if p.is_dir())


def published_utc(article_id: str):
    return WIRES[article_id].published.timestamp()


# --- 1. query output and highlighting -------------------------------------------

def test_query_text_shows_title_source_date_score_and_marked_snippet(cli, seed_index):
    result = cli("query", "Patriot Idlib", "--index", seed_index)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("1 result ")
    assert SEED_TITLE in out
    assert "Iran Press" in out
    assert "date unknown" in out
    assert re.search(r"score \d+\.\d+", out)
    assert f"id: {SEED_ID}" in out
    # Piped output (the runner is not a terminal) defaults to [marks].
    assert "[Patriot]" in out and "[Idlib]" in out
    assert "\x1b[" not in out and "<mark>" not in out


@pytest.mark.parametrize("style, present, absent", [
    ("ansi", ["\x1b[1;33mPatriot\x1b[22;39m", "\x1b[1;33mIdlib\x1b[22;39m"], ["[Patriot]", "<mark>"]),
    ("html", ["<mark>Patriot</mark>", "<mark>Idlib</mark>"], ["[Patriot]", "\x1b["]),
    ("marks", ["[Patriot]", "[Idlib]"], ["<mark>", "\x1b["]),
    ("none", ["Patriot", "Idlib"], ["[Patriot]", "[Idlib]", "<mark>", "\x1b["]),
])
def test_highlight_styles(cli, seed_index, style, present, absent):
    result = cli("query", "Patriot Idlib", "--index", seed_index, "--highlight", style)
    assert result.exit_code == 0, result.stderr
    for text in present:
        assert text in result.stdout, (style, text)
    for text in absent:
        assert text not in result.stdout, (style, text)


def test_html_highlight_escapes_article_markup(cli, tmp_path):
    from search import Article, NewsIndex

    index = tmp_path / "markup"
    with NewsIndex.create(index) as ix:
        ix.add([Article(id="m1", title="Fish & chips",
                        body="Cooks said <script>alert(1)</script> chips & peas sell well.")])
    result = cli("query", "chips", "--index", index, "--highlight", "html")
    assert result.exit_code == 0, result.stderr
    assert "&lt;script&gt;" in result.stdout
    assert "<script>" not in result.stdout
    assert "<mark>chips</mark> &amp; peas" in result.stdout


def test_json_with_highlight_adds_marked_snippets(cli, seed_index):
    data = query_json(cli, seed_index, "Patriot Idlib", "--highlight", "marks")
    marked = data["hits"][0]["snippets_marked"]
    assert len(marked) == len(data["hits"][0]["snippets"])
    assert any("[Patriot]" in m for m in marked)
    plain = query_json(cli, seed_index, "Patriot Idlib")
    assert "snippets_marked" not in plain["hits"][0]


# --- 2. the query language ------------------------------------------------------

@pytest.mark.parametrize("text, total", [
    ('"Patriot missile systems"', 1),
    ('"missile Patriot"', 0),
    ("\u201cPatriot missile systems\u201d", 1),   # curly quotes from a word processor
    ("Patriot AND NOT Idlib", 0),
    ("Patriot AND NOT zzzunknown", 1),
    ("Patriot OR nonexistentword", 1),
    ("Patriot AND nonexistentword", 0),         # explicit AND: never relaxed
    ("Patriot -Idlib", 0),
    ("Patriot -zzzunknown", 1),
    ("+Patriot Idlib", 1),
    ("(Patriot OR zzz) AND Idlib", 1),
    ("(Patriot OR zzz) AND zzz", 0),
    ("title:Ankara", 1),
    ("title:Patriot", 0),                       # Patriot is only in the body
    ("body:Patriot", 1),
    ('source:"Iran Press"', 1),
    ('source:"Iran"', 0),                       # keyword fields match whole values
    ("S-400", 1),
    ("S400", 1),
    ("S-500", 0),
    ("YPG/PKK", 1),
    ("YPG", 1),
    ("Turkey\u2019s", 1),
    ("al-Sham", 1),
    ("al-Qaeda", 0),
    ("missil*", 1),
    ("Patriots", 1),                            # stemming
])
def test_query_language(cli, seed_index, text, total):
    data = query_json(cli, seed_index, text)
    assert data["total"] == total, (text, data)
    assert hit_ids(data) == ([SEED_ID] if total else [])
    assert data["warnings"] == []


def test_leading_minus_query_after_double_dash(cli, seed_index):
    """A query that starts with -word must follow `--` (else it is an option)."""
    excluded = cli("query", "--index", seed_index, "--json", "--", "-Idlib Patriot")
    assert excluded.exit_code == 0, excluded.stderr
    assert json.loads(excluded.stdout)["total"] == 0
    control = cli("query", "--index", seed_index, "--json", "--", "-zzzunknown Patriot")
    assert json.loads(control.stdout)["total"] == 1


def test_any_matches_any_word(cli, seed_index):
    assert query_json(cli, seed_index, "Patriot AND zzzunknown")["total"] == 0
    assert query_json(cli, seed_index, "Patriot zzzunknown", "--any")["total"] == 1
    # Words ANDed by default that no article has together: relaxed to OR.
    relaxed = query_json(cli, seed_index, "Patriot zzzunknown")
    assert relaxed["total"] == 1 and relaxed["relaxed"] is True


def test_title_highlight_for_field_query(cli, seed_index):
    result = cli("query", "title:Ankara", "--index", seed_index)
    assert result.exit_code == 0
    assert "1. [Ankara] not seeking" in result.stdout
    data = query_json(cli, seed_index, "title:Ankara")
    (start, end), = data["hits"][0]["title_highlights"]
    assert data["hits"][0]["title"][start:end] == "Ankara"


# --- 3. the JSON contract ------------------------------------------------------

def test_query_json_contract(cli, seed_index):
    data = query_json(cli, seed_index, "Patriot Idlib")
    assert set(data) == JSON_KEYS
    assert data["query"] == "Patriot Idlib"
    assert (data["total"], data["page"], data["limit"]) == (1, 1, 10)
    assert isinstance(data["took_ms"], (int, float)) and data["took_ms"] >= 0
    assert data["facets"] == {} and data["warnings"] == [] and data["suggestion"] is None
    hit, = data["hits"]
    assert HIT_KEYS <= set(hit)
    assert hit["id"] == SEED_ID and hit["title"] == SEED_TITLE
    assert hit["source"] == "Iran Press" and hit["published"] is None
    assert isinstance(hit["score"], (int, float)) and hit["score"] > 0
    assert hit["tags"] == [] and hit["url"] is None
    assert Path(hit["path"]).resolve() == SEED_FILE.resolve()
    assert hit["snippets"]

    body = json.loads(cli("show", SEED_ID, "--index", seed_index, "--json").stdout)["body"]
    seen = Counter()
    for snip in hit["snippets"]:
        assert set(snip) == SNIPPET_KEYS
        # start/end are offsets into the full body; text is that passage.
        assert snip["text"] == body[snip["start"]:snip["end"]].replace("\n", " ")
        assert snip["highlights"]
        for start, end in snip["highlights"]:
            word = snip["text"][start:end]
            assert word.lower() in {"patriot", "idlib"}, word
            seen[word.lower()] += 1
    assert seen["patriot"] and seen["idlib"]


@pytest.mark.parametrize("text", ["missiles", "Turkey\u2019s", "ANKARA moscow", "S-400"])
def test_json_highlights_are_query_words(cli, seed_index, text):
    """Every highlight slices the snippet to a word that analyses like a query
    word (case-folded and stemmed the way the index does)."""
    data = query_json(cli, seed_index, text)
    assert data["total"] == 1
    wanted = set(analyze(text))
    spans = 0
    for snip in data["hits"][0]["snippets"]:
        for start, end in snip["highlights"]:
            word = snip["text"][start:end]
            assert set(analyze(word)) & wanted, (word, text)
            spans += 1
    assert spans


# --- 4. facets -------------------------------------------------------------------

def expected_facets() -> dict[str, Counter]:
    """Facet counts over the dated index, computed from the source records."""
    sources = Counter(a.source for a in WIRES.values()) + Counter(["Iran Press"])
    years = Counter(str(a.published.year) for a in WIRES.values() if a.published)
    tags = Counter(t for a in WIRES.values() for t in a.tags)
    return {"source": sources, "year": years, "tags": tags}


def test_facets_json_counts(cli, dated_index):
    data = query_json(cli, dated_index, "Idlib", "--facet", "source", "--facet", "year",
                      "--facet", "tags")
    assert data["total"] == 5
    assert list(data["facets"]) == ["source", "year", "tags"]
    for name, expected in expected_facets().items():
        counts = data["facets"][name]
        assert all(set(c) == {"value", "count"} for c in counts)
        assert {c["value"]: c["count"] for c in counts} == dict(expected), name
        if name == "year":  # a timeline: by date (issue 16)
            assert [c["value"] for c in counts] == sorted(c["value"] for c in counts)
        else:
            assert [c["count"] for c in counts] == sorted((c["count"] for c in counts),
                                                          reverse=True)
    source = {c["value"]: c["count"] for c in data["facets"]["source"]}
    assert source["Reuters"] == 2 and source["Iran Press"] == 1   # display-cased
    assert data["facets"]["source"][0] == {"value": "Reuters", "count": 2}


def test_facets_count_all_hits_not_the_page_and_follow_filters(cli, dated_index):
    full = query_json(cli, dated_index, "Idlib", "--facet", "source")
    paged = query_json(cli, dated_index, "Idlib", "--facet", "source", "--limit", "1",
                       "--page", "3")
    assert len(paged["hits"]) == 1
    assert paged["facets"] == full["facets"]
    filtered = query_json(cli, dated_index, "Idlib", "--facet", "source", "--facet", "tags",
                          "--source", "Reuters")
    assert filtered["total"] == 2
    # Multi-select: the source facet ignores its own filter (so the other
    # sources stay clickable); the tags facet follows it.
    assert filtered["facets"]["source"] == full["facets"]["source"]
    assert {c["value"]: c["count"] for c in filtered["facets"]["tags"]} == {
        "Syria": 2, "Turkey": 1, "Russia": 1}
    limited = query_json(cli, dated_index, "Idlib", "--facet", "source", "--facet-limit", "2")
    assert limited["facets"]["source"] == full["facets"]["source"][:2]


def test_facets_text_section(cli, dated_index):
    result = cli("query", "Idlib", "--index", dated_index, "--facet", "source",
                 "--facet", "year")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Facets" in lines
    after = lines[lines.index("Facets"):]
    assert any(l.strip().startswith("source:") and "Reuters (2)" in l for l in after)
    assert any(l.strip().startswith("year:") and "2020 (2)" in l for l in after)


def test_unknown_facet_is_a_usage_error(cli, dated_index):
    result = cli("query", "Idlib", "--index", dated_index, "--facet", "nosuchfield")
    assert_usage_error(result, "nosuchfield")
    assert result.stdout == ""


# --- 5. sorting, filters, pagination -------------------------------------------

@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_sort_by_date_with_undated_last(cli, dated_index, order):
    data = query_json(cli, dated_index, "Idlib", "--sort", order)
    ids = hit_ids(data)
    assert set(ids) == DATED_IDS
    dated = [i for i in WIRES if WIRES[i].published]
    expected = sorted(dated, key=published_utc, reverse=(order == "newest"))
    assert ids[:len(expected)] == expected
    assert set(ids[len(expected):]) == DATED_IDS - set(expected)
    assert all(h["published"] is None for h in data["hits"][len(expected):])
    assert all(h["score"] > 0 for h in data["hits"])


def test_sort_relevance_differs_from_date_order(cli, dated_index):
    relevance = query_json(cli, dated_index, "Idlib")
    scores = [h["score"] for h in relevance["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert hit_ids(relevance) != hit_ids(query_json(cli, dated_index, "Idlib", "--sort", "newest"))


@pytest.mark.parametrize("args, expected", [
    (["--source", "Reuters"], {"wire-1", "wire-2"}),
    (["--source", "reuters"], {"wire-1", "wire-2"}),
    (["--source", "iran press"], {SEED_ID}),
    (["--source", "Reuters", "--source", "AFP"], {"wire-1", "wire-2", "wire-4"}),
    (["--section", "World"], {"wire-1", "wire-2"}),
    (["--section", "world"], {"wire-1", "wire-2"}),
    (["--source", "Reuters", "--section", "Markets"], set()),
    (["--since", "2020-03", "--until", "2020-03"], {"wire-1"}),
    (["--since", "2020-03-07", "--until", "2020-03-07"], {"wire-1"}),
    (["--until", "2020-02"], {"wire-2", "wire-3"}),
    (["--since", "2020"], {"wire-1", "wire-2"}),
])
def test_filters(cli, dated_index, args, expected):
    data = query_json(cli, dated_index, "Idlib", *args)
    assert set(hit_ids(data)) == expected
    assert data["total"] == len(expected)


@pytest.mark.parametrize("text, expected", [
    ("published:[2020-01-01 TO 2020-02-28]", {"wire-2"}),
    ("Idlib published:[2020-01-01 TO 2020-02-28]", {"wire-2"}),
    ("published:2020", {"wire-1", "wire-2"}),
    ("published:>=2020-03", {"wire-1"}),
    ("tag:syria", {"wire-1", "wire-2", "wire-4"}),
    ('author:"jane doe"', {"wire-1"}),
    ("elysee", {"wire-4"}),                       # accents folded
])
def test_fielded_queries_on_dated_index(cli, dated_index, text, expected):
    assert set(hit_ids(query_json(cli, dated_index, text))) == expected


def test_pagination(cli, dated_index):
    everything = hit_ids(query_json(cli, dated_index, "Idlib"))
    assert len(everything) == 5
    second = query_json(cli, dated_index, "Idlib", "--limit", "1", "--page", "2")
    assert (second["total"], second["page"], second["limit"]) == (5, 2, 1)
    assert hit_ids(second) == everything[1:2]
    pages = [hit_ids(query_json(cli, dated_index, "Idlib", "--limit", "2", "--page", str(p)))
             for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == everything


def test_page_past_the_end(cli, dated_index):
    data = query_json(cli, dated_index, "Idlib", "--limit", "2", "--page", "9")
    assert data["hits"] == []
    assert (data["total"], data["page"]) == (5, 9)
    text = cli("query", "Idlib", "--index", dated_index, "--limit", "2", "--page", "9")
    assert text.exit_code == 0
    assert text.stdout.startswith("5 results")
    assert "past the end" in text.stdout
    assert "1. " not in text.stdout


@pytest.mark.parametrize("args, needle", [
    (["--since", "notadate"], "notadate"),
    (["--until", "2020-13"], "2020-13"),
    (["--since", "2021", "--until", "2020"], "--since"),
])
def test_bad_dates_are_usage_errors(cli, dated_index, args, needle):
    assert_usage_error(cli("query", "Idlib", "--index", dated_index, *args), needle)


def test_zero_hits_is_success(cli, seed_index):
    result = cli("query", "zzzunknown", "--index", seed_index)
    assert result.exit_code == 0
    assert result.stdout.startswith("0 results")
    assert result.stderr == ""


# --- 6. errors -------------------------------------------------------------------

@pytest.mark.parametrize("text, warning, total", [
    ('"unclosed', "unclosed quote", 0),
    ("(Idlib", "unclosed '('", 1),
    ("Idlib)", "unmatched ')'", 1),
    ("title:", "nothing to search after 'title:'", 0),
])
def test_lenient_mode_warns_on_stderr(cli, seed_index, text, warning, total):
    result = cli("query", text, "--index", seed_index)
    assert result.exit_code == 0, result.stderr
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and warning in lines[0], result.stderr
    assert warning not in result.stdout          # said once, on stderr
    assert result.stdout.startswith(f"{total} result")
    data = query_json(cli, seed_index, text)      # JSON carries the warning instead
    assert data["total"] == total
    assert any(warning in w for w in data["warnings"])


@pytest.mark.parametrize("text, column", [
    ('"unclosed', "col 1"),
    ("(Idlib", "col 1"),
    ("Patriot (Idlib", "col 9"),
    ("title:", "col 6"),
])
def test_strict_mode_rejects_with_column(cli, seed_index, text, column):
    result = cli("query", text, "--index", seed_index, "--strict")
    assert_usage_error(result, column)
    assert result.stdout == ""


@pytest.mark.parametrize("strict", [[], ["--strict"]])
def test_unknown_field_is_an_error_in_both_modes(cli, seed_index, strict):
    line = assert_usage_error(cli("query", "foo:bar", "--index", seed_index, *strict), '"foo"')
    assert "unknown field" in line


def test_missing_index_dir(cli, tmp_path):
    missing = tmp_path / "nowhere"
    for args in (["query", "Idlib"], ["stats"], ["show", SEED_ID], ["export"], ["rebuild"]):
        assert_usage_error(cli(*args, "--index", missing), "no index", str(missing))
    assert not missing.exists()


def test_show_unknown_id(cli, seed_index):
    result = cli("show", "nosuchid", "--index", seed_index)
    assert_usage_error(result, "nosuchid")
    assert result.stdout == ""


def test_locked_index_fails_fast_and_loses_nothing(cli, corpus_index, corpus_dir, tmp_path):
    from search import NewsIndex

    before = doc_count(cli, corpus_index)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text("Locked out\n\nThis story must not get in while locked.\n")
    ix = NewsIndex.open(corpus_index)
    writer = ix._ix.writer()
    try:
        result = cli("index", extra, "--index", corpus_index, "--wait", "0")
        assert_usage_error(result, "locked")
        rebuild = cli("rebuild", "--index", corpus_index, "--wait", "0")
        assert_usage_error(rebuild, "locked")
        # Readers are not blocked by a writer.
        assert query_json(cli, corpus_index, "Patriot")["total"] == 2
    finally:
        writer.cancel()
        ix.close()
    assert doc_count(cli, corpus_index) == before == 5
    assert query_json(cli, corpus_index, "locked")["total"] == 0
    assert len(generations(corpus_index)) == 1
    # And once the lock is gone the same command works.
    ok = cli("index", extra, "--index", corpus_index, "--wait", "0")
    assert ok.exit_code == 0, ok.stderr
    assert doc_count(cli, corpus_index) == 6


def test_index_missing_path_keeps_existing_articles(cli, corpus_index, tmp_path):
    before = doc_count(cli, corpus_index)
    missing = tmp_path / "no" / "such" / "path"
    result = cli("index", missing, "--index", corpus_index)
    assert result.exit_code == 2
    no_traceback(result)
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and str(missing) in errors[0]
    assert doc_count(cli, corpus_index) == before == 5
    assert query_json(cli, corpus_index, "Patriot")["total"] == 2


def test_unexpected_options_are_usage_errors(cli, seed_index):
    for args in (["--limit", "-1"], ["--page", "0"], ["--sort", "sideways"]):
        result = cli("query", "Idlib", "--index", seed_index, *args)
        assert result.exit_code == 2, args
        no_traceback(result)


# --- 7. index ----------------------------------------------------------------------

def test_index_is_idempotent(cli, tmp_path):
    index = tmp_path / "ix"
    first = cli("index", SEEDS, "--index", index)
    assert first.exit_code == 0, first.stderr
    assert re.search(r"\b1 added\b", first.stdout)
    assert "0 failed" in first.stdout
    second = cli("index", SEEDS, "--index", index)
    assert second.exit_code == 0, second.stderr
    assert "0 added, 0 updated, 1 unchanged" in second.stdout
    assert doc_count(cli, index) == 1
    report = json.loads(cli("index", SEEDS, "--index", index, "--json").stdout)
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 1)
    assert report["failed"] == [] and report["files"] + report["files_unchanged"] == 1
    assert report["files_unchanged"] == 1  # the ledger saw it unchanged: not re-read
    assert doc_count(cli, index) == 1
    assert hit_ids(query_json(cli, index, "Patriot Idlib")) == [SEED_ID]


def test_index_single_file(cli, tmp_path):
    index = tmp_path / "ix"
    result = cli("index", SEED_FILE, "--index", index)
    assert result.exit_code == 0, result.stderr
    assert re.search(r"\b1 added\b", result.stdout)
    assert hit_ids(query_json(cli, index, "Idlib")) == [SEED_ID]


def test_edited_file_is_updated(cli, corpus_index, corpus_dir):
    target = corpus_dir / "missile-purchase.txt"
    assert query_json(cli, corpus_index, "quokka")["total"] == 0
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\nA quokka was seen near the ministry.\n")
    result = cli("index", corpus_dir, "--index", corpus_index)
    assert result.exit_code == 0, result.stderr
    assert "0 added, 1 updated, 4 unchanged" in result.stdout
    assert hit_ids(query_json(cli, corpus_index, "quokka")) == ["missile-purchase.txt"]
    assert doc_count(cli, corpus_index) == 5


def test_bad_files_are_reported_and_the_rest_indexed(cli, corpus_dir, tmp_path):
    junk = corpus_dir / "junk.txt"
    junk.write_bytes(b"\x00\x01\x02\xff\xfe binary \x00 junk \x00" * 20)
    pdf = corpus_dir / "notes.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% not really\n")
    index = tmp_path / "ix"
    result = cli("index", corpus_dir, "--index", index)
    assert result.exit_code == 2
    no_traceback(result)
    assert re.search(r"\b5 added\b", result.stdout)
    assert "1 failed" in result.stdout and "1 skipped" in result.stdout
    failed = [l for l in result.stderr.splitlines() if "failed:" in l]
    skipped = [l for l in result.stderr.splitlines() if "skipped:" in l]
    assert len(failed) == 1 and "junk.txt" in failed[0]
    assert len(skipped) == 1 and "notes.pdf" in skipped[0]
    assert doc_count(cli, index) == 5
    assert query_json(cli, index, "sterling")["total"] == 1
    assert query_json(cli, index, "binary junk")["total"] == 0

    report_run = cli("index", corpus_dir, "--index", index, "--json")
    assert report_run.exit_code == 2
    report = json.loads(report_run.stdout)
    assert [Path(f["path"]).name for f in report["failed"]] == ["junk.txt"]
    assert [Path(s["path"]).name for s in report["skipped"]] == ["notes.pdf"]
    assert report["unchanged"] == 5 and report["added"] == 0


# --- 8. rebuild ---------------------------------------------------------------------

REBUILD_QUERIES = [["Idlib"], ["Turkey"], ['"missile systems"'], [""], ["Ankara OR lira"],
                   ["S-400"], ["Idlib", "--sort", "newest"], ["", "--sort", "oldest"],
                   ["Idlib", "--facet", "source", "--facet", "year"]]


def snapshot(cli, index: Path) -> dict:
    shots = {}
    for args in REBUILD_QUERIES:
        data = query_json(cli, index, *args, "--limit", "50")
        data.pop("took_ms")
        shots[tuple(args)] = data
    return shots


def test_rebuild_keeps_results_identical(cli, dated_index):
    before = snapshot(cli, dated_index)
    export_before = cli("export", "--index", dated_index).stdout
    gens_before = generations(dated_index)
    result = cli("rebuild", "--index", dated_index)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Rebuilt from")
    assert "0 failed" in result.stdout
    after = snapshot(cli, dated_index)
    for key in before:
        assert hit_ids(after[key]) == hit_ids(before[key]), key
        assert after[key]["total"] == before[key]["total"], key
        assert after[key] == before[key], key
    assert before[("Idlib",)]["total"] == 5          # not vacuously equal
    assert cli("export", "--index", dated_index).stdout == export_before
    gens_after = generations(dated_index)
    assert len(gens_after) == 1 and gens_after != gens_before


def test_rebuild_picks_up_edits_and_deletions(cli, corpus_index, corpus_dir):
    (corpus_dir / "economy" / "lira-slides.txt").unlink()
    story = corpus_dir / "ceasefire-talks.txt"     # ends in a Read More block,
    text = story.read_text("utf-8")                 # so edit the body in place
    assert "joint patrols" in text
    story.write_text(text.replace("joint patrols", "joint quokka patrols"), "utf-8")
    result = cli("rebuild", "--index", corpus_index)
    assert result.exit_code == 0, result.stderr
    assert "1 removed" in result.stdout
    assert doc_count(cli, corpus_index) == 4
    assert hit_ids(query_json(cli, corpus_index, "quokka")) == ["ceasefire-talks.txt"]
    assert query_json(cli, corpus_index, "central bank")["total"] == 0
    assert len(generations(corpus_index)) == 1


# --- 9. stats ----------------------------------------------------------------------

def test_stats_text(cli, dated_index):
    result = cli("stats", "--index", dated_index)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert re.search(r"^Articles\s+5$", out, re.M)
    assert "Reuters (2)" in out and "Iran Press (1)" in out
    assert re.search(r"^Size on disk\s+\d", out, re.M)
    assert re.search(r"^Built from\s+.*" + re.escape(str(SEEDS.resolve())), out, re.M)
    assert "2019-12-30 to 2020-03-07" in out and "(2 undated)" in out


def test_stats_json(cli, dated_index):
    result = cli("stats", "--index", dated_index, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == STATS_KEYS
    assert data["documents"] == 5 and data["undated"] == 2
    assert {c["value"]: c["count"] for c in data["sources"]} == dict(expected_facets()["source"])
    assert data["earliest"].startswith("2019-12-30") and data["latest"].startswith("2020-03-07")
    assert data["roots"] == [str(SEEDS.resolve())]
    assert {"title", "body", "source", "published"} <= set(data["fields"])
    on_disk = sum(f.stat().st_size for f in dated_index.rglob("*") if f.is_file())
    assert data["size_bytes"] == on_disk > 0


# --- 10. show and export --------------------------------------------------------------

def test_show_text(cli, seed_index):
    result = cli("show", SEED_ID, "--index", seed_index)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == SEED_TITLE
    assert "Hulusi Akar said on Thursday that NATO members may send Patriot" in out
    assert "Iran PressMiddle East" not in out        # the glued dateline is cleaned
    assert "Related:" in out
    related = out[out.index("Related:"):]
    assert len(SEED_RELATED) == 3
    for headline in SEED_RELATED:
        assert headline in related
    assert "Read More" not in out


def test_show_json_has_every_field(cli, dated_index):
    data = json.loads(cli("show", "wire-1", "--index", dated_index, "--json").stdout)
    assert list(data) == list(FIELD_NAMES)
    wire = WIRES["wire-1"]
    assert data["published"] == wire.published.isoformat()    # offset kept
    assert (data["title"], data["source"], data["tags"], data["authors"]) == \
        (wire.title, wire.source, wire.tags, wire.authors)


def test_show_id_with_a_slash(cli, corpus_index):
    result = cli("show", "economy/lira-slides.txt", "--index", corpus_index)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Lira slides to record low")
    assert "Related:" not in result.stdout


def test_export_stdout(cli, dated_index):
    result = cli("export", "--index", dated_index)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == doc_count(cli, dated_index) == 5
    records = [json.loads(line) for line in lines]
    assert all(list(r) == list(FIELD_NAMES) for r in records)
    assert {r["id"] for r in records} == DATED_IDS
    by_id = {r["id"]: r for r in records}
    for article_id, wire in WIRES.items():
        expected = wire.to_dict()
        expected["cluster"] = article_id  # each starts its own cluster
        assert by_id[article_id] == expected, article_id
    assert by_id[SEED_ID]["related"] == SEED_RELATED


def test_export_to_file(cli, dated_index, tmp_path):
    target = tmp_path / "out" / "dump.jsonl"
    target.parent.mkdir()
    result = cli("export", "--index", dated_index, "-o", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "5" in result.stderr and str(target) in result.stderr
    assert target.read_text("utf-8") == cli("export", "--index", dated_index).stdout
    assert len(target.read_text("utf-8").splitlines()) == 5


# --- 11. fresh clone bootstrap and NEWSSEARCH_INDEX ---------------------------------

def run_console(args: list[str], cwd: Path, **extra_env) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NEWSSEARCH_INDEX", "NEWSSEARCH_DEBUG", "NO_COLOR")}
    env.update(extra_env)
    return subprocess.run([sys.executable, "-m", "search.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_fresh_clone_bootstraps_from_seeds(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copytree(SEEDS, clone / "seeds")
    first = run_console(["query", "Patriot Idlib"], clone)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    notice = first.stderr.strip().splitlines()
    assert len(notice) == 1 and "seeds" in notice[0], first.stderr
    assert SEED_TITLE in first.stdout
    assert "[Patriot]" in first.stdout
    assert (clone / "index" / "newssearch.json").is_file()
    second = run_console(["query", "Patriot Idlib"], clone)
    assert second.returncode == 0
    assert second.stderr == ""
    assert SEED_TITLE in second.stdout


def test_no_index_and_no_seeds_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_console(["query", "Idlib"], empty)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "no index" in result.stderr
    assert not (empty / "index").exists()


def test_newssearch_index_env_var(cli, dated_index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)       # no index/ and no seeds/ here
    result = cli("query", "Idlib", "--json", env={"NEWSSEARCH_INDEX": str(dated_index)})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 5
    without = cli("query", "Idlib", env={"NEWSSEARCH_INDEX": None})
    assert without.exit_code == 2
    # --index wins over the environment.
    other = tmp_path / "other"
    assert cli("index", SEEDS, "--index", other).exit_code == 0
    chosen = cli("query", "Idlib", "--json", "--index", other,
                 env={"NEWSSEARCH_INDEX": str(dated_index)})
    assert json.loads(chosen.stdout)["total"] == 1


def test_newssearch_index_env_var_in_console_script(dated_index, tmp_path):
    result = run_console(["stats", "--json"], tmp_path, NEWSSEARCH_INDEX=str(dated_index))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["documents"] == 5


# --- 12. help ------------------------------------------------------------------------

def test_query_help_explains_the_language(cli):
    result = cli("query", "--help")
    assert result.exit_code == 0
    out = result.stdout
    for word in ("OR", "NOT", "phrase", "field:term", "published:"):
        assert word in out, word


def test_top_level_help_lists_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("query", "index", "rebuild", "stats", "show", "export"):
        assert command in result.stdout


# --- regressions: bugs found by these tests and fixed -------------------------------

def test_rebuild_with_missing_root_keeps_articles(cli, corpus_index, corpus_dir, tmp_path):
    corpus_dir.rename(tmp_path / "unplugged")
    result = cli("rebuild", "--index", corpus_index)
    assert result.exit_code == 2
    no_traceback(result)
    assert doc_count(cli, corpus_index) == 5
    assert query_json(cli, corpus_index, "Patriot")["total"] == 2


def test_version_option(cli):
    result = cli("--version")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"newssearch {__version__}"


def test_export_to_unwritable_path_is_a_usage_error(cli, seed_index, tmp_path):
    result = cli("export", "--index", seed_index, "-o", tmp_path / "missing" / "out.jsonl")
    assert_usage_error(result, "missing")


def test_index_into_a_file_is_a_usage_error(cli, tmp_path):
    not_a_dir = tmp_path / "afile"
    not_a_dir.write_text("x")
    assert_usage_error(cli("index", SEEDS, "--index", not_a_dir), str(not_a_dir))


def test_snippet_that_ends_the_article_has_no_trailing_ellipsis(cli, dated_index):
    result = cli("query", "ceasefire", "--index", dated_index)
    assert result.exit_code == 0
    body = WIRES["wire-1"].body                  # short: the snippet is all of it
    assert body.endswith("monitors said.")
    assert "monitors said." in result.stdout
    assert "monitors said.\u2026" not in result.stdout
