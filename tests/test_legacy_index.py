"""An index built by the previous release still opens after the layout move.

tests/fixtures/legacy-index-v8 was written by the flat-layout code (see its
.md file): its table of contents pickles the analyzers, codec, date field and
posting format under their old import paths (``search.analysis`` …). The
restricted unpickler maps those paths to the moved modules
(``safepickle.MOVED``); without that mapping this index would read as damaged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search import IndexDamagedError, NewsIndex
from search.engine.whoosh import safepickle

LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy-index-v8"
OLD_PATHS = {("search.analysis", "NewsAnalyzer"), ("search.analysis", "KeywordAnalyzer"),
             ("search.codec", "NewsCodec"), ("search.datecolumn", "PublishedField"),
             ("search.postings", "CompactPositions")}


@pytest.fixture
def legacy(tmp_path):
    """A copy of the legacy index (opening takes locks: the fixture stays pristine)."""
    return shutil.copytree(LEGACY, tmp_path / "legacy")


def test_the_fixture_names_the_old_paths():
    """Guards the fixture itself: were it rebuilt by moved code, the test
    below would prove nothing."""
    toc = next((LEGACY / "gen-000001").glob("_MAIN_*.toc")).read_bytes()
    for module, name in OLD_PATHS:
        assert module.encode() in toc and name.encode() in toc


def test_every_old_path_is_mapped():
    assert OLD_PATHS <= set(safepickle.MOVED)


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
    with pytest.raises(IndexDamagedError, match="search.analysis"):
        with NewsIndex.open(legacy) as ix:
            ix.search("Patriot")
