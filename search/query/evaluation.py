"""Built-in evaluation: run test queries and score the ranking against
relevance judgments (MAP, P@10, nDCG@10), as ``newssearch eval`` does.

Inputs:

* queries: ``Q.tsv``, one ``qid<TAB>query text`` per line (blank lines are
  skipped);
* judgments: TREC qrels, ``qid 0 docid rel`` per line (whitespace separated),
  where docid is an indexed article id and rel an integer grade. Grades of 1
  and more are relevant (nDCG uses them as gains); 0 and below are not
  (negative grades, such as Cranfield's -1, count as 0).

Each query is run as ``newssearch query --any`` runs it (:func:`ranked`:
the query language read leniently, words OR-ed, ranked by the search path's
own BM25F, :func:`engine.whoosh.querying.ranked_query.for_ranking`) down to `depth` hits, so the
figures are those of what users get. Only
queries that have at least one relevant judgment are evaluated (trec_eval's
convention); a judged query that finds nothing scores 0. The measures come
from ``ir-measures`` (trec_eval's definitions, via pytrec_eval) over the
engine's own order: ties in score are not re-sorted by document id.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NewsSearchError, QueryError
from .parser import ParsedQuery, parse
from .searcher import MAX_LIMIT

#: The measures, by the names reports use.
MEASURES = ("map", "p@10", "ndcg@10")
#: Tag written in the last column of a TREC run file.
RUN_TAG = "newssearch"


@dataclass
class EvalReport:
    """What an evaluation measured: means over the evaluated queries, and
    each query's figures."""

    queries: int
    map: float
    p_at_10: float
    ndcg_at_10: float
    depth: int
    #: qid → {"map": …, "p@10": …, "ndcg@10": …}
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Queries in the queries file with no relevant judgment (not evaluated).
    unjudged: list[str] = field(default_factory=list)
    #: Judged queries that the queries file does not have (not evaluated).
    missing_queries: list[str] = field(default_factory=list)
    #: Relevant (query, doc) judgments whose document is not in the index.
    relevant_not_indexed: int = 0
    run_path: str | None = None
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "map": round(self.map, 6),
            "p@10": round(self.p_at_10, 6),
            "ndcg@10": round(self.ndcg_at_10, 6),
            "depth": self.depth,
            "unjudged_queries": list(self.unjudged),
            "missing_queries": list(self.missing_queries),
            "relevant_not_indexed": self.relevant_not_indexed,
            "run": self.run_path,
            "took_ms": round(self.took_ms, 2),
            "per_query": {qid: {k: round(v, 6) for k, v in scores.items()}
                          for qid, scores in self.per_query.items()},
        }

    def to_text(self) -> str:
        """A small table for people, and one line per thing worth knowing."""
        lines = [f"Evaluated {self.queries:,} {_plural(self.queries, 'query', 'queries')} "
                 f"(depth {self.depth:,}) in {self.took_ms / 1000:.2f} s",
                 "",
                 f"{'MAP':<9}{self.map:.4f}",
                 f"{'P@10':<9}{self.p_at_10:.4f}",
                 f"{'nDCG@10':<9}{self.ndcg_at_10:.4f}"]
        return "\n".join(lines)

    def notes(self) -> list[str]:
        """Remarks for stderr: what was left out and why."""
        notes = []
        if self.unjudged:
            notes.append(f"{len(self.unjudged):,} {_plural(len(self.unjudged), 'query', 'queries')}"
                         f" without relevant judgments not evaluated")
        if self.missing_queries:
            notes.append(f"{len(self.missing_queries):,} judged "
                         f"{_plural(len(self.missing_queries), 'query', 'queries')} not in the "
                         f"queries file: {_sample(self.missing_queries)}")
        if self.relevant_not_indexed:
            notes.append(f"relevant judgments for articles not in the index: "
                         f"{self.relevant_not_indexed:,}")
        if self.run_path:
            notes.append(f"run written to {self.run_path}")
        return notes


# --- reading the inputs ----------------------------------------------------------

def read_queries(path: str | os.PathLike) -> dict[str, str]:
    """``qid<TAB>query text`` lines → {qid: text}, in file order."""
    queries: dict[str, str] = {}
    for number, line in _lines(path, "queries"):
        qid, tab, text = line.partition("\t")
        qid, text = qid.strip(), text.strip()
        if not tab or not qid or not text:
            raise NewsSearchError(f"{path}: line {number}: expected "
                                  f"'query id<TAB>query text', got {_show(line)}")
        if len(qid.split()) > 1:
            raise NewsSearchError(f"{path}: line {number}: query id {qid!r} has a space "
                                  f"(TREC qrels could not name it)")
        if qid in queries:
            raise NewsSearchError(f"{path}: line {number}: query id {qid!r} appears twice")
        queries[qid] = text
    if not queries:
        raise NewsSearchError(f"{path}: no queries in the file")
    return queries


def read_qrels(path: str | os.PathLike) -> dict[str, dict[str, int]]:
    """TREC qrels (``qid 0 docid rel``) → {qid: {docid: grade}}; negative
    grades become 0 (not relevant)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path, "qrels"):
        parts = line.split()
        try:
            if len(parts) != 4:
                raise ValueError
            grade = int(parts[3])
        except ValueError:
            raise NewsSearchError(f"{path}: line {number}: expected TREC qrels "
                                  f"'query-id 0 doc-id relevance', got {_show(line)}") from None
        qrels.setdefault(parts[0], {})[parts[2]] = max(grade, 0)
    if not qrels:
        raise NewsSearchError(f"{path}: no judgments in the file")
    return qrels


def _lines(path: str | os.PathLike, what: str):
    """(line number, line) for the non-blank lines of a UTF-8 text file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NewsSearchError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise NewsSearchError(f"{what} file is a folder: {path}") from None
    except UnicodeDecodeError:
        raise NewsSearchError(f"{what} file is not UTF-8 text: {path}") from None
    except OSError as exc:
        raise NewsSearchError(f"cannot read {what} file {path} ({exc.strerror or exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


# --- running and measuring ---------------------------------------------------------

def evaluate(ix, queries: dict[str, str], qrels_path: str | os.PathLike, *,
             run_path: str | os.PathLike | None = None, depth: int = 1000) -> EvalReport:
    """Run `queries` ({qid: text}) on the open NewsIndex `ix` as ``query
    --any`` runs them and score them against the TREC qrels at `qrels_path`.

    With `run_path`, every query's ranking (judged or not) is also written
    there as a TREC run (``qid Q0 docid rank score newssearch``). Raises
    NewsSearchError for unreadable or malformed files, and when no judged
    query or no judged article is found in `queries` or the index."""
    started = time.perf_counter()
    if not 1 <= depth <= MAX_LIMIT:
        raise NewsSearchError(f"depth must be between 1 and {MAX_LIMIT}")
    qrels = read_qrels(qrels_path)
    judged = [qid for qid in queries if _relevant(qrels, qid)]
    if not judged:
        raise NewsSearchError(f"no query of the queries file has a relevant judgment in "
                              f"{qrels_path} (are the query ids the same?)")
    with ix.snapshot() as snap:
        # Which judged articles the index holds, looked up once each.
        indexed = {docid for qid in qrels for docid in _relevant(qrels, qid)
                   if snap.contains(docid)}
        if not any(docid in indexed for qid in judged for docid in _relevant(qrels, qid)):
            raise NewsSearchError(f"none of the articles judged relevant in {qrels_path} is in "
                                  f"the index at {ix.path}/ (doc ids must be the indexed "
                                  f"article ids)")
        ids: dict = {}
        to_run = list(queries) if run_path else judged
        rankings = {qid: _ranking(snap, qid, queries[qid], depth, ids) for qid in to_run}
    if run_path:
        _write_run(run_path, rankings)
    report = measure(queries, qrels, rankings, depth=depth, indexed=indexed.__contains__)
    report.run_path = str(run_path) if run_path else None
    report.took_ms = (time.perf_counter() - started) * 1000
    return report


def _ranking(snap, qid: str, text: str, depth: int, ids: dict) -> list[tuple[str, float]]:
    """One query's ranking. A reader that ranks query text itself (the
    OpenSearch engine's `rank_text`: its own BM25 over the same parsed
    query) is given the text; the embedded snapshot ranks `ranked`'s tree."""
    if hasattr(snap, "rank_text"):
        return snap.rank_text(qid, text, depth)
    parsed = ranked(qid, text)
    return snap.rank(parsed.tree, parsed.text, depth, ids)


def ranked(qid: str, text: str) -> ParsedQuery:
    """The query `newssearch query --any TEXT` ranks (a NewsSearchError
    naming the query if its text is not a query, such as an unknown field);
    the engine ranks its tree with the search path's BM25F."""
    try:
        return parse(text, any_term=True)
    except QueryError as exc:
        raise NewsSearchError(f"query {qid}: {exc}") from None


def measure(queries, qrels: dict[str, dict[str, int]],
            rankings: dict[str, list[tuple[str, float]]], *, depth: int = 1000,
            indexed=None) -> EvalReport:
    """Score rankings ({qid: [(docid, score), …] best first}) against qrels
    ({qid: {docid: grade}}) for the `queries` (ids) that have a relevant
    judgment. A query without a ranking scores 0. `indexed(docid)`, if given,
    tells whether a document is in the index (for the report)."""
    import ir_measures
    from ir_measures import AP, P, nDCG

    judged = [qid for qid in queries if _relevant(qrels, qid)]
    # Scores that keep the engine's order: trec_eval would re-sort ties by docid.
    run = [ir_measures.ScoredDoc(qid, docid, float(len(rankings[qid]) - position))
           for qid in judged if qid in rankings
           for position, (docid, _) in enumerate(rankings[qid])]
    judgments = [ir_measures.Qrel(qid, docid, grade)
                 for qid in judged for docid, grade in qrels[qid].items()]
    names = {AP: "map", P @ 10: "p@10", nDCG @ 10: "ndcg@10"}
    per_query = {qid: dict.fromkeys(MEASURES, 0.0) for qid in judged}
    for metric in ir_measures.iter_calc(list(names), judgments, run):
        per_query[metric.query_id][names[metric.measure]] = float(metric.value)
    means = {name: sum(scores[name] for scores in per_query.values()) / max(len(judged), 1)
             for name in MEASURES}
    not_indexed = 0
    if indexed is not None:
        not_indexed = sum(1 for qid in judged for docid in _relevant(qrels, qid)
                          if not indexed(docid))
    return EvalReport(
        queries=len(judged), map=means["map"], p_at_10=means["p@10"],
        ndcg_at_10=means["ndcg@10"], depth=depth, per_query=per_query,
        unjudged=[qid for qid in queries if not _relevant(qrels, qid)],
        missing_queries=[qid for qid in qrels if _relevant(qrels, qid) and qid not in queries],
        relevant_not_indexed=not_indexed)


def _relevant(qrels: dict[str, dict[str, int]], qid: str) -> list[str]:
    return [docid for docid, grade in qrels.get(qid, {}).items() if grade > 0]


def _write_run(path: str | os.PathLike, rankings: dict[str, list[tuple[str, float]]]) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            for qid, hits in rankings.items():
                for position, (docid, score) in enumerate(hits, start=1):
                    out.write(f"{qid} Q0 {docid} {position} {score:.6f} {RUN_TAG}\n")
    except OSError as exc:
        raise NewsSearchError(f"cannot write run file {path} ({exc.strerror or exc})") from None


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _sample(items: list[str], shown: int = 5) -> str:
    head = ", ".join(items[:shown])
    return head + (f" … (+{len(items) - shown} more)" if len(items) > shown else "")


def _show(line: str, width: int = 60) -> str:
    return repr(line if len(line) <= width else line[:width] + "…")
