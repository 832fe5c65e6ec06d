"""Indexes built by earlier releases still open after the layout moves.

tests/fixtures/legacy-index-v8 was written by the flat-layout code (see its
.md file): its table of contents pickles the analyzers, codec, date field and
posting format under their old import paths (``search.analysis`` …).
tests/fixtures/legacy-index-v8-9c278aa was written by the first package
layout, whose analyzers were Whoosh analyzers in ``search.text.analysis``
(they are plain classes there now; the schema pickles their Whoosh adapters
in ``search.engine.whoosh.analyzers``). The restricted unpickler maps those
paths to where the classes live now (``safepickle.MOVED``); without that
mapping these indexes would read as damaged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search import IndexDamagedError, NewsIndex
from search.engine.whoosh import safepickle

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEGACY = FIXTURES / "legacy-index-v8"
OLD_PATHS = {("search.analysis", "NewsAnalyzer"), ("search.analysis", "KeywordAnalyzer"),
             ("search.codec", "NewsCodec"), ("search.datecolumn", "PublishedField"),
             ("search.postings", "CompactPositions")}
#: Built by main 9c278aa (the same three articles: see legacy-index-v8.md).
PACKAGED = FIXTURES / "legacy-index-v8-9c278aa"
PACKAGED_PATHS = {("search.text.analysis", "NewsAnalyzer"),
                  ("search.text.analysis", "KeywordAnalyzer")}


@pytest.fixture(params=[LEGACY, PACKAGED], ids=["flat", "packaged"])
def legacy(request, tmp_path):
    """A copy of a legacy index (opening takes locks: the fixture stays pristine)."""
    return shutil.copytree(request.param, tmp_path / "legacy")


@pytest.mark.parametrize("folder, paths", [(LEGACY, OLD_PATHS), (PACKAGED, PACKAGED_PATHS)],
                         ids=["flat", "packaged"])
def test_the_fixture_names_the_old_paths(folder, paths):
    """Guards the fixtures themselves: were one rebuilt by moved code, the
    tests below would prove nothing."""
    toc = next((folder / "gen-000001").glob("_MAIN_*.toc")).read_bytes()
    for module, name in paths:
        assert module.encode() in toc and name.encode() in toc
    assert b"search.engine.whoosh.analyzers" not in toc


def test_every_old_path_is_mapped():
    assert OLD_PATHS | PACKAGED_PATHS <= set(safepickle.MOVED)


def test_legacy_index_opens_and_answers(legacy):
    with NewsIndex.open(legacy) as ix:
        assert len(ix) == 3
        results = ix.search("Patriot Idlib")
        assert [hit.id for hit in results.hits] == ["legacy-1"]
        assert ix.get("legacy-3").title == "Bundestag debattiert Haushalt"
        assert [hit.id for hit in ix.search("published:2021").hits] == ["legacy-2"]


def test_without_the_mapping_it_does_not_open(legacy, monkeypatch):
    """The mapping is what makes it open (not some other fallback)."""
    monkeypatch.setattr(safepickle, "MOVED", {})
    with pytest.raises(IndexDamagedError, match=r"search\.(text\.)?analysis"):
        with NewsIndex.open(legacy) as ix:
            ix.search("Patriot")
