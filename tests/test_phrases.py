"""Phrases matched once per segment (search.engine.whoosh.querying.phrases): the same hits and
scores as Whoosh's own phrase matching, positions walked once, and the
walk stopped by the search deadline."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from search import Article, NewsIndex
from search.engine.whoosh.querying import phrases
from search.engine.whoosh.querying import execute as searching
from search.engine.whoosh.querying.ranked_query import for_ranking
from search.engine.whoosh.translate import to_whoosh
from search.errors import SearchTimeout
from search.query.parser import parse

LINES = ["the company said on monday it would raise prices",
         "prices said the company would rise",
         "the company said nothing about oil prices",
         "oil prices fell as the company said it would cut output",
         "a company in the north said prices are high",
         "nothing to see here"]


@pytest.fixture
def index(tmp_path):
    """Forty articles over several segments (one commit each)."""
    path = tmp_path / "ix"
    with NewsIndex.create(path) as ix:
        for start in range(0, 40, 8):
            ix.add([Article(id=f"a{n}", title=LINES[(n + 2) % len(LINES)][:30],
                            body=" ".join(LINES[(n + k) % len(LINES)] for k in range(n % 3 + 1))
                            + f" item{n}")
                    for n in range(start, start + 8)])
    return path


@pytest.mark.parametrize("q", ['"the company said"', '"company said"~3', '"oil prices" company',
                               '"said the company" OR "oil prices"', '"company said"^3 prices',
                               'title:"oil prices"', 'prices -"company said"'])
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_kept_phrases_rank_like_whoosh_phrases(index, q, sort, monkeypatch):
    with NewsIndex.open(index) as ix:
        results = ix.search(q, limit=40, sort=sort)
        # The reference walks positions itself, every time (no kept match sets).
        monkeypatch.setattr("search.engine.whoosh.querying.ranking.phrase_docs", lambda phrase, searcher, check=None:
                            frozenset(wq.Phrase.matcher(phrase, searcher).all_ids()))
        with ix._searching() as searcher:
            assert len(searcher.reader().leaf_readers()) > 1
            # Whoosh's own phrase matching by positions, under the one ranking
            plain = for_ranking(to_whoosh(parse(q).tree), q)
            found = searcher.search(plain, limit=40, sortedby=searching._sort_facet(sort))
            expected = [(hit["id"], searching._relevance(hit.score)) for hit in found]
    assert [h.id for h in results.hits] == [i for i, _ in expected]
    assert [h.score for h in results.hits] == pytest.approx([s for _, s in expected], rel=1e-9)
    assert results.total == len(expected)


def test_positions_are_walked_once_per_segment(index, monkeypatch):
    walks = []
    original = wq.Phrase.matcher

    def counting(self, searcher, context=None):
        walks.append(searcher.reader())
        return original(self, searcher, context)

    monkeypatch.setattr(wq.Phrase, "matcher", counting)
    with NewsIndex.open(index) as ix:
        first = ix.search('"company would"~2', facets=["source"]).total
        segments = len(walks)
        assert segments > 1
        assert ix.search('"company would"~2').total == first
    assert len(walks) == segments  # the second search walked nothing


def test_the_walk_stops_at_the_deadline_and_keeps_nothing(index, monkeypatch):
    def expired():
        raise SearchTimeout("stopped")

    q = next(leaf for leaf in to_whoosh(parse('"company said"~3').tree).leaves()
             if isinstance(leaf, wq.Phrase) and leaf.fieldname == "body")
    with NewsIndex.open(index) as ix, ix._searching() as searcher:
        sub = searcher.leaf_searchers()[0][0]
        monkeypatch.setattr(phrases, "CHECK_EVERY", 1)
        with pytest.raises(SearchTimeout):
            phrases.phrase_docs(q, sub, expired)
        assert phrases.phrase_docs(q, sub) == frozenset(wq.Phrase.docs(q, sub))
