"""One ranking: `newssearch query` and `newssearch eval` order articles the
same way (search.engine.whoosh.querying.ranked_query), and questions and prose read as text.

The collection in tests/fixtures/ranking/ (twelve articles written for these
tests, eight queries with judgments) has what separates the rankings: words
in titles and bodies, a word said many times, questions, a lone dash, a
hyphenated word and function words. The CISI and Cranfield checks run when
../shared/corpora is present.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from whoosh import query as wq

from search import Article, NewsIndex
from search.engine.whoosh.querying import execute, ranking
from search.engine.whoosh.querying.ranked_query import for_ranking
from search.text.query_words import QueryWords
from search.engine.whoosh.querying.ranking import BM25FPhrase, BM25FTerm
from search.engine.whoosh.translate import to_whoosh
from search.query.evaluation import evaluate, ranked, read_queries
from search.query.parser import parse

from .conftest import CORPORA, FIXTURES, ROOT

FIXTURE = FIXTURES / "ranking"
QUERIES = FIXTURE / "queries.tsv"
QRELS = FIXTURE / "qrels.txt"


def articles() -> list[Article]:
    return [Article(**a) for a in json.loads((FIXTURE / "articles.json").read_text("utf-8"))]


@pytest.fixture
def ranking_index(tmp_path) -> Path:
    path = tmp_path / "ranking-index"
    with NewsIndex.create(path) as ix:
        assert ix.add(articles()).added == 12
    return path


def read_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    run: dict[str, list[tuple[str, float]]] = {}
    for line in path.read_text("utf-8").splitlines():
        qid, _, docid, _, score, _ = line.split(" ")
        run.setdefault(qid, []).append((docid, float(score)))
    return run


# --- query --any gives eval's order -------------------------------------------------------

def test_query_any_gives_the_order_of_evals_run(ranking_index, tmp_path, cli):
    run_file = tmp_path / "fixture.run"
    result = cli("eval", "--queries", QUERIES, "--qrels", QRELS, "--run", run_file,
                 "--index", ranking_index)
    assert result.exit_code == 0, result.stderr
    run = read_run(run_file)
    assert set(run) == set(read_queries(QUERIES))
    for qid, text in read_queries(QUERIES).items():
        shown = cli("query", text, "--any", "--json", "--limit", "50", "--index", ranking_index)
        assert shown.exit_code == 0, shown.stderr
        data = json.loads(shown.stdout)
        assert [h["id"] for h in data["hits"]] == [d for d, _ in run[qid]], (qid, text)
        # (--json rounds scores to 4 places)
        assert [h["score"] for h in data["hits"]] == pytest.approx([s for _, s in run[qid]],
                                                                   abs=1e-4)
        assert data["total"] == len(run[qid])


def test_the_query_language_scores_a_word_with_bm25f(ranking_index):
    """`query` (all words) scores as eval does: an article's score is the
    sum of its words' BM25F scores, not per-field scores added up."""
    with NewsIndex.open(ranking_index) as ix, ix._searching() as searcher:
        oil = dict(ranking.rank(searcher, BM25FTerm("oil"), 20))
        price = dict(ranking.rank(searcher, BM25FTerm("price"), 20))
        hits = ix.search("oil prices", limit=20).hits
    assert {h.id for h in hits} == set(oil) & set(price)
    for hit in hits:
        assert hit.score == pytest.approx(oil[hit.id] + price[hit.id], rel=1e-9)


def test_a_top_ten_is_the_top_of_the_whole_ranking(ranking_index):
    with NewsIndex.open(ranking_index) as ix:
        for text in read_queries(QUERIES).values():
            everything = [h.id for h in ix.search(text, any_term=True, limit=100).hits]
            for limit in (1, 2, 3):
                top = [h.id for h in ix.search(text, any_term=True, limit=limit).hits]
                assert top == everything[:limit], text


def test_deleted_articles_are_not_ranked(tmp_path):
    # Regression: BM25F terms read postings whole and dropped deleted
    # articles with a membership test on Whoosh's iterator of them.
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(articles())
        assert ix.delete(["r2", "r5"]) == 2  # each after a live article with its words
        for text, any_term in (("oil prices", True), ("oil", False), ("rate rise", True)):
            found = ix.search(text, any_term=any_term, limit=100)
            ids = [h.id for h in found.hits]
            assert found.total == len(ids) and not {"r2", "r5"} & set(ids), text


# --- what the ranked query is ----------------------------------------------------------

def _ranked(text: str, any_term: bool = True) -> wq.Query:
    parsed = parse(text, any_term=any_term)
    return for_ranking(to_whoosh(parsed.tree), parsed.text)


def _plain_texts() -> list[str]:
    import random

    rng = random.Random(4)
    vocabulary = ["oil", "Oil", "prices", "PRICES", "the", "The", "what", "is", "US", "WHO",
                  "IT", "and", "x", "1987", "co2", "rising", "ferry", "electric", "a"]
    return [" ".join(rng.choices(vocabulary, k=rng.randint(1, 6))) for _ in range(400)]


@pytest.mark.parametrize("any_term", [False, True])
def test_plain_words_rank_and_light_up_as_the_whole_way_does(ranking_index, monkeypatch,
                                                             any_term):
    """The direct forms of plain words (ranked_query.for_plain_words, and
    highlight_words' shortcut) equal what the Whoosh tree, rewritten, gives:
    query frequencies, function words weightless (all of them counting when
    there is nothing else), the words lit up in every text field."""
    from search.query import tree as t
    from search.query.searcher import Deadline

    parsed = [parse(text, any_term=any_term) for text in _plain_texts()]
    with NewsIndex.open(ranking_index) as ix, ix.snapshot() as snap:
        searcher = snap._searcher
        def forms():
            return [(execute.ranking_query(searcher, p.tree, p.text, Deadline(30)),
                     execute.highlight_words(p.tree, searcher)) for p in parsed]
        fast = forms()
        direct = sum(t.plain_words(p.tree, execute.TEXT_FIELDS) is not None for p in parsed)
        monkeypatch.setattr(t, "plain_words", lambda node, fields: None)
        monkeypatch.setattr(execute, "for_plain_words", lambda tree, text: None)
        slow = forms()
    assert fast == slow
    # (An OR of several words stays the long way; one word is the same either way.)
    assert 0 < direct < len(parsed) if any_term else direct == len(parsed)


def test_a_word_in_every_field_becomes_one_bm25f_term():
    assert _ranked("oil prices") == wq.Or([BM25FTerm("oil"), BM25FTerm("price")])
    assert _ranked("oil prices", any_term=False) == wq.And([BM25FTerm("oil"),
                                                             BM25FTerm("price")])
    # The user's boost is kept; a word in one field stays a per-field term.
    assert _ranked("oil^2 gas") == wq.Or([BM25FTerm("oil", boost=2.0), BM25FTerm("gas")])
    assert _ranked("title:oil gas") == wq.Or([wq.Term("title", "oil"), BM25FTerm("gas")])
    assert _ranked("oil -gas") == wq.AndNot(BM25FTerm("oil"), BM25FTerm("gas"))


def test_phrases_become_bm25f_phrases():
    assert _ranked('"oil prices" rising') == wq.Or([BM25FPhrase(["oil", "price"]),
                                                     BM25FTerm("rise")])
    assert _ranked("non-linear") == BM25FPhrase(["non", "linear"])
    assert _ranked("non-linear models", any_term=False) == wq.And(
        [BM25FPhrase(["non", "linear"]), BM25FTerm("model")])


def test_a_compound_word_in_an_or_is_any_of_its_words():
    # As Elasticsearch's and Meilisearch's OR queries read it; quoted, it stays a phrase.
    assert _ranked("non-linear models") == wq.Or([BM25FTerm("non"), BM25FTerm("linear"),
                                                   BM25FTerm("model")])
    assert _ranked('"non-linear" models') == wq.Or([BM25FPhrase(["non", "linear"]),
                                                     BM25FTerm("model")])
    # An acronym with dots is one word, the acronym (U.S. = US), and counts in
    # an OR; "us", the pronoun, is a function word.
    assert _ranked("U.S. dollar") == wq.Or([BM25FTerm("us"), BM25FTerm("dollar")])
    assert _ranked("U.S.") == BM25FTerm("us")
    assert _ranked("us dollar") == wq.Or([BM25FTerm("dollar")])
    assert _ranked("linear non-linear") == wq.Or([BM25FTerm("linear", qf=2), BM25FTerm("non")])


def test_words_said_twice_count_twice():
    assert _ranked("oil oil crude") == wq.Or([BM25FTerm("oil", qf=2), BM25FTerm("crude")])
    words = QueryWords.of("Retrieval of text; text retrieval, retrieving texts")
    assert words.counts["retriev"] == 3 and words.counts["text"] == 3


def test_function_words_are_left_out_of_an_or():
    assert _ranked("what is the interest rate?") == wq.Or([BM25FTerm("interest"),
                                                            BM25FTerm("rate")])
    # Capitals make an acronym: kept.
    assert _ranked("WHO warns US") == wq.Or([BM25FTerm("who"), BM25FTerm("warn"),
                                              BM25FTerm("us")])
    # Nothing but function words: all of them count.
    assert _ranked("The Who") == wq.Or([BM25FTerm("the"), BM25FTerm("who")])


def test_function_words_still_match_when_every_word_is_required():
    assert _ranked("the volcano", any_term=False) == wq.And([BM25FTerm("the", boost=0.0),
                                                              BM25FTerm("volcano")])


def test_function_words_find_nothing_extra(ranking_index):
    with NewsIndex.open(ranking_index) as ix:
        found = ix.search("why are fuel costs rising?", any_term=True, limit=50)
        fuel = ix.search("fuel OR costs OR rising", limit=50)
    assert {h.id for h in found.hits} == {h.id for h in fuel.hits} and found.total == fuel.total


# --- BM25F phrases ---------------------------------------------------------------------------

def test_a_phrase_matches_where_it_is_and_scores_as_its_words(ranking_index):
    with NewsIndex.open(ranking_index) as ix, ix._searching() as searcher:
        phrase = dict(ranking.rank(searcher, BM25FPhrase(["non", "linear"]), 20))
        non = dict(ranking.rank(searcher, BM25FTerm("non"), 20))
        linear = dict(ranking.rank(searcher, BM25FTerm("linear"), 20))
    assert set(phrase) == {"r6"}  # r7 has "linear" alone
    assert phrase["r6"] == pytest.approx(non["r6"] + linear["r6"], rel=1e-9)


# --- questions and prose -----------------------------------------------------------------------

def test_a_question_mark_ends_a_word_and_a_lone_dash_is_a_dash(ranking_index):
    with NewsIndex.open(ranking_index) as ix:
        question = ix.search("costs rising?", limit=10)
        dash = ix.search("interest rate - central bank", any_term=True, limit=10)
    assert [h.id for h in question.hits] == ["r3"]
    assert {"r4", "r5"} <= {h.id for h in dash.hits}  # "- central" is not NOT central
    assert not question.warnings and not dash.warnings


def test_patterns_and_negation_keep_their_meaning():
    assert isinstance(to_whoosh(parse("m?nister").tree).leaves().__next__(), wq.Wildcard)
    assert any(isinstance(leaf, wq.Wildcard) for leaf in to_whoosh(parse("colo*r?").tree).leaves())
    assert isinstance(to_whoosh(parse("oil -gas").tree), wq.AndNot)


# --- the test collections (../shared) ------------------------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("bench_ranking",
                                                  ROOT / "bench" / "bench_ranking.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_ranking", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["cisi", "cranfield"])
def test_query_any_gives_evals_order_on_test_collections(tmp_path, name, cli):
    if not (CORPORA / name).is_dir():
        pytest.skip(f"../shared/corpora/{name} not available")
    collection = _bench().LOADERS[name](CORPORA.parent)
    queries_path, qrels_path = collection.write(tmp_path)
    queries = read_queries(queries_path)
    sample = dict(list(queries.items())[:25])
    run_file = tmp_path / "run"
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(collection.articles)
        evaluate(ix, sample, qrels_path, run_path=run_file, depth=30)
        run = read_run(run_file)
        for qid, text in sample.items():
            hits = ix.search(text, any_term=True, limit=30).hits
            assert [h.id for h in hits] == [d for d, _ in run.get(qid, [])], (qid, text)
    # And through the command line, for a few.
    for qid, text in list(sample.items())[:3]:
        shown = cli("query", text, "--any", "--json", "--limit", "30", "--index", tmp_path / "ix")
        assert [h["id"] for h in json.loads(shown.stdout)["hits"]] == \
            [d for d, _ in run.get(qid, [])]


def test_eval_ranks_with_the_search_paths_query():
    parsed = ranked("q", "oil prices")
    assert execute.ranked_form(parsed.tree, parsed.text) == _ranked("oil prices")
