"""Safety: HTML output escapes what articles and queries say; an index of
another format version is refused with "rebuild needed", and `rebuild`
upgrades it; the knobs of the reliability section behave as documented."""

from __future__ import annotations

import json
import re

import pytest

from search import Article, NewsIndex
from search.engine.whoosh.directory import MANIFEST
from search.ingest.neardup import SCAN_CHARS, signature
from search.engine.whoosh.schema import SCHEMA_VERSION

from .conftest import SEEDS
from .crashkit import cli_env, make_corpus, run_cli

HOSTILE = Article(
    id="<img src=x onerror=alert('id')>", title="<script>alert('title')</script> Harbour news",
    body="The harbour <b>reopened</b> & <iframe src=javascript:alert(1)></iframe> today.",
    source="<svg onload=alert('source')>", section="<i>Ports</i>", tags=["<u>tag</u>"])


def raw_tags(text: str) -> set[str]:
    """HTML tags left unescaped in `text`, other than our own <mark>."""
    return {t for t in re.findall(r"</?([a-zA-Z][\w-]*)", text) if t != "mark"}


def test_html_output_escapes_every_article_field(cli, tmp_path):
    index = tmp_path / "ix"
    with NewsIndex.create(index) as ix:
        ix.add([HOSTILE])
    out = cli("query", "harbour <b>", "--index", index, "--highlight", "html",
              "--facet", "source", "--facet", "section", "--facet", "tags")
    assert out.exit_code == 0, out.stderr
    assert raw_tags(out.stdout) == set(), out.stdout
    assert "1. &lt;script&gt;alert(" in out.stdout
    assert out.stdout.count("&lt;svg onload=alert('source')&gt;") == 2  # meta line, facet
    assert "id: &lt;img src=x onerror=alert('id')&gt;" in out.stdout
    assert "<mark>" in out.stdout                                   # highlights still marked
    # The JSON document carries the text as it is (JSON escapes it for JSON);
    # its marked snippets are HTML-escaped.
    data = json.loads(cli("query", "harbour", "--index", index, "--json",
                          "--highlight", "html").stdout)
    assert data["hits"][0]["source"] == HOSTILE.source
    assert raw_tags(" ".join(data["hits"][0]["snippets_marked"])) == set()


def test_other_schema_version_needs_a_rebuild_and_rebuild_upgrades_it(cli, tmp_path):
    index = tmp_path / "ix"
    assert cli("index", SEEDS, "--index", index).exit_code == 0
    before = cli("query", "Patriot Idlib", "--index", index, "--json").stdout
    manifest = index / MANIFEST
    for other in (SCHEMA_VERSION - 1, SCHEMA_VERSION + 1):
        data = json.loads(manifest.read_text())
        data["schema_version"] = other
        manifest.write_text(json.dumps(data))
        for args in (["query", "Idlib"], ["stats"], ["show", "x"], ["export"],
                     ["index", SEEDS]):
            out = cli(*args, "--index", index)
            assert out.exit_code == 2, (args, out.stdout)
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1 and "rebuild needed" in lines[0], out.stderr
            assert f"newssearch rebuild --index {index}" in lines[0]
            assert f"schema {other}, this is {SCHEMA_VERSION}" in lines[0]
        out = cli("rebuild", "--index", index)
        assert out.exit_code == 0, out.stderr
        assert json.loads(manifest.read_text())["schema_version"] == SCHEMA_VERSION
        after = cli("query", "Patriot Idlib", "--index", index, "--json").stdout
        strip = lambda s: {k: v for k, v in json.loads(s).items() if k != "took_ms"}  # noqa: E731
        assert strip(after) == strip(before)
        assert len(list(index.glob("gen-*"))) == 1


def test_a_damaged_manifest_is_a_clear_error(cli, seed_index):
    (seed_index / MANIFEST).write_text("{not json")
    out = cli("query", "Idlib", "--index", seed_index)
    assert out.exit_code == 2
    assert "unreadable" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_batch_size_knob(tmp_path):
    news = make_corpus(tmp_path / "news", text_files=30, jsonl_files=0)
    bad = run_cli(["index", str(news.root), "--index", str(tmp_path / "ix")],
                  {**cli_env(1), "NEWSSEARCH_BATCH_SIZE": "lots"})
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("newssearch: error: NEWSSEARCH_BATCH_SIZE must be a whole "
                                  "number of articles, 1 or more (got 'lots')")
    good = run_cli(["index", str(news.root), "--index", str(tmp_path / "ix")], cli_env(7))
    assert good.returncode == 0, good.stderr
    from whoosh import index as whoosh_index
    gen = next((tmp_path / "ix").glob("gen-*"))
    # 30 articles in batches of 7: four full batches, then the rest, then
    # the run's five segments merged into one, a commit of its own.
    ix = whoosh_index.open_dir(str(gen))
    assert ix.latest_generation() == 6
    assert [s.doc_count() for s in ix._segments()] == [30]


def test_near_duplicate_signature_reads_only_the_opening():
    opening = " ".join(f"word{i % 5000} other{i % 7}" for i in range(20_000))[:SCAN_CHARS]
    # What follows the opening changes nothing: it is never read (so a 54 MB
    # body costs what its opening does; checked here by result, not by time).
    assert signature(opening + " and then a great deal more " * 10_000) == signature(opening)
    assert signature("lorem ipsum dolor sit amet " * 2_000_000) == \
        signature(("lorem ipsum dolor sit amet " * 2_000_000)[:SCAN_CHARS])


def test_resuming_into_a_filled_index_opens_a_searcher_per_batch(tmp_path, monkeypatch):
    """Articles added to a non-empty index (a re-run after a crash, an
    incremental run) used to cost a searcher per article in update_document:
    7x slower than into an empty index, with small batches. Counted here
    (searchers opened), not timed."""
    from whoosh.searching import Searcher

    news = make_corpus(tmp_path / "news", text_files=400, jsonl_files=0)
    monkeypatch.setenv("NEWSSEARCH_BATCH_SIZE", "25")
    seeded = tmp_path / "b"
    with NewsIndex.create(seeded) as ix:
        ix.index_paths([SEEDS], jobs=1)
    opened = []
    original = Searcher.__init__

    def counting(self, reader, *args, **kwargs):
        if kwargs.get("parent") is None:  # not a segment's sub-searcher
            opened.append(reader)
        original(self, reader, *args, **kwargs)

    monkeypatch.setattr(Searcher, "__init__", counting)
    with NewsIndex.open(seeded) as ix:
        report = ix.index_paths([news.root], jobs=1)
    assert report.added == 400
    assert len(opened) <= 400 // 25 + 4, len(opened)


@pytest.mark.parametrize("words", ["Title:Ankara", "TITLE:Ankara", "Headline:ankara"])
def test_field_names_in_any_case(seed_index, words):
    """check_syntax accepted `Title:`, Whoosh searched it as a word: 0 hits."""
    with NewsIndex.open(seed_index) as ix:
        assert ix.search("title:Ankara").total == 1
        assert ix.search(words).total == 1
