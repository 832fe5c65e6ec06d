"""Top k scored from the match sets (engine/whoosh/querying/topk.py) against
Whoosh's own collector: the same documents, in the same order, with the same
scores to the last bit, on indexes of one segment and of several, with
deleted articles, on our own articles and on BBC News."""

from __future__ import annotations

import random
import sys

import pytest

from search import Article, NewsIndex
from search.engine.whoosh.codec.arrays import posting_arrays
from search.engine.whoosh.querying import execute, topk
from search.query.parser import parse
from search.query.searcher import Deadline

WORDS = ("oil price gold market bank rate trade talks minister government export wheat "
         "coffee growth shares profit loss strike union court ruling election vote police "
         "storm flood drought harvest crude opec dollar yen euro bond yield inflation jobs "
         "factory output plant mine copper steel car sales tax budget deficit debt loan "
         "crisis deal merger bid offer stake board chief report").split()

#: Every shape the query language makes: words, ANDs of 2-5, ORs (--any), phrases,
#: exclusions, groups, boosts, repeats, function words, fields and patterns.
QUERIES = [
    "oil", "oil price", "gold market bank", "oil price gold market", "trade talks minister "
    "government export", "oil oil price", "the oil of price", "oil^3 price", "oil price^0.5 gold",
    '"oil price"', '"oil price" gold', 'gold "bank rate" market', "oil -gold", "oil price -bank",
    "oil AND (gold OR bank)", "(oil OR gold) AND (bank OR rate)", "oil OR gold",
    '"oil price" OR gold', "oil OR gold OR bank", "oil OR gold OR bank OR rate OR trade",
    "(oil price)^2 OR gold", "oil NOT (gold OR bank)", "title:oil", "title:oil price",
    "oil*", "gold~1 market", "wheat coffee", "crude opec dollar",
]


def _articles(count: int, seed: int, start: int = 0, body_words: int = 80) -> list[Article]:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]  # a Zipf-like vocabulary
    out = []
    for n in range(start, start + count):
        title = " ".join(rng.choices(WORDS, weights, k=rng.randint(2, 6)))
        body = " ".join(rng.choices(WORDS, weights, k=rng.randint(5, body_words)))
        out.append(Article(id=f"a{n}", title=title, body=f"{body} n{n}"))
    return out


def _both(ix: NewsIndex, text: str, count: int) -> tuple[list | None, list]:
    """The top `count` by topk and by Whoosh's collector, for query `text`."""
    with ix.snapshot() as snapshot:
        searcher = snapshot._searcher
        parsed = parse(text, any_term=" OR " in text and "(" not in text)
        query = execute.ranking_query(searcher, parsed.tree, parsed.text, Deadline(60))
        matches = execute.matching(searcher, query, None)
        fast = topk.top(searcher, query, matches, count)
        whoosh = execute.paged(searcher, query, None, sort="relevance", page=1, limit=count,
                               collapse=False)
        return fast, whoosh


def _compare(ix: NewsIndex, queries, counts=(1, 10, 1000)) -> int:
    """Assert topk equals Whoosh wherever it answers; how many it answered."""
    answered = 0
    for text in queries:
        for count in counts:
            fast, whoosh = _both(ix, text, count)
            if fast is None:
                continue
            answered += 1
            assert fast == whoosh, (text, count)
    return answered


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """600 articles in four segments (one commit each), a few deleted."""
    path = tmp_path_factory.mktemp("topk") / "ix"
    with NewsIndex.create(path) as ix:
        for batch in range(4):
            ix.add(_articles(150, seed=batch, start=batch * 150))
        assert ix.delete([f"a{n}" for n in range(0, 600, 37)]) == 17
    return path


@pytest.fixture(scope="module")
def large_segment(tmp_path_factory):
    """One segment of more than 5,000 articles: where Whoosh scores an OR of
    three or more parts with a tree of union matchers."""
    path = tmp_path_factory.mktemp("topk") / "large"
    with NewsIndex.create(path) as ix:
        ix.add(_articles(5200, seed=99, body_words=12))
    return path


def test_several_segments_with_deletions_rank_as_whoosh_does(segmented):
    with NewsIndex.open(segmented) as ix:
        with ix.snapshot() as snapshot:
            assert len(snapshot._searcher.reader().leaf_readers()) == 4
        answered = _compare(ix, QUERIES)
    # Patterns, field terms and small-segment ORs of 3+ parts go to Whoosh; the rest here.
    assert answered >= 3 * 18


#: ORs of three and more parts, and ANDs: the shapes whose trees pair parts by size.
LARGE_QUERIES = ["oil OR gold OR bank", "oil OR gold OR bank OR rate OR trade",
                 "wheat OR coffee OR crude OR opec", "(oil price)^2 OR gold OR wheat",
                 '"oil price" OR wheat OR coffee', "wheat coffee crude", "gold bank rate trade"]


def test_one_large_segment_ranks_as_whoosh_does(large_segment):
    with NewsIndex.open(large_segment) as ix:
        answered = _compare(ix, LARGE_QUERIES, counts=(10, 500))
    assert answered == 2 * len(LARGE_QUERIES)


def test_ties_go_to_the_lower_document_number(tmp_path):
    # Articles with the same words score the same: Whoosh's heap keeps the earliest.
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add([Article(id=f"t{n}", title="gold", body=f"gold market n{n}") for n in range(30)])
        fast, whoosh = _both(ix, "gold market", 7)
    assert fast == whoosh and len({score for _, score in fast}) == 1
    assert [docnum for docnum, _ in fast] == sorted(docnum for docnum, _ in fast)


def test_searches_page_the_same_way(segmented):
    with NewsIndex.open(segmented) as ix:
        pages = [ix.search("oil price", limit=10, page=n) for n in (1, 2, 3)]
        every = ix.search("oil price", limit=30)
        recent = ix.search("oil price", sort="recent", limit=10)
    assert [h.id for p in pages for h in p.hits] == [h.id for h in every.hits]
    assert len(recent.hits) == 10


def test_bbc_news_ranks_as_whoosh_does(bbc_dir, tmp_path):
    path = tmp_path / "bbc"
    with NewsIndex.create(path) as ix:
        ix.index_paths([bbc_dir])
        queries = [f"{a} {b}" for a, b in zip(WORDS[::2], WORDS[1::2])] + QUERIES + [
            "prime minister", "tony blair election", "mobile phone games", '"world cup"',
            "chelsea OR arsenal", "film awards -oscar"]
        answered = _compare(ix, queries, counts=(10,))
    assert answered >= 40


def test_posting_arrays_read_what_the_block_reader_reads(segmented, large_segment):
    from search.engine.whoosh.codec import term_doc_ids
    from search.engine.whoosh.codec.postings import read_postings

    checked = 0
    for path in (segmented, large_segment):
        with NewsIndex.open(path) as ix, ix.snapshot() as snapshot:
            for reader, _ in snapshot._searcher.reader().leaf_readers():
                for fieldname, btext in reader.all_terms():
                    if fieldname not in ("title", "body", "title_words", "body_words"):
                        continue
                    ids, weights = posting_arrays(reader, fieldname, btext)
                    info = reader._terms.term_info(fieldname, btext)
                    expected_ids, expected_weights, _ = read_postings(
                        reader._terms, info, reader.schema[fieldname].format)
                    assert ids.tolist() == expected_ids == term_doc_ids(reader, fieldname, btext)
                    assert weights.tolist() == [float(w) for w in expected_weights]
                    checked += 1
                assert posting_arrays(reader, "body", b"no-such-word")[0].tolist() == []
    assert checked > 500


def _results(ix: NewsIndex, text: str, **kw) -> tuple:
    res = ix.search(text, facets=["tags", "source", "year"], **kw)
    return (res.total, [(h.id, h.score, h.snippets, h.title_highlights) for h in res.hits],
            res.facets, res.relaxed)


@pytest.mark.parametrize("sort", ["relevance", "recent"])
def test_both_paths_give_the_same_results(segmented, monkeypatch, sort):
    # Python a posting at a time (a one-shot command on a small index) and numpy
    # (a server, a large index): every search answers the same.
    # (Decided once, where the matches are found: ranking and facets follow.)
    from search.engine.whoosh.querying import docsets

    with NewsIndex.open(segmented) as ix:
        fast = [_results(ix, q, sort=sort, limit=20) for q in QUERIES]
        monkeypatch.setattr(docsets, "vectorised", lambda doc_count: False)
        slow = [_results(ix, q, sort=sort, limit=20) for q in QUERIES]
    assert fast == slow and sum(r[0] for r in fast) > 1000


def test_a_one_shot_command_on_a_small_index_stays_in_python(monkeypatch):
    from search import defaults
    from search.engine.whoosh.querying.vectorised import LARGE_INDEX, vectorised

    monkeypatch.setattr(defaults, "ONE_SHOT", False)
    assert vectorised(10)  # a server or an API program: numpy
    monkeypatch.setattr(defaults, "ONE_SHOT", True)
    assert vectorised(LARGE_INDEX) and vectorised(10)  # (numpy is loaded in this process)
    monkeypatch.delitem(sys.modules, "numpy")
    assert vectorised(LARGE_INDEX) and not vectorised(10)


def test_document_frequencies_agree_on_several_segments_with_deletions(segmented):
    # The two are kept in one cache: each is computed here from an empty one.
    from search.engine.whoosh.querying import array_scores, ranking

    with NewsIndex.open(segmented) as ix, ix.snapshot() as snapshot:
        searcher = snapshot._searcher
        fields = ["title", "body"]
        for word in WORDS + ["n5", "n37", "missing"]:
            btext = word.encode()
            ranking._DOC_FREQS.pop(searcher, None)
            python = ranking._doc_freq(searcher, fields, btext)
            ranking._DOC_FREQS.pop(searcher, None)
            assert array_scores.doc_freq_of(searcher, fields, btext) == python, word
        ranking._DOC_FREQS.pop(searcher, None)
        assert ranking._doc_freq(searcher, fields, b"n37") == 0  # deleted
        assert ranking._doc_freq(searcher, fields, b"n38") == 1


@pytest.mark.parametrize("ratio", [0, 10**9])  # always sorted postings; always a mask
def test_set_operations_give_the_same_documents_either_way(monkeypatch, ratio):
    import numpy as np

    from search.engine.whoosh.querying import docarrays

    monkeypatch.setattr(docarrays, "SPARSE_RATIO", ratio)
    rng = random.Random(ratio)
    for _ in range(300):
        size = rng.choice((1, 7, 100, 5000))
        parts = [np.array(sorted(rng.sample(range(size), rng.randint(0, min(size, 60)))),
                          dtype=np.int64) for _ in range(rng.randint(1, 4))]
        sets = [set(p.tolist()) for p in parts]
        assert docarrays.union(parts, size).tolist() == sorted(set().union(*sets))
        assert docarrays._intersection(parts, size).tolist() == sorted(set.intersection(*sets))
