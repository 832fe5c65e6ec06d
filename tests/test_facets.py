"""Facet counts stay right while per-segment value lists are cached: after
adds (new segments), deletions, and a rebuild (new generation)."""

from __future__ import annotations

from collections import Counter

from search import Article, NewsIndex
from search.query import facets


def article(i: int, tags: list[str]) -> Article:
    return Article(id=f"a{i}", title=f"Story {i} about grain", body="Grain prices moved.",
                   tags=tags, source=f"Wire {i % 3}")


def expected(articles: list[Article], name: str) -> Counter:
    counts = Counter()
    for a in articles:
        for value in getattr(a, name) if name == "tags" else [a.source]:
            counts[value] += 1
    return counts


def counts(ix: NewsIndex, name: str) -> Counter:
    found = ix.search("grain", facets=[name], facet_limit=100)
    return Counter({f.value: f.count for f in found.facets[name]})


def test_cached_counts_follow_adds_deletes_and_rebuilds(tmp_path):
    stored = [article(i, ["farm", f"t{i % 4}"]) for i in range(30)]
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(stored[:20])
        assert counts(ix, "tags") == expected(stored[:20], "tags")
        assert counts(ix, "tags") == expected(stored[:20], "tags")  # from the cache
        cached = len(facets._cache)
        assert cached >= 1

        ix.add(stored[20:])  # a new segment: its lists are built, the old kept
        assert counts(ix, "tags") == expected(stored, "tags")
        assert counts(ix, "source") == expected(stored, "source")

        ix.delete(["a0", "a5", "a29"])
        alive = [a for a in stored if a.id not in {"a0", "a5", "a29"}]
        assert counts(ix, "tags") == expected(alive, "tags")

        ix.add([article(5, ["changed"])])  # an update: old version deleted
        alive.append(article(5, ["changed"]))
        assert counts(ix, "tags") == expected(alive, "tags")

        ix.rebuild()  # a new generation: new segments, new keys
        assert counts(ix, "tags") == expected(alive, "tags")
        assert counts(ix, "source") == expected(alive, "source")


def test_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(facets._cache, "entries", 2)
    with NewsIndex.create(tmp_path / "ix") as ix:
        for i in range(4):
            ix.add([article(i, ["x"])])
            ix.search("grain", facets=["tags", "source", "year"])
        assert len(facets._cache) <= 2
        assert counts(ix, "tags") == Counter({"x": 4})
