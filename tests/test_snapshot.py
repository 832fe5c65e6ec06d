"""NewsIndex.snapshot(): one commit of the index for a `with` block, the one
door to the read path (the server, completion and evaluation read through it)."""

from __future__ import annotations

import pytest

from search import Article, NewsIndex, QueryError
from search.snapshot import Snapshot


def test_a_snapshot_keeps_its_commit_while_the_index_changes(seed_index):
    with NewsIndex.open(seed_index) as ix, ix.snapshot() as snap:
        assert isinstance(snap, Snapshot)
        before = len(snap)
        with NewsIndex.open(seed_index) as writer:
            writer.add([Article(id="later", title="Idlib later", body="More on Idlib")])
        assert len(snap) == before and not snap.contains("later")
        assert snap.search("Idlib").total == 1
        with ix.snapshot() as fresh:  # a new snapshot: the latest commit
            assert fresh.contains("later") and fresh.search("Idlib").total == 2


def test_snapshot_reads_are_the_index_s(seed_index):
    with NewsIndex.open(seed_index) as ix:
        hit = ix.search("Patriot Idlib").hits[0]
        with ix.snapshot() as snap:
            assert snap.search("Patriot Idlib").to_dict()["hits"][0]["id"] == hit.id
            assert snap.get(hit.id) == ix.get(hit.id)
            assert snap.get("no such id") is None
            assert [h.id for h in snap.similar(hit.id).hits] == [h.id for h in ix.similar(hit.id).hits]
            assert snap.stats(0).documents == ix.stats().documents == len(snap)
            assert snap.fields_with_values(["source", "title"]) == ix.fields_with_values(["source", "title"])


def test_highlight_lights_up_the_query_words(seed_index):
    with NewsIndex.open(seed_index) as ix, ix.snapshot() as snap:
        article = snap.get(ix.search("Patriot").hits[0].id)
        title_spans, body_spans = snap.highlight(article, "Patriot")
        assert {article.body[s:e].lower() for s, e in body_spans} == {"patriot"}
        assert title_spans == []  # (the seed's title does not say Patriot)
        with pytest.raises(QueryError):
            snap.highlight(article, "nosuchfield:x")


def test_complete_finishes_the_last_word(seed_index):
    with NewsIndex.open(seed_index) as ix, ix.snapshot() as snap:
        done = snap.complete("Patr")
        assert "Patriot" in done.completions or "patriot" in done.completions


def test_hits_carry_the_stored_articles_of_every_segment(tmp_path):
    """Hits read stored articles straight from each segment's column
    (execute.stored): the same fields Whoosh's reader gives, on an index of
    several segments, a deleted article among them."""
    from search.engine.whoosh.querying.execute import stored

    ix = NewsIndex.create(tmp_path / "ix")
    try:
        for batch in range(3):
            ix.add([Article(id=f"{batch}-{n}", title=f"Grain report {batch} {n}",
                            body=f"Wheat and grain shipments, part {n}.", source="Wire",
                            tags=["grain", f"batch {batch}"]) for n in range(4)])
        ix.delete("1-2")
        with ix._searching() as searcher:
            reader = searcher.reader()
            assert not reader.is_atomic()
            live = [d for d in range(reader.doc_count_all()) if not reader.is_deleted(d)]
            assert [fields for fields, _ in stored(searcher, [(d, 1.0) for d in live])] \
                == [reader.stored_fields(d) for d in live]
        hits = ix.search("grain", limit=20).hits
        assert sorted(hit.id for hit in hits) == sorted(
            f"{b}-{n}" for b in range(3) for n in range(4) if (b, n) != (1, 2))
        assert all(hit.tags[0] == "grain" and hit.source == "Wire" for hit in hits)
    finally:
        ix.close()
