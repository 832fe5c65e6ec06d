"""Ranking and the built-in evaluation: `newssearch eval`, `search.query.evaluation`,
`search.engine.whoosh.querying.ranking` (what eval runs: tests/test_one_ranking.py).

The tiny collection in tests/fixtures/eval/ (ten articles written for these
tests, five judged queries) is small enough to work every figure out by hand;
the CISI and Cranfield checks run when ../shared/corpora is present.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
from whoosh import query as wq

from search import Article, NewsIndex
from search.engine.whoosh.querying import ranking
from search.errors import NewsSearchError
from search.query.evaluation import EvalReport, evaluate, measure, read_qrels, read_queries
from search.query.evaluation import ranked

from .conftest import CORPORA, FIXTURES, ROOT

EVAL = FIXTURES / "eval"
QUERIES = EVAL / "queries.tsv"
QRELS = EVAL / "qrels.txt"


def eval_articles() -> list[Article]:
    return [Article(**a) for a in json.loads((EVAL / "articles.json").read_text("utf-8"))]


@pytest.fixture
def eval_index(tmp_path) -> Path:
    path = tmp_path / "eval-index"
    with NewsIndex.create(path) as ix:
        assert ix.add(eval_articles()).added == 10
    return path


# --- the tiny collection, by hand ----------------------------------------------------
#
# Rankings (as `query --any`: words OR-ed, function words dropped, BM25F):
#   q1 "volcano eruption"  → a1 (both words), a10 (volcano, in a title),
#                            a2 (eruption, in a body)   relevant: a1, a2
#   q2 "election turnout"  → a5 (both), a4 (election)   relevant: a4 (grade 2), a5 (1)
#   q3 "What is the interest rate of the central bank?" → interest rate central bank:
#                            a9 (all four), a8 (interest rate)   relevant: a9, a8
#   q4 "cup final tickets" → a7 (all three), a6 (cup final)
#                            relevant: a6 and "gone" (not in the index); a7 is -1 = 0
#   q5 "hurricane"         → nothing                    relevant: a3
#   q6 "island hotels"     → no judgments: not evaluated
#   q7 is judged but not in queries.tsv: not evaluated
#
# Average precision (sum of precision at each relevant hit / number relevant):
#   q1: (1/1 + 2/3) / 2 = 0.833333   q2: (1/1 + 2/2) / 2 = 1
#   q3: (1/1 + 2/2) / 2 = 1          q4: (1/2) / 2 = 0.25 ("gone" is never found)
#   q5: 0 (a judged query that finds nothing still counts)
#   MAP = (0.833333 + 1 + 1 + 0.25 + 0) / 5 = 3.083333 / 5 = 0.616667
# P@10 (relevant among the first ten, over ten):
#   q1 2/10, q2 2/10, q3 2/10, q4 1/10, q5 0  → mean 0.7 / 5 = 0.14
# nDCG@10 of q2 (gain = grade, discount log2(rank + 1)):
#   DCG  = 1/log2(2) + 2/log2(3)   (a5 grade 1 first, a4 grade 2 second)
#   IDCG = 2/log2(2) + 1/log2(3)
EXPECTED_MAP = (5 / 6 + 1 + 1 + 0.25 + 0) / 5
EXPECTED_P10 = (0.2 + 0.2 + 0.2 + 0.1 + 0) / 5
EXPECTED_NDCG_Q2 = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
EXPECTED_RUN = {"q1": ["a1", "a10", "a2"], "q2": ["a5", "a4"], "q3": ["a9", "a8"],
                "q4": ["a7", "a6"], "q6": ["a3", "a1"]}


def read_run(path: Path) -> dict[str, list[tuple[str, int, float]]]:
    run: dict[str, list[tuple[str, int, float]]] = {}
    for line in path.read_text("utf-8").splitlines():
        qid, q0, docid, rank, score, tag = line.split(" ")
        assert (q0, tag) == ("Q0", "newssearch")
        run.setdefault(qid, []).append((docid, int(rank), float(score)))
    return run


def test_evaluate_matches_the_hand_computed_figures(eval_index, tmp_path):
    out = tmp_path / "tiny.run"
    with NewsIndex.open(eval_index) as ix:
        report = evaluate(ix, read_queries(QUERIES), QRELS, run_path=out)
    assert report.queries == 5
    assert report.map == pytest.approx(EXPECTED_MAP, abs=1e-6)
    assert report.p_at_10 == pytest.approx(EXPECTED_P10, abs=1e-6)
    per = report.per_query
    assert [per[q]["map"] for q in ("q1", "q2", "q3", "q4", "q5")] == pytest.approx(
        [5 / 6, 1.0, 1.0, 0.25, 0.0], abs=1e-6)
    assert per["q2"]["ndcg@10"] == pytest.approx(EXPECTED_NDCG_Q2, abs=1e-6)
    assert per["q3"]["ndcg@10"] == pytest.approx(1.0, abs=1e-6)
    assert report.unjudged == ["q6"]
    assert report.missing_queries == ["q7"]
    assert report.relevant_not_indexed == 1  # q4's "gone"
    # The ranking the figures were worked out from.
    assert {q: [d for d, _, _ in hits] for q, hits in read_run(out).items()} == EXPECTED_RUN


def test_report_to_dict_and_text(eval_index):
    with NewsIndex.open(eval_index) as ix:
        report = evaluate(ix, read_queries(QUERIES), QRELS)
    data = report.to_dict()
    assert {"queries", "map", "p@10", "ndcg@10", "depth", "per_query", "unjudged_queries",
            "missing_queries", "relevant_not_indexed", "run", "took_ms"} <= set(data)
    assert data["queries"] == 5 and data["depth"] == 1000 and data["run"] is None
    assert data["map"] == pytest.approx(EXPECTED_MAP, abs=1e-6)
    assert set(data["per_query"]) == {"q1", "q2", "q3", "q4", "q5"}
    json.dumps(data)  # JSON-ready
    text = report.to_text()
    assert "Evaluated 5 queries" in text
    assert f"MAP      {EXPECTED_MAP:.4f}" in text and f"P@10     {EXPECTED_P10:.4f}" in text
    assert "nDCG@10" in text


def test_depth_cuts_the_ranking(eval_index):
    with NewsIndex.open(eval_index) as ix:
        report = evaluate(ix, read_queries(QUERIES), QRELS, depth=1)
        # q1 finds a1 only: (1/1) / 2 relevant; q2 a5: (1/1) / 2; q3 a9: 1/2; q4 a7: 0
        assert report.map == pytest.approx((0.5 + 0.5 + 0.5 + 0 + 0) / 5, abs=1e-6)
        with pytest.raises(NewsSearchError, match="depth"):
            evaluate(ix, read_queries(QUERIES), QRELS, depth=0)


def test_measure_counts_queries_without_a_ranking_as_zero():
    qrels = {"1": {"a": 1}, "2": {"b": 2, "c": 0}}
    report = measure(["1", "2"], qrels, {"1": [("a", 3.0)]})
    assert report.per_query["2"] == {"map": 0.0, "p@10": 0.0, "ndcg@10": 0.0}
    assert report.map == pytest.approx(0.5)


def test_measure_keeps_the_engines_order_on_ties():
    # trec_eval would sort equal scores by docid ("b" before "a"); we keep ours.
    report = measure(["1"], {"1": {"a": 1}}, {"1": [("a", 1.0), ("b", 1.0)]})
    assert report.map == pytest.approx(1.0)


# --- reading the files ----------------------------------------------------------------

def test_read_queries_and_qrels():
    queries = read_queries(QUERIES)
    assert list(queries) == ["q1", "q2", "q3", "q4", "q5", "q6"]  # the blank line is skipped
    assert queries["q3"] == "What is the interest rate of the central bank?"
    qrels = read_qrels(QRELS)
    assert qrels["q2"] == {"a4": 2, "a5": 1, "a6": 0}
    assert qrels["q4"]["a7"] == 0  # negative grades are not relevant


@pytest.mark.parametrize("content, message", [
    ("q1\tfine\nno tab here\n", "line 2: expected 'query id<TAB>query text'"),
    ("q1\t   \n", "line 1"),
    ("q1\tone\nq1\ttwo\n", "line 2: query id 'q1' appears twice"),
    ("q 1\tone\n", "line 1: query id 'q 1' has a space"),
    ("\n\n", "no queries"),
])
def test_read_queries_errors(tmp_path, content, message):
    path = tmp_path / "Q.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NewsSearchError, match=message):
        read_queries(path)


@pytest.mark.parametrize("content, message", [
    ("q1 0 a1 1\nq1 0 a2\n", "line 2: expected TREC qrels"),
    ("q1 0 a1 yes\n", "line 1: expected TREC qrels"),
    ("", "no judgments"),
])
def test_read_qrels_errors(tmp_path, content, message):
    path = tmp_path / "qrels"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NewsSearchError, match=message):
        read_qrels(path)


def test_missing_files(tmp_path):
    with pytest.raises(NewsSearchError, match="queries file not found"):
        read_queries(tmp_path / "nope.tsv")
    with pytest.raises(NewsSearchError, match="qrels file not found"):
        read_qrels(tmp_path / "nope.qrels")


# --- the CLI --------------------------------------------------------------------------

def test_cli_eval_prints_a_table(cli, eval_index):
    result = cli("eval", "--queries", QUERIES, "--qrels", QRELS, "--index", eval_index)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Evaluated 5 queries (depth 1,000) in ")
    assert f"MAP      {EXPECTED_MAP:.4f}" in lines
    assert f"P@10     {EXPECTED_P10:.4f}" in lines
    assert any(line.startswith("nDCG@10  0.") for line in lines)
    assert "1 query without relevant judgments not evaluated" in result.stderr
    assert "judged query not in the queries file: q7" in result.stderr
    assert "relevant judgments for articles not in the index: 1" in result.stderr


def test_cli_eval_json(cli, eval_index):
    result = cli("eval", "--queries", QUERIES, "--qrels", QRELS, "--index", eval_index,
                 "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["queries"] == 5
    assert data["map"] == pytest.approx(EXPECTED_MAP, abs=1e-6)
    assert data["p@10"] == pytest.approx(EXPECTED_P10, abs=1e-6)
    assert data["per_query"]["q2"]["ndcg@10"] == pytest.approx(EXPECTED_NDCG_Q2, abs=1e-6)
    assert data["unjudged_queries"] == ["q6"] and data["missing_queries"] == ["q7"]


def test_cli_eval_run_file_is_trec_format(cli, eval_index, tmp_path):
    out = tmp_path / "out.run"
    result = cli("eval", "--queries", QUERIES, "--qrels", QRELS, "--index", eval_index,
                 "--run", out)
    assert result.exit_code == 0, result.stderr
    assert f"run written to {out}" in result.stderr
    run = read_run(out)
    # Every query is run, judged or not (q6); q5 finds nothing, so has no line.
    assert list(run) == ["q1", "q2", "q3", "q4", "q6"]
    for hits in run.values():
        assert [rank for _, rank, _ in hits] == list(range(1, len(hits) + 1))
        scores = [score for _, _, score in hits]
        assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert {q: [d for d, _, _ in hits] for q, hits in run.items()} == EXPECTED_RUN
    first = out.read_text("utf-8").splitlines()[0]
    assert first.startswith("q1 Q0 a1 1 ") and first.endswith(" newssearch")


def _error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_cli_eval_missing_files(cli, eval_index, tmp_path):
    result = cli("eval", "--queries", tmp_path / "none.tsv", "--qrels", QRELS,
                 "--index", eval_index)
    assert result.exit_code == 2
    assert _error_line(result) == f"newssearch: error: queries file not found: {tmp_path / 'none.tsv'}"
    result = cli("eval", "--queries", QUERIES, "--qrels", tmp_path / "none.qrels",
                 "--index", eval_index)
    assert result.exit_code == 2
    assert "qrels file not found" in _error_line(result)


def test_cli_eval_malformed_lines_name_their_line(cli, eval_index, tmp_path):
    queries = tmp_path / "Q.tsv"
    queries.write_text("q1\tvolcano\nq2 missing the tab\n", encoding="utf-8")
    result = cli("eval", "--queries", queries, "--qrels", QRELS, "--index", eval_index)
    assert result.exit_code == 2
    assert f"{queries}: line 2: expected" in _error_line(result)

    qrels = tmp_path / "bad.qrels"
    qrels.write_text("q1 0 a1 1\n\nq1 0 a2 relevant\n", encoding="utf-8")
    result = cli("eval", "--queries", QUERIES, "--qrels", qrels, "--index", eval_index)
    assert result.exit_code == 2
    assert f"{qrels}: line 3: expected TREC qrels" in _error_line(result)


def test_cli_eval_no_overlap(cli, eval_index, tmp_path):
    strangers = tmp_path / "strangers.qrels"
    strangers.write_text("q1 0 doc-17 1\nq2 0 doc-18 1\n", encoding="utf-8")
    result = cli("eval", "--queries", QUERIES, "--qrels", strangers, "--index", eval_index)
    assert result.exit_code == 2
    assert "none of the articles judged relevant" in _error_line(result)

    other_ids = tmp_path / "other-ids.qrels"
    other_ids.write_text("101 0 a1 1\n", encoding="utf-8")
    result = cli("eval", "--queries", QUERIES, "--qrels", other_ids, "--index", eval_index)
    assert result.exit_code == 2
    assert "no query of the queries file has a relevant judgment" in _error_line(result)


def test_cli_eval_missing_index(cli, tmp_path):
    result = cli("eval", "--queries", QUERIES, "--qrels", QRELS, "--index", tmp_path / "none")
    assert result.exit_code == 2
    assert "no index at" in _error_line(result)


# --- BM25F ----------------------------------------------------------------------------

def test_bm25f_term_scores_by_the_formula(tmp_path):
    # Three articles; every length is under 10 tokens, which Whoosh stores exactly.
    #   x: title "apple pie" (2)        body "apple apple tart" (3)
    #   y: title "pear"      (1)        body "an apple" (2)
    #   z: title "plum cake recipe" (3) body "plum" (1)
    # avg title = 6/3 = 2, avg body = 6/3 = 2; "apple" is in 2 of 3 documents.
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add([Article(id="x", title="apple pie", body="apple apple tart"),
                Article(id="y", title="pear", body="an apple"),
                Article(id="z", title="plum cake recipe", body="plum")])
        model = ranking.BM25F()
        k1, b, wt, wb = model.k1, model.b, model.weights["title"], model.weights["body"]
        idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
        tf_x = wt * 1 / (1 - b + b * 2 / 2) + wb * 2 / (1 - b + b * 3 / 2)
        tf_y = wb * 1 / (1 - b + b * 2 / 2)
        expected = {d: idf * tf * (k1 + 1) / (tf + k1) for d, tf in (("x", tf_x), ("y", tf_y))}
        with ix._searching() as searcher:
            scores = dict(ranking.rank(searcher, ranking.BM25FTerm("appl"), 10))
    assert scores == pytest.approx(expected, rel=1e-9)


def test_bm25f_is_the_same_over_several_segments(tmp_path):
    articles = eval_articles()
    scores = []
    for name, batches in (("one", [articles]), ("two", [articles[:4], articles[4:]])):
        with NewsIndex.create(tmp_path / name) as ix:
            for batch in batches:
                ix.add(batch)
            parsed = ranked("q", "volcano island election rate cup")
            with ix.snapshot() as snap:
                scores.append(dict(snap.rank(parsed.tree, parsed.text, 100)))
    assert scores[0] == pytest.approx(scores[1], rel=1e-9) and len(scores[0]) >= 8


def test_idf_is_near_zero_for_a_word_in_every_document():
    assert ranking.idf(1000, 1000) < 0.001
    assert ranking.idf(1000, 1) > ranking.idf(1000, 10) > ranking.idf(1000, 500) > 0


def test_query_language_still_ranks_with_the_new_weighting(eval_index):
    with NewsIndex.open(eval_index) as ix:
        results = ix.search("volcano OR eruption", limit=5)
    assert [h.id for h in results.hits][:1] == ["a1"]
    assert all(h.score > 0 for h in results.hits)


# --- the test collections (../shared) ---------------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("bench_ranking",
                                                  ROOT / "bench" / "bench_ranking.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_ranking", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, target", [("cisi", 0.23), ("cranfield", 0.32)])
def test_ranking_targets_on_test_collections(tmp_path, name, target):
    if not (CORPORA / name).is_dir():
        pytest.skip(f"../shared/corpora/{name} not available")
    bench = _bench()
    collection = bench.LOADERS[name](CORPORA.parent)
    queries_path, qrels_path = collection.write(tmp_path)
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(collection.articles)
        report = evaluate(ix, read_queries(queries_path), qrels_path)
    assert isinstance(report, EvalReport)
    assert report.queries == {"cisi": 76, "cranfield": 225}[name]
    assert report.map >= target, report.to_dict() | {"per_query": "…"}
