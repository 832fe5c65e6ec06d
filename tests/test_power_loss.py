"""Power loss: at every crash point of an `index` run and of a `rebuild`, the
disk a power cut could leave (see tests/crashfs.py: only fsynced data, and
only fsynced names or every name) must hold an index that opens, holds
exactly a committed state, has a ledger never ahead of it, and converges:
`index` run again ends with every article, as its source says, and a clean
`check`.

kill -9 (tests/test_crash_safety.py) cannot show this: the kernel keeps what
a killed process wrote. Here unsynced writes are really lost.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from search import NewsIndex
from search.ingest.check import check_index
from search.engine.whoosh.directory import MANIFEST
from search.ingest.ledger import Ledger

from .crashfs import CrashRecorder, materialize
from .crashkit import check_committed, index_state, make_corpus

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")

#: Articles per commit: the run of 24 articles makes 3 commits and a merge.
BATCH = 8


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """24 articles: 16 text files in 8 folders and one JSON Lines file of 8."""
    return make_corpus(tmp_path_factory.mktemp("power") / "news", text_files=16,
                       jsonl_files=1, per_jsonl=8)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setenv("NEWSSEARCH_BATCH_SIZE", str(BATCH))


def _check_disk(path: Path, corpus, before: int) -> None:
    """The index at `path`, as a power cut left it: opens, holds a committed
    state, its ledger is not ahead of it, and a re-run converges."""
    state = index_state(path)
    check_committed(state, corpus, before, BATCH)
    generation = json.loads((path / MANIFEST).read_text())["generation"]
    ledger = Ledger(path / generation)
    try:
        ahead = [r.path for r in ledger.under("/") if not set(r.ids) <= set(state)]
    finally:
        ledger.close()
    assert not ahead, f"the ledger records files whose articles are not indexed: {ahead[:3]}"
    with NewsIndex.open(path) as ix:
        report = ix.index_paths([corpus.root], jobs=1)
    assert not report.failed, report.failed
    assert index_state(path) == corpus.expected
    assert check_index(path).ok


def _replay(recorder: CrashRecorder, corpus, tmp_path: Path, before: int,
            monkeypatch) -> list[str]:
    """Check the two disks of every crash point; returns the labels seen."""
    assert len(recorder.points) > 20, [p.label for p in recorder.points]
    # The checks' own writes need not reach the disk (the ledger's neither):
    # a real fsync costs up to tens of milliseconds, thousands of times here.
    monkeypatch.setattr("os.fsync", lambda fd: None)
    connect = sqlite3.connect

    def connect_unsynced(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.execute("PRAGMA synchronous=OFF")
        return db

    monkeypatch.setattr("sqlite3.connect", connect_unsynced)
    seen = set()
    for point in recorder.points:
        for disk in ("synced", "renamed"):
            image = getattr(point, disk)
            digest = hash(tuple(sorted((k, v if v is None else hash(v)) for k, v in image.items())))
            if digest in seen:
                continue  # the same disk as an earlier point's
            seen.add(digest)
            where = tmp_path / f"crash-{point.number:03d}-{disk}"
            try:
                _check_disk(materialize(image, where), corpus, before)
            except Exception as exc:
                raise AssertionError(f"crash point {point.number} ({point.label}), "
                                     f"{disk} disk: {type(exc).__name__}: {exc}") from exc
    print(f"{len(recorder.points)} crash points, {len(seen)} distinct disks")
    return [p.label for p in recorder.points]


def test_a_power_cut_during_index_leaves_a_committed_state(corpus, tmp_path, monkeypatch):
    path = tmp_path / "ix"
    NewsIndex.create(path).close()
    with CrashRecorder(path) as recorder:
        with NewsIndex.open(path) as ix:
            report = ix.index_paths([corpus.root], jobs=1)
    assert report.added == len(corpus.order)
    labels = _replay(recorder, corpus, tmp_path, 0, monkeypatch)
    # The run was really cut at each step of its commits.
    assert sum(label == "ledger commit" for label in labels) >= len(corpus.order) // BATCH
    assert any(label.startswith("replace") and label.endswith(".toc") for label in labels)
    # Each ledger commit comes after a TOC rename whose folder was then fsynced.
    for at, label in enumerate(labels):
        if label == "ledger commit":
            renamed = max(i for i in range(at) if labels[i].startswith("replace")
                          and labels[i].endswith(".toc"))
            assert "fsync gen-000001" in labels[renamed:at], labels[renamed:at]


def test_a_power_cut_during_rebuild_leaves_the_old_or_the_new_index(corpus, tmp_path,
                                                                     monkeypatch):
    path = tmp_path / "ix"
    with NewsIndex.create(path) as ix:
        ix.index_paths([corpus.root], jobs=1)
    with CrashRecorder(path) as recorder:
        with NewsIndex.open(path) as ix:
            ix.rebuild(jobs=1)
    labels = _replay(recorder, corpus, tmp_path, len(corpus.order), monkeypatch)
    assert any(label.startswith("replace") and label.endswith(MANIFEST) for label in labels)
