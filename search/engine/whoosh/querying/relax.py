"""Natural-language queries: when every word must match and no article has
them all, search for articles with most of them.

``why are oil prices rising so fast`` is a question, not a conjunction: no
article holds all seven words, and an empty page helps nobody. So an AND
query of several words that finds nothing is run again as an OR of its
words (function words left out, as in free-text ranking), and ranked by how
many of the words an article has, then by relevance. Exclusions (``-iran``)
and fields stay as typed. The results say so (``SearchResults.relaxed``).

The ranking is exact over every match, not a re-ordering of the top few:
each word an article has adds :data:`COVERAGE` to its score (a constant
larger than any word's BM25 share), so Whoosh's own top-k collection puts
more words first; the reported score has the constants taken off again.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq

from ....text.analysis import fold, stem
from ....text.query_words import QUERY_STOP_WORDS
from .ranking import BM25FTerm

#: Function words (and their stems) a relaxed query leaves out; not those
#: that news writes as acronyms (US, WHO, IT).
_STOP_TERMS = (frozenset(stem(fold(word)) for word in QUERY_STOP_WORDS)
               | QUERY_STOP_WORDS) - {"us", "who", "it"}


#: Added to an article's score per query word (or phrase) it has: far above
#: any one word's BM25 score (tens), far below where float64 loses the rest.
COVERAGE = 1e6


@dataclass
class Relaxed:
    """An OR form of an AND query: `query` matches (and is counted),
    `ranking` orders by words matched, then relevance (see module doc)."""

    query: wq.Query
    ranking: wq.Query

    @staticmethod
    def relevance(score: float) -> float:
        """A `ranking` score without its per-word constants."""
        return score - COVERAGE * (score // COVERAGE)


def relax(q: wq.Query) -> Relaxed | None:
    """The OR form of an AND query of two or more positive parts, or None
    when there is nothing to relax (one word, an OR already, …)."""
    if type(q) is wq.AndNot:
        inner = relax(q.a)
        return inner and Relaxed(wq.AndNot(inner.query, q.b), wq.AndNot(inner.ranking, q.b))
    if type(q) is not wq.And:
        return None
    positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
    negated = [c for c in q.subqueries if isinstance(c, wq.Not)]
    if len(positive) < 2:
        return None
    clauses = [c for c in positive if not _is_stop_clause(c)] or positive
    loose: wq.Query = wq.Or(clauses)
    ranking: wq.Query = wq.Or([wq.Or([wq.ConstantScoreQuery(c, COVERAGE), c]) for c in clauses])
    if negated:
        excluded = wq.Or([n.query for n in negated])
        loose, ranking = wq.AndNot(loose, excluded), wq.AndNot(ranking, excluded)
    return Relaxed(loose, ranking)


def _is_stop_clause(clause: wq.Query) -> bool:
    """A clause that is one function word in each text field (``are``):
    a term per field, or one BM25F term over the fields (the ranked query's;
    missing it let "why are … so" back into every relaxed question)."""
    leaves = list(clause.leaves()) if not clause.is_leaf() else [clause]
    return bool(leaves) and all(type(leaf) in (wq.Term, BM25FTerm) and leaf.text in _STOP_TERMS
                                for leaf in leaves)
