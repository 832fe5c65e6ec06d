"""The Python API (`search.NewsIndex`) on real indexes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from search import (Article, IndexNotFoundError, IndexVersionError, NewsIndex,
                    NewsSearchError, QueryError)
from search.text.analysis import analyze

from .conftest import SEED_ID, SEEDS, dated_articles


def test_seed_query_end_to_end(seed_index):
    with NewsIndex.open(seed_index) as ix:
        res = ix.search("Patriot Idlib", facets=["source"])
    assert res.total == 1
    [hit] = res.hits
    assert hit.id == SEED_ID and hit.source == "Iran Press" and hit.score > 0
    marked = {s.text[a:b].lower() for s in hit.snippets for a, b in s.highlights}
    assert marked == {"patriot", "idlib"}
    assert [(c.value, c.count) for c in res.facets["source"]] == [("Iran Press", 1)]


@pytest.mark.parametrize("query, total", [
    ('"Patriot missile systems"', 1),
    ('"missile Patriot"', 0),
    ("Patriot AND NOT Idlib", 0),
    ("title:Ankara", 1),
    ("title:Patriot", 0),
    ("S-400", 1), ("S400", 1), ("YPG/PKK", 1), ("PKK", 1),
    ("Turkey’s", 1), ("al-Sham", 1), ('"Hayat Tahrir al-Sham"', 1),
    ("Latakia", 0),              # only in the Read More block
    ('source:"iran press"', 1), ("section:middle", 0),
    ("missiles", 1),             # stemming
    ("IDLIB", 1),                # case folding
])
def test_query_language_on_the_seed(seed_index, query, total):
    with NewsIndex.open(seed_index) as ix:
        assert ix.search(query).total == total


def test_every_hit_of_an_and_query_holds_every_word(corpus_index):
    with NewsIndex.open(corpus_index) as ix:
        res = ix.search("Turkish officials", limit=50)
        assert res.total >= 2
        for hit in res.hits:
            article = ix.get(hit.id)
            words = set(analyze(article.title + " " + article.body))
            assert {"turkish", "offici"} <= words


def test_reindex_is_idempotent_and_detects_changes(tmp_path, corpus_dir):
    with NewsIndex.create(tmp_path / "ix") as ix:
        first = ix.index_paths([corpus_dir])
        second = ix.index_paths([corpus_dir])
        assert (first.added, second.added, second.unchanged, second.updated) == (5, 0, 5, 0)
        assert len(ix) == 5
        target = corpus_dir / "missile-purchase.txt"
        target.write_text(target.read_text("utf-8").replace("second S-400", "third S-400"),
                          "utf-8")
        third = ix.index_paths([corpus_dir])
        assert (third.updated, third.unchanged, len(ix)) == (1, 4, 5)
        assert ix.search("third S-400").total == 1
        assert ix.search('"second S-400"').total == 0


def test_add_update_delete_through_the_api(tmp_path):
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.add(dated_articles())
        assert report.added == 4 and len(ix) == 4
        changed = dated_articles()[0]
        changed.title = "Idlib ceasefire collapses"
        changed.content_hash = changed.compute_hash()
        assert ix.add([changed]).updated == 1
        assert ix.get("wire-1").title == "Idlib ceasefire collapses"
        assert ix.delete(["wire-1", "no-such-id"]) == 1
        assert ix.get("wire-1") is None and len(ix) == 3
        assert ix.delete("wire-2") == 1  # one id, not its characters
        assert ix.get("wire-2") is None and len(ix) == 2


def test_duplicate_ids_in_one_batch_are_indexed_once(tmp_path):
    twins = [Article(id="same", title="One", body="first"), Article(id="same", title="Two", body="second")]
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.add(twins)
        assert report.added == 1 and len(report.skipped) == 1 and len(ix) == 1


def test_stored_article_round_trips(dated_index):
    original = {a.id: a for a in dated_articles()}
    with NewsIndex.open(dated_index) as ix:
        for article in ix.articles():
            if article.id in original:
                expected = original[article.id].to_dict()
                expected["cluster"] = article.id  # each article starts its own cluster
                assert article.to_dict() == expected
        stored = ix.get("wire-1")
    assert stored.published.utcoffset().total_seconds() == 3 * 3600
    assert json.loads(json.dumps(stored.to_dict()))["published"] == "2020-03-07T09:30:00+03:00"


def test_sorts_filters_and_date_ranges(dated_index):
    with NewsIndex.open(dated_index) as ix:
        newest = [h.id for h in ix.search("Idlib", sort="newest").hits]
        oldest = [h.id for h in ix.search("Idlib", sort="oldest").hits]
        assert newest[:3] == ["wire-1", "wire-2", "wire-3"]
        assert oldest[:3] == ["wire-3", "wire-2", "wire-1"]
        assert set(newest[3:]) == set(oldest[3:]) == {"wire-4", SEED_ID}  # undated last
        assert all(h.score > 0 for h in ix.search("Idlib", sort="newest").hits)
        assert {h.id for h in ix.search("Idlib", source="reuters").hits} == {"wire-1", "wire-2"}
        assert {h.id for h in ix.search("Idlib", source=["AFP", "Bloomberg"]).hits} == {"wire-3", "wire-4"}
        assert [h.id for h in ix.search("Idlib", section="markets").hits] == ["wire-3"]
        assert [h.id for h in ix.search("", since="2020-03", until="2020-03").hits] == ["wire-1"]
        assert [h.id for h in ix.search("", until="2019").hits] == ["wire-3"]
        assert [h.id for h in ix.search("published:[2020-01-01 TO 2020-02-28]").hits] == ["wire-2"]
        assert {h.id for h in ix.search("published:>=2020-02").hits} == {"wire-1", "wire-2"}
        assert [h.id for h in ix.search("published:2019").hits] == ["wire-3"]
        assert [h.id for h in ix.search("author:\"jane doe\"").hits] == ["wire-1"]
        assert [h.id for h in ix.search("tags:currencies").hits] == ["wire-3"]
        assert [h.id for h in ix.search("elysee").hits] == ["wire-4"]


def test_facets_count_all_matches_not_just_the_page(dated_index):
    with NewsIndex.open(dated_index) as ix:
        res = ix.search("Idlib", limit=1, facets=["source", "tags", "year", "month", "section"])
    assert res.total == 5 and len(res.hits) == 1
    assert [(c.value, c.count) for c in res.facets["source"]] == [
        ("Reuters", 2), ("AFP", 1), ("Bloomberg", 1), ("Iran Press", 1)]
    assert ("Syria", 3) in [(c.value, c.count) for c in res.facets["tags"]]
    assert [(c.value, c.count) for c in res.facets["year"]] == [("2019", 1), ("2020", 2)]
    assert ("2020-03", 1) in [(c.value, c.count) for c in res.facets["month"]]


def test_facets_respect_filters(dated_index):
    with NewsIndex.open(dated_index) as ix:
        res = ix.search("Idlib", source="Reuters", facets=["tags"])
    assert {c.value: c.count for c in res.facets["tags"]} == {"Syria": 2, "Turkey": 1, "Russia": 1}


def test_pagination(dated_index):
    with NewsIndex.open(dated_index) as ix:
        pages = [ix.search("Idlib", limit=2, page=p) for p in (1, 2, 3, 4)]
    ids = [h.id for p in pages for h in p.hits]
    assert len(ids) == 5 == len(set(ids))
    assert pages[3].hits == [] and pages[3].total == 5 and pages[0].pages == 3


@pytest.mark.parametrize("kwargs", [
    {"sort": "sideways"}, {"limit": -1}, {"page": 0}, {"facets": ["body"]},
    {"since": "yesterday-ish"}, {"since": "2021", "until": "2020"},
])
def test_bad_search_arguments_raise_query_error(seed_index, kwargs):
    with NewsIndex.open(seed_index) as ix, pytest.raises(QueryError):
        ix.search("Idlib", **kwargs)


def test_rebuild_gives_identical_results_and_one_generation(dated_index):
    queries = ["Idlib", "Patriot Idlib", '"Patriot missile systems"', "Turkey", ""]
    with NewsIndex.open(dated_index) as ix:
        before = [ix.search(q, limit=50).hits for q in queries]
        report = ix.rebuild()
        after = [ix.search(q, limit=50).hits for q in queries]
        assert len(ix) == 5
    assert [[h.id for h in hits] for hits in before] == [[h.id for h in hits] for hits in after]
    # Whoosh keeps field lengths in one lossy byte per document, so segment
    # layout can move scores in the third decimal; the ranking must not move.
    for old, new in zip(before, after):
        assert [h.score for h in new] == pytest.approx([h.score for h in old], rel=0.01)
    assert report.removed == 0 and report.unchanged == 5
    assert len(list(dated_index.glob("gen-*"))) == 1


def test_rebuild_follows_the_sources(tmp_path, corpus_dir):
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([corpus_dir])
        (corpus_dir / "missile-purchase.txt").unlink()
        (corpus_dir / "new.txt").write_text("Fresh story\n\nAbout Idlib.\n", "utf-8")
        report = ix.rebuild()
        assert ix.get("missile-purchase.txt") is None
        assert ix.get("new.txt").title == "Fresh story"
        assert (report.removed, report.added) == (1, 1) and len(ix) == 5


def test_a_reader_follows_a_rebuild_by_another_handle(seed_index):
    reader = NewsIndex.open(seed_index)
    try:
        assert reader.search("Idlib").total == 1
        with NewsIndex.open(seed_index) as writer:
            writer.rebuild()
            writer.add([Article(id="later", title="Idlib later", body="More on Idlib")])
        assert reader.search("Idlib").total == 2
    finally:
        reader.close()


def test_searches_read_the_manifest_only_when_it_was_replaced(seed_index, monkeypatch):
    """Every search checks whether a rebuild swapped generations: by the
    manifest's stat, parsing it only when a swap replaced it."""
    from search.engine.whoosh import directory

    reads = []
    real = directory._read_manifest
    monkeypatch.setattr(directory, "_read_manifest",
                        lambda *args: reads.append(1) or real(*args))
    reader = NewsIndex.open(seed_index)
    try:
        reader.search("Idlib")
        reads.clear()
        for _ in range(3):
            assert reader.search("Idlib").total == 1
        assert reads == []
        with NewsIndex.open(seed_index) as writer:
            writer.rebuild()
            writer.add([Article(id="later", title="Idlib later", body="More on Idlib")])
        assert reader.search("Idlib").total == 2 and reads
    finally:
        reader.close()


def test_searches_follow_every_commit_of_another_handle(tmp_path):
    """A search finds the newest commit by checking two TOC files, not by
    listing the folder: one commit, and two in a row (the first one's TOC
    already deleted by the second) are both seen at the next search."""
    path = tmp_path / "ix"
    reader = NewsIndex.create(path)
    try:
        reader.add([Article(id="a", title="Grain", body="Wheat prices")])
        assert reader.search("wheat").total == 1
        with NewsIndex.open(path) as writer:
            writer.add([Article(id="b", title="Grain", body="Wheat exports")])
            assert reader.search("wheat").total == 2
            writer.add([Article(id="c", title="Grain", body="Wheat tenders")])
            writer.add([Article(id="d", title="Grain", body="Wheat harvest")])
            assert reader.search("wheat").total == 4
            writer.delete("a")
            assert reader.search("wheat").total == 3
    finally:
        reader.close()


def test_stats(dated_index):
    with NewsIndex.open(dated_index) as ix:
        stats = ix.stats()
    assert stats.documents == 5 and stats.undated == 2
    assert stats.earliest == datetime(2019, 12, 30) and stats.latest == datetime(2020, 3, 7, 6, 30)
    assert stats.sources[0].value == "Reuters" and stats.sources[0].count == 2
    assert "title" in stats.fields and stats.size_bytes > 0
    assert stats.roots == [str(SEEDS.resolve())]


def test_open_errors(tmp_path, seed_index):
    with pytest.raises(IndexNotFoundError):
        NewsIndex.open(tmp_path / "nothing-here")
    with pytest.raises(NewsSearchError, match="already exists"):
        NewsIndex.create(seed_index)
    NewsIndex.create(seed_index, overwrite=True).close()
    with NewsIndex.open(seed_index) as ix:
        assert len(ix) == 0


def test_incompatible_index_version_asks_for_rebuild(seed_index):
    manifest = seed_index / "newssearch.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = 999
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexVersionError, match="rebuild needed"):
        NewsIndex.open(seed_index)


def test_naive_datetimes_are_taken_as_utc():
    article = Article(id="x", title="t", body="b", published=datetime(2020, 1, 2, 3, 4))
    assert article.published.tzinfo == timezone.utc


def test_rebuild_keeps_articles_of_a_missing_source_unless_told(tmp_path, corpus_dir):
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([corpus_dir])
        moved = corpus_dir.rename(tmp_path / "unplugged")
        kept = ix.rebuild()
        assert len(ix) == 5 and kept.removed == 0
        assert [root for root, _ in kept.failed] == [str(corpus_dir.resolve())]
        assert ix.search("Patriot").total == 2
        dropped = ix.rebuild(drop_missing=True)
        assert len(ix) == 0 and dropped.removed == 5
        assert ix.stats().roots == []
        moved.rename(corpus_dir)
        assert ix.index_paths([corpus_dir]).added == 5


def test_snippets_carry_their_punctuation_and_know_when_they_end(dated_index):
    with NewsIndex.open(dated_index) as ix:
        [snippet] = ix.search("monitors").hits[0].snippets
    assert snippet.text.endswith("monitors said.") and not snippet.cut_after
    assert snippet.text[slice(*snippet.highlights[0])] == "monitors"


def test_stats_survives_a_rebuild_swapping_generations_mid_call(tmp_path, monkeypatch):
    """stats() reads everything from its searcher: a rebuild by another
    writer may swap in a new generation and delete the old one while it
    runs (Whoosh's `ix.schema` re-read the deleted table of contents)."""
    from search.engine.whoosh.querying import execute as searching

    ix = NewsIndex.create(tmp_path / "ix")
    assert ix.index_paths([SEEDS]).added == 1
    other = NewsIndex.open(tmp_path / "ix")
    real = searching.date_range

    def rebuild_then_read(searcher):
        other.rebuild()  # swaps in gen-000002 and deletes gen-000001
        return real(searcher)

    monkeypatch.setattr(searching, "date_range", rebuild_then_read)
    stats = ix.stats()
    assert stats.documents == 1 and "title" in stats.fields
    assert not (tmp_path / "ix" / "gen-000001").exists()
    monkeypatch.setattr(searching, "date_range", real)
    assert ix.search("Idlib").total == 1  # and the next call follows the swap
    ix.close(), other.close()
