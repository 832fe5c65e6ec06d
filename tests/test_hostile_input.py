"""Hostile input: a folder of nasty files, built here, run through the real
CLI (a subprocess, as a user runs it). Every file must be indexed sanely or
listed as failed/skipped with its reason; no traceback anywhere; every good
file in the same run is indexed; the exit code is 2 because some failed.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

import pytest

from search import NewsIndex

from .crashkit import cli_env, run_cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="FIFOs, symlinks and chmod as on Linux")

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
HUGE_WORD_START, HUGE_WORD_END = "zanzibarquux", "quokkafinale"
GOOD_STORY = ("Harbour pilots vote to end the strike\n\n"
              "Harbour pilots voted on Tuesday to end a strike that had kept ships at anchor "
              "for a week. The port said traffic would be back to normal by Friday.\n")


def _rng() -> random.Random:
    return random.Random(666)


def huge_article(size: int = 50 * 1024 * 1024) -> bytes:
    """A ~50 MB article: varied sentences, a unique word at each end."""
    rng = _rng()
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
             for _ in range(3000)]
    sentences = [" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 20))).capitalize() + ". "
                 for _ in range(4000)]
    block = "".join(sentences)
    head = f"An enormous article\n\nIt opens with {HUGE_WORD_START} in its first sentence. "
    tail = f" It closes with {HUGE_WORD_END}.\n"
    body = block * (size // len(block) + 1)
    return (head + body[:size - len(head) - len(tail)] + tail).encode("utf-8")


def jsonl(*records) -> bytes:
    return ("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n").encode()


#: relative path → (content, expected outcome: indexed | failed | skipped |
#: duplicate (of another file's text) | any).
#: "any" still has to be accounted for (indexed, failed or skipped).
def hostile_files() -> dict[str, tuple[bytes, str]]:
    rng = _rng()
    junk = rng.randbytes(8192)
    files = {
        # binary junk under text names
        "junk/binary.txt": (junk, "failed"),
        "junk/binary.html": (b"\x89PNG\r\n\x1a\n" + junk, "failed"),
        "junk/binary.json": (b"\x00\x01" + junk, "failed"),
        "junk/binary.jsonl": (junk[::-1], "failed"),
        "junk/photo.jpg": (b"\xff\xd8\xff\xe0" + junk, "skipped"),
        # empty and blank
        "empty/empty.txt": (b"", "failed"),
        "empty/empty.html": (b"", "failed"),
        "empty/empty.json": (b"", "failed"),
        "empty/whitespace.txt": (b"  \n\t \r\n   \n", "failed"),
        "empty/whitespace.jsonl": (b"\n\n    \n\t\n", "failed"),
        "empty/bom-only.txt": (b"\xef\xbb\xbf", "failed"),
        "empty/empty-html.html": (b"<html><head></head><body></body></html>", "failed"),
        # encodings
        "enc/invalid-utf8.txt": (b"Broken bytes \xff\xfe\xc3\x28 in a title\n\nThe body has "
                                 b"\x80\x81 stray bytes \xc0\xaf and goes on.\n", "indexed"),
        "enc/latin1.txt": ("Café crème à Paris\n\nLe garçon a servi un café très chaud, "
                           "señor.\n".encode("latin-1"), "indexed"),
        "enc/cp1252.txt": ("“Smart quotes” cost €5 – really\n\nIt’s a deal, they said — "
                           "twice.\n".encode("cp1252"), "indexed"),
        "enc/utf16-bom.txt": ("Grüße aus Köln\n\nDer Dom steht noch, sagte er.\n"
                              .encode("utf-16"), "indexed"),
        "enc/utf16-bom.html": ("<html><head><title>Utf sixteen page</title></head><body>"
                               "<article><p>A page saved as UTF-16 with its byte order mark, "
                               "which some old tools still do.</p></article></body></html>"
                               .encode("utf-16"), "indexed"),
        "enc/utf8-bom.jsonl": (b"\xef\xbb\xbf" + jsonl({"title": "BOM first",
                                                        "body": "A JSON line after a BOM."}),
                               "indexed"),
        "enc/mislabelled.html": ('<html><head><meta charset="utf-8"><title>Mislabelled page'
                                 '</title></head><body><article><p>Déjà vu: this page says '
                                 'UTF-8 but is Latin-1, façade and all.</p></article></body>'
                                 '</html>'.encode("latin-1"), "indexed"),
        "enc/control-chars.txt": (bytes(range(1, 9)) * 500, "failed"),
        "enc/nul-bytes.txt": (b"Title with a NUL\x00\n\nBody \x00\x00 text.\n", "failed"),
        "enc/nul-escape.jsonl": (jsonl({"title": "NUL\u0000in title",
                                        "body": "body with \u0000 a NUL"}), "indexed"),
        "enc/rtl-zero-width.txt": ("مرحبا עולם\u200d\u200b title\n\nCombining e\u0301 and "
                                   "\u202eright-to-left override\u202c text.\n".encode(),
                                   "indexed"),
        # sizes
        "big/huge-50mb.txt": (huge_article(), "indexed"),
        "big/title-100kb.txt": (("Long " * 20480 + "\n\nA body under a 100 KB title.\n")
                                .encode(), "indexed"),
        "big/title-100kb.jsonl": (jsonl({"title": "Wide " * 20480,
                                         "body": "A record with a 100 KB title."}), "indexed"),
        "big/long-word.txt": (("One very long word\n\nIt is " + "x" * 300_000 + " long.\n")
                              .encode(), "indexed"),
        "big/word-list.txt": ("\n".join(f"word{i}" for i in range(500)).encode(), "skipped"),
        # HTML
        "html/nested-10000.html": (("<div>" * 10_000 + "deep" + "</div>" * 10_000).encode(),
                                   "failed"),
        "html/unclosed.html": (b"<html><head><title>Unclosed tags everywhere</title><body>"
                               b"<div><article>"
                               b"<p>First paragraph of a page whose tags are never closed, "
                               b"as old CMSes wrote them<p>Second paragraph <b>bold <i>italic"
                               b"<p>Third paragraph goes on and on", "indexed"),
        "html/script.html": (b"<html><head><title>Script payload page</title>"
                             b"<script>alert('head')</script></head><body><article>"
                             b"<p>Real story text about a council meeting on Monday night, "
                             b"where the budget was agreed after a long debate.</p>"
                             b"<script>document.write('injected')</script>"
                             b"<img src=x onerror=\"alert('img')\">"
                             b"<p>The minutes quote &lt;script&gt;alert(2)&lt;/script&gt; "
                             b"as text, which must stay text.</p></article></body></html>",
                             "indexed"),
        "html/script-only.html": (b"<html><body><script>var a = 1;</script>"
                                  b"<style>p{}</style></body></html>", "failed"),
        "html/entities.html": (b"<html><head><title>Entity storm</title></head><body><article>"
                               b"<p>" + b"&amp;" * 200_000 + b" &#0; &#xD800; &#99999999; "
                               b"&bogus; the end of a paragraph with odd references.</p>"
                               b"</article></body></html>", "any"),
        "html/javascript-link.html": (b"<html><head><title>Link tricks</title>"
                                      b"<link rel=canonical href=\"javascript:alert(1)\"></head>"
                                      b"<body><svg onload=alert(1)></svg><article><p>A story "
                                      b"with <a href=\"javascript:alert(1)\">a bad link</a> "
                                      b"in its first paragraph, and more words after it.</p>"
                                      b"</article></body></html>", "indexed"),
        "html/huge-attribute.html": (b"<html><head><title>Huge attribute</title></head><body>"
                                     b"<article data-x=\"" + b"a" * 1_000_000 + b"\"><p>Text "
                                     b"beside an attribute of a megabyte, which is silly but "
                                     b"legal.</p></article></body></html>", "indexed"),
        # JSON
        "json/wrong-types.jsonl": (jsonl(
            {"title": 123, "body": ["a", "list", "body"]},
            {"title": None, "body": {"nested": "object"}},
            {"id": {"an": "object"}, "title": "Object id", "body": "fine body"},
            {"title": "List date", "body": "b", "published": [2020, 1, 1]},
            {"title": "Tags as text", "body": "b", "tags": "one string", "authors": 42},
            {"title": True, "body": False},
            ["an", "array", "line"], "\"a string line\"", "42", "null",
            "{not json at all", {"title": "Last good one", "body": "after the junk"}), "any"),
        "json/missing-titles.jsonl": (jsonl({"body": "A record with a body and no title."},
                                            {"title": "", "body": ""},
                                            {"headline": None, "text": "Only text here."}),
                                      "indexed"),
        "json/bad-dates.jsonl": (jsonl(*[
            {"id": f"date-{n}", "title": f"Date case {n}", "body": f"A dated story {n}.",
             "published": value} for n, value in enumerate(
                ["32/13/2020", "0000-01-01", "99999-01-01T00:00:00Z", "year 0", "2020-02-30",
                 1e20, -1e15, "NaN", "∞", "", "   ", {"$date": 1}, [2020, 1, 1], True,
                 "0001-01-01", "9999-12-31T23:59:59Z", "-0044-03-15", "1e400"])]),
            "indexed"),
        "json/dupe-ids-a.jsonl": (jsonl({"id": "dup-1", "title": "First", "body": "one"},
                                           {"id": "dup-1", "title": "Second", "body": "two"},
                                           {"id": "dup-1", "title": "Third", "body": "three"}),
                                     "indexed"),
        "json/dupe-ids-b.jsonl": (jsonl({"id": "dup-1", "title": "Fourth",
                                              "body": "four"}), "skipped"),
        "json/deep-nesting.json": (b"[" * 100_000 + b"]" * 100_000, "failed"),
        "json/huge-int.json": (b'{"title": "Big number", "body": "x", "published": 1'
                               + b"0" * 5000 + b"}", "any"),
        "json/not-articles.json": (b'{"settings": {"theme": "dark"}, "version": "1.0"}',
                                   "skipped"),
        "json/scalar.json": (b"42", "skipped"),
        "json/truncated.json": (b'[{"title": "Kept item", "body": "the first item is whole"},'
                                b' {"title": "Cut", "bo', "indexed"),
        "json/long-id.jsonl": (jsonl({"id": "i" * 20_000, "title": "Long id",
                                      "body": "An article with an id of 20,000 characters."}),
                               "any"),
        # other formats
        "csv/broken.csv": (b'title,body\n"Unbalanced quote,body text\nok,fine\n,,,,,\n"a"b"c,d\n',
                           "any"),
        "feeds/billion-laughs.xml": (b'<?xml version="1.0"?><!DOCTYPE lolz ['
                                     b'<!ENTITY lol "lol">'
                                     + b"".join(b'<!ENTITY lol%d "%s">' % (
                                         i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                                         for i in range(1, 10))
                                     + b']><rss><channel><item><title>&lol9;</title>'
                                     b'</item></channel></rss>', "any"),
        "feeds/not-a-feed.xml": (b"<?xml version='1.0'?><config><a>1</a></config>", "skipped"),
        "sgm/junk.sgm": (b"<REUTERS><BODY>unclosed body &#3; \x03 junk", "any"),
        # paths
        "paths/with space/a file name.txt": (b"Spaces in the path\n\nBoth the folder and "
                                             b"the file have spaces in their names.\n",
                                             "indexed"),
        "paths/ünïcödé/日本語 記事.txt": ("東京で会議\n\n会議は月曜日に開かれた。\n".encode(), "indexed"),
        "paths/📰 emoji.txt": ("Emoji in the file name\n\nThe name starts with a newspaper "
                              "emoji.\n".encode(), "indexed"),
        "paths/-leading-dash.txt": (b"Dash first\n\nA file whose name starts with a dash.\n",
                                    "indexed"),
        "paths/folder.txt/inner.txt": (b"Inside a folder named like a file\n\nStill found.\n",
                                       "indexed"),
        # good files in the same run
        "good/good-1.txt": (GOOD_STORY.encode(), "indexed"),
        "good/zz-copy-of-good-1.txt": (GOOD_STORY.encode(), "duplicate"),  # same text
        "good/good-2.txt": (b"Ferry timetable changes\n\nThe winter timetable starts on "
                            b"Sunday with two fewer crossings a day.\n", "indexed"),
        "good/good.html": (b"<html><head><title>Library reopens</title></head><body><article>"
                           b"<p>The town library reopened on Saturday after eight months of "
                           b"repairs, with a new lift and a children's room.</p></article>"
                           b"</body></html>", "indexed"),
        "good/good.jsonl": (jsonl({"id": "good-a", "title": "Bridge opens",
                                   "body": "The new bridge opened to traffic on Monday."},
                                  {"id": "good-b", "title": "Market hall sold",
                                   "body": "The old market hall was sold at auction."}),
                            "indexed"),
    }
    return files


def build(root: Path) -> dict[Path, str]:
    """Write the hostile folder; return every path to account for → outcome."""
    expected: dict[Path, str] = {}
    for rel, (data, outcome) in hostile_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expected[path] = outcome
    special = root / "special"
    special.mkdir()
    os.mkfifo(special / "fifo.txt")                       # reading it would block for ever
    expected[special / "fifo.txt"] = "skipped"
    (special / "loop").symlink_to(".", target_is_directory=True)   # a directory loop
    (special / "self.txt").symlink_to("self.txt")         # a symlink to itself
    expected[special / "self.txt"] = "failed"
    (special / "dangling.txt").symlink_to("/nonexistent/newssearch/nowhere.txt")
    expected[special / "dangling.txt"] = "failed"
    locked = special / "unreadable.txt"
    locked.write_bytes(b"Locked story\n\nNobody may read this file.\n")
    locked.chmod(0)
    # chmod 000 does not stop root: then the file is simply a good one.
    expected[locked] = "indexed" if AS_ROOT else "failed"
    return expected


def parse_listing(stderr: str) -> dict[str, dict[str, str]]:
    """`newssearch: failed: PATH: REASON` lines (and skipped) → {kind: {path: reason}}."""
    found: dict[str, dict[str, str]] = {"failed": {}, "skipped": {}, "duplicate": {}}
    for line in stderr.splitlines():
        for kind in found:
            prefix = f"newssearch: {kind}: "
            if line.startswith(prefix):
                path, _, reason = line[len(prefix):].rpartition(": ")
                # A reason may hold ": " itself; the path is one we wrote.
                while path and not os.path.lexists(path) and ": " in path:
                    path, _, more = path.rpartition(": ")
                    reason = f"{more}: {reason}"
                found[kind][path] = reason
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile folder, indexed once by the real CLI."""
    base = tmp_path_factory.mktemp("hostile")
    root = base / "nasty files"
    expected = build(root)
    index = base / "ix"
    started = time.perf_counter()
    done = run_cli(["index", str(root), "--index", str(index)], cli_env(2000), timeout=300)
    seconds = time.perf_counter() - started
    yield root, index, expected, done, seconds
    (root / "special" / "unreadable.txt").chmod(0o644)


def test_enough_nasty_files(hostile):
    _, _, expected, _, _ = hostile
    assert len(expected) >= 40


def test_no_traceback_and_exit_2(hostile):
    _, _, _, done, seconds = hostile
    print(f"\nindexed the hostile folder in {seconds:.1f} s")
    assert done.returncode == 2, done.stderr[-2000:]
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream
        assert "unexpected" not in stream  # a reader bug shows as "unexpected X"
    for line in done.stderr.splitlines():
        assert line.startswith("newssearch: "), line


def test_every_file_is_indexed_or_listed_with_a_reason(hostile):
    root, index, expected, done, _ = hostile
    listed = parse_listing(done.stderr)
    with NewsIndex.open(index) as ix:
        indexed_paths = {a.path for a in ix.articles()}
    outcome = {}
    for path in expected:
        key = str(path)
        got = [kind for kind, where in (("indexed", str(path.resolve()) in indexed_paths
                                         if path.exists() else False),
                                        ("failed", key in listed["failed"]),
                                        ("skipped", key in listed["skipped"]),
                                        ("duplicate", key in listed["duplicate"])) if where]
        assert got, f"{path.relative_to(root)} is neither indexed nor listed"
        outcome[path] = got
    for path, want in expected.items():
        if want != "any":
            assert want in outcome[path], (f"{path.relative_to(root)}: expected {want}, "
                                           f"got {outcome[path]}")
    for kind in ("failed", "skipped"):
        for path, reason in listed[kind].items():
            assert reason.strip(), f"{path} {kind} without a reason"
    reasons = {Path(p).relative_to(root).as_posix(): r for p, r in listed["failed"].items()}
    assert "binary" in reasons["junk/binary.txt"]
    assert "empty" in reasons["empty/empty.txt"]
    assert "nested too deeply" in reasons["html/nested-10000.html"]
    assert "symbolic links" in reasons["special/self.txt"]
    skipped = {Path(p).relative_to(root).as_posix(): r for p, r in listed["skipped"].items()}
    assert "not a regular file" in skipped["special/fifo.txt"]
    if not AS_ROOT:
        assert "ermission denied" in reasons["special/unreadable.txt"]


def test_good_files_are_all_indexed(hostile):
    root, index, _, _, _ = hostile
    with NewsIndex.open(index) as ix:
        ids = {a.id for a in ix.articles()}
        assert {"good/good-1.txt", "good/good-2.txt", "good/good.html", "good-a",
                "good-b"} <= ids
        assert {"paths/with space/a file name.txt", "paths/ünïcödé/日本語 記事.txt",
                "paths/📰 emoji.txt", "paths/-leading-dash.txt",
                "paths/folder.txt/inner.txt"} <= ids
        assert ix.get("paths/ünïcödé/日本語 記事.txt").title == "東京で会議"


def test_indexed_articles_are_sane(hostile):
    _, index, _, _, _ = hostile
    with NewsIndex.open(index) as ix:
        articles = {a.id: a for a in ix.articles()}
    for article in articles.values():
        for text in (article.id, article.title, article.body, *article.tags, *article.authors):
            assert "\x00" not in text
        assert isinstance(article.title, str) and isinstance(article.body, str)
        assert article.published is None or 1800 <= article.published.year <= 2200
        assert article.url is None or not article.url.lower().startswith("javascript:")
    # Encodings decoded, not mangled.
    assert articles["enc/latin1.txt"].title == "Café crème à Paris"
    assert articles["enc/cp1252.txt"].title == "“Smart quotes” cost €5 – really"
    assert articles["enc/utf16-bom.txt"].title == "Grüße aus Köln"
    assert "NUL" in articles["enc/nul-escape.jsonl#1"].title
    # Absurd and impossible dates are unknown, not guessed.
    dated = {i: a.published for i, a in articles.items() if i.startswith("date-")}
    assert len(dated) == 18
    for case, published in dated.items():
        if case == "date-12":  # [2020, 1, 1]: a date given as a list of numbers
            assert published.year == 2020
        else:
            assert published is None, (case, published)
    # Script payloads: scripts and handlers are dropped, escaped markup stays text.
    script = articles["html/script.html"]
    assert "alert('head')" not in script.body and "injected" not in script.body
    assert "onerror" not in script.body
    assert "<script>alert(2)</script>" in script.body
    # Duplicate ids: the first wins, the rest are reported.
    assert articles["dup-1"].title == "First"
    # The 100 KB title is kept whole.
    assert len(articles["big/title-100kb.txt"].title) >= 100_000


def test_duplicates_and_bad_records_are_reported(hostile):
    _, _, _, done, _ = hostile
    assert done.stderr.count("duplicate id 'dup-1' in this run") == 3
    assert "newssearch: bad record: " in done.stderr
    assert "wrong-types.jsonl" in done.stderr


def test_huge_article_is_searchable_and_its_snippet_fast(hostile):
    _, index, _, _, _ = hostile
    env = cli_env(2000)
    done = run_cli(["query", HUGE_WORD_START, "--index", str(index), "--json"], env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [h["id"] for h in result["hits"]] == ["big/huge-50mb.txt"]
    assert HUGE_WORD_START in result["hits"][0]["snippets"][0]["text"]
    # Fast because snippets scan the first SCAN_CHARS only: bench figures, not timed here.
    # The word at the very end is indexed too (beyond the snippet scan).
    done = run_cli(["query", HUGE_WORD_END, "--index", str(index), "--json"], env)
    assert [h["id"] for h in json.loads(done.stdout)["hits"]] == ["big/huge-50mb.txt"]


def test_html_output_escapes_hostile_text(hostile):
    _, index, _, _, _ = hostile
    done = run_cli(["query", "minutes", "--index", str(index), "--highlight", "html"],
                   cli_env(2000))
    assert done.returncode == 0, done.stderr
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in done.stdout
    assert "<script>" not in done.stdout


def test_other_commands_survive_the_hostile_index(hostile, tmp_path):
    _, index, _, _, _ = hostile
    env = cli_env(2000)
    for args in (["stats"], ["show", "paths/with space/a file name.txt"],
                 ["show", "big/title-100kb.txt", "--json"], ["query", "", "--facet", "source",
                                                             "--facet", "year"],
                 ["export", "-o", str(tmp_path / "all.jsonl")]):
        done = run_cli([*args, "--index", str(index)], env, timeout=300)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr
    lines = (tmp_path / "all.jsonl").read_text("utf-8").splitlines()
    assert all(json.loads(line)["id"] for line in lines)


def test_second_run_changes_nothing_and_reports_the_same_failures(hostile):
    root, index, _, first, _ = hostile
    done = run_cli(["index", str(root), "--index", str(index), "--json"], cli_env(2000),
                   timeout=300)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == 0 and report["updated"] == 0
    assert {f["path"] for f in report["failed"]} == set(parse_listing(first.stderr)["failed"])
