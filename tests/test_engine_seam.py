"""The Whoosh engine implements the engine seam's protocols (engine/base.py).
(That the seam imports no Whoosh is an import contract: test_architecture.)"""

from __future__ import annotations

from search import Article, IndexReport, NewsIndex
from search.engine import base
from search.ingest import indexer


def test_the_store_and_its_snapshot_are_the_seam_s(seed_index):
    with NewsIndex.open(seed_index) as ix:
        assert isinstance(ix._store, base.Store)
        with ix.snapshot() as snap:
            assert isinstance(snap, base.Reader)


def test_the_batch_writer_is_the_seam_s(tmp_path):
    with NewsIndex.create(tmp_path / "ix") as ix, ix._batch(IndexReport(), wait=1, jobs=1) as batch:
        assert isinstance(batch, base.BatchWriter) and isinstance(batch, indexer.BatchWriter)
        batch.add(Article(id="a", title="Seam", body="Written through the seam"), "a")
    with NewsIndex.open(tmp_path / "ix") as ix:
        assert ix.get("a").title == "Seam"

