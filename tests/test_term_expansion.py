"""Fuzzy expansion (search.engine.whoosh.term_expansion): the same words on one segment
and on many, transpositions included, and equal to a brute-force Damerau
distance over the whole vocabulary of any field."""

from __future__ import annotations

import pytest
from whoosh.support.levenshtein import damerau_levenshtein

from search import Article, NewsIndex
from search.engine.whoosh.term_expansion import damerau_automaton

WORDS = ("receive received receiver relieve recieve deceive revive growth grown "
         "growths grwoth gross goth wrath teeth health").split()


def articles(start: int, count: int) -> list[Article]:
    return [Article(id=f"a{n}", title=WORDS[n % len(WORDS)],
                    body=" ".join(WORDS[(n + k) % len(WORDS)] for k in range(4)) + f" x{n}")
            for n in range(start, start + count)]


@pytest.fixture
def segmented(tmp_path):
    """The same articles in an index of several segments (one commit each)."""
    path = tmp_path / "many"
    with NewsIndex.create(path) as ix:
        for start in range(0, 40, 8):
            ix.add(articles(start, 8))
    return path


def brute_force(reader, field: str, text: str, maxdist: int, prefix: int) -> list[str]:
    words = (t.decode("utf-8") for t in reader.lexicon(field))
    return sorted(w for w in words
                  if w[:prefix] == text[:prefix] and damerau_levenshtein(w, text) <= maxdist)


@pytest.mark.parametrize("field", ["body", "title", "id"])
@pytest.mark.parametrize("text, maxdist, prefix", [
    ("recieve", 1, 0), ("receive", 2, 0), ("growth", 1, 0), ("grwoth", 1, 1),
    ("x1", 1, 0), ("zzzz", 2, 0), ("", 1, 0),
])
def test_many_segments_expand_like_brute_force(segmented, field, text, maxdist, prefix):
    with NewsIndex.open(segmented) as ix, ix._searching() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 1  # really several segments
        expected = brute_force(reader, field, text, maxdist, prefix)
        assert list(reader.terms_within(field, text, maxdist, prefix)) == expected
        for leaf, _ in reader.leaf_readers():  # and each segment on its own
            assert list(leaf.terms_within(field, text, maxdist, prefix)) == \
                brute_force(leaf, field, text, maxdist, prefix)


def test_one_segment_finds_transpositions(tmp_path):
    # Whoosh's single-segment automaton had no transpositions: `grwoth~1`
    # missed "growth" on one segment (but found it on several).
    path = tmp_path / "one"
    with NewsIndex.create(path) as ix:
        ix.add([Article(id="g", title="Growth", body="Growth returns"),
                Article(id="o", title="Other", body="Nothing here")])
        with ix._searching() as searcher:
            reader = searcher.reader()
            assert reader.is_atomic()
            assert "growth" in reader.terms_within("title", "grwoth", 1)
        assert [h.id for h in ix.search("title:grwoth~1").hits] == ["g"]


def test_fuzzy_search_results_do_not_depend_on_segments(tmp_path, segmented):
    single = tmp_path / "single"
    with NewsIndex.create(single) as ix:
        ix.add(articles(0, 40))
    for query in ("recieve~1", "grwoth~1", "helth~2", "title:growht~1"):
        with NewsIndex.open(segmented) as many, NewsIndex.open(single) as one:
            assert ({h.id for h in many.search(query, limit=100).hits}
                    == {h.id for h in one.search(query, limit=100).hits}), query


def test_automaton_agrees_with_damerau_distance():
    import itertools

    words = ["".join(p) for n in range(6) for p in itertools.product("abc", repeat=n)]
    for term in ("abca", "ab", "cab", "aabb", ""):
        for k, prefix in ((1, 0), (2, 0), (1, 1), (2, 2)):
            if prefix > len(term):
                continue
            dfa = damerau_automaton(term, k, prefix)
            for word in words:
                expected = (word[:prefix] == term[:prefix]
                            and damerau_levenshtein(word, term) <= k)
                assert bool(dfa.accept(word)) is expected, (term, k, prefix, word)


# --- expanded once per segment (issue 21: patterns on many segments) ---------------------


def _count_walks(monkeypatch, name: str) -> list:
    """Record (segment id, arguments) each time term_expansion walks a
    segment's terms through `name`."""
    from search.engine.whoosh import term_expansion

    walks, walk = [], getattr(term_expansion, name)

    def counted(first, second, *rest, **options):
        if name == "_segment_walk":  # (query, segment)
            walks.append((second._segment.segment_id(), str(first)))
        else:  # _walk_together(segments, field, automaton)
            walks.extend((leaf._segment.segment_id(), second) for leaf in first)
        return walk(first, second, *rest, **options)
    monkeypatch.setattr(term_expansion, name, counted)
    return walks


@pytest.mark.parametrize("query, walker", [
    # A ? word reads the few blocks its run of letters can be in (rec, ive);
    # without a run of two letters it jumps by its automaton.
    ("rec?ive", "_segment_walk"), ("r?c?i?e", "_walk_together"),
    ("*owth", "_segment_walk"), ("grow*", "_segment_walk"), ("recieve~1", "_walk_together"),
])
def test_a_pattern_walks_each_segment_once_whatever_its_uses(segmented, monkeypatch,
                                                              query, walker):
    # The limit check, simplify, estimate_size, each segment's matcher and
    # highlighting all expand the pattern; each segment's terms were walked
    # for every one of them (and merge-sorted over all segments for the
    # reader-wide ones), so the cost grew with the segment count.
    walks = _count_walks(monkeypatch, walker)
    with NewsIndex.open(segmented) as ix:
        with ix._searching() as searcher:
            segments = len(searcher.reader().leaf_readers())
        assert ix.search(query).total
        # (A word is searched in the title and the body: one walk each.)
        fields = {pattern for _, pattern in walks}
        assert fields
        assert len(walks) == len(set(walks)) == segments * len(fields)
        walks.clear()
        assert ix.search(query).total
        assert walks == []  # kept: segments never change


def test_a_pattern_too_broad_to_keep_is_not_walked_again(segmented, monkeypatch):
    """A ? word with more terms than a segment keeps (here any: x10, x20
    and x30 are in three segments) falls back to Whoosh's lazy walk; the
    next search knows it is too broad without walking the segments
    together again."""
    from search.engine.whoosh import term_expansion

    monkeypatch.setattr(term_expansion, "CACHED_PATTERN_TERMS", 0)
    walks = _count_walks(monkeypatch, "_walk_together")
    with NewsIndex.open(segmented) as ix:
        first = ix.search("x?0").total
        assert first and walks
        walks.clear()
        assert ix.search("x?0").total == first
        assert walks == []


PATTERNS = {
    "Prefix": ("rec", "grow", "x1", "", "zz"),
    "Wildcard": ("rec?ive", "*owth", "x1*", "*", "zz*", "[gr]*h", "gr?w", "?", "??",
                 "r?c??ve", "zz?", "?rowth", "x?", "x??", "*eiv*", "*ei?e*", "r*ive",
                 "*x1?", "*zq*", "re*ve?", "*ee*", "*e*e*"),
    "Regex": ("rec.ive", ".*owth", "gr[eo]w", "x1.*", "zz"),
}


@pytest.mark.parametrize("few_blocks", [None, 0])
@pytest.mark.parametrize("kind", sorted(PATTERNS))
def test_kept_pattern_expansions_equal_whoosh_walk(segmented, monkeypatch, kind, few_blocks):
    """(few_blocks=0: a ? word jumps by its automaton even where its
    signatures leave few blocks, as where they leave many.)"""
    from whoosh import query as wq

    from search.engine.whoosh import term_expansion

    if few_blocks is not None:
        monkeypatch.setattr(term_expansion, "FEW_BLOCKS", few_blocks)
    stock = term_expansion._stock_btexts
    with NewsIndex.open(segmented) as ix, ix._searching() as searcher:
        reader = searcher.reader()
        for pattern in PATTERNS[kind]:
            q = getattr(wq, kind)("body", pattern)
            assert list(q._btexts(reader)) == list(stock(q, reader)), pattern
            for leaf, _ in reader.leaf_readers():
                assert list(q._btexts(leaf)) == list(stock(q, leaf)), pattern
        # Too broad to keep: Whoosh's own lazy walk, same terms.
        monkeypatch.setattr(term_expansion, "CACHED_PATTERN_TERMS", 2)
        for pattern in PATTERNS[kind]:
            q = getattr(wq, kind)("title", pattern)
            assert list(q._btexts(reader)) == list(stock(q, reader)), pattern


def test_segments_written_before_signatures_expand_the_same(tmp_path, monkeypatch):
    """An index whose segments were written without signatures (magic
    NTD1) walks every block, by key or by automaton, and finds what an index
    with signatures finds."""
    from search.engine.whoosh.codec import postings

    from .test_termdict import UnsignedWriter

    def build(path):
        with NewsIndex.create(path) as ix:
            for start in range(0, 40, 8):
                ix.add(articles(start, 8))
        return path

    signed = build(tmp_path / "signed")
    with monkeypatch.context() as patched:
        patched.setattr(postings, "TermDictWriter", UnsignedWriter)
        old = build(tmp_path / "old")
    with NewsIndex.open(old) as ix, ix._searching() as searcher:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        assert len(leaves) > 1
        assert all(leaf._terms._tindex._signatures_at is None for leaf in leaves)
    for query in ("rec?ive", "*eiv*", "*owth", "r?c?i?e", "title:*th", "x1?"):
        with NewsIndex.open(signed) as a, NewsIndex.open(old) as b:
            found = a.search(query, limit=100)
            assert found.total, query
            assert [h.id for h in found.hits] == [h.id for h in b.search(query, limit=100).hits]
