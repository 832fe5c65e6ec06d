"""``--sort recent`` on OpenSearch, meaning what it means on the embedded
engine (`engine.whoosh.querying.execute.recent`): the most relevant
matches — the best `RECENT_WINDOW`, or as many as the page reaches — are
re-ranked by relevance × 0.5^(age / half-life), age in days counted back
from the newest article in the index (not from today: an archive from 1987
ranks sensibly too); an undated article counts as one half-life old; the
score shown is the decayed one. Matches outside the window keep their
place after it, so they never reach a page.

Re-ranking a window, not decaying every match, is the point: a weak match
published yesterday must not push a strong one from last month off the
first page. OpenSearch says this as a ``rescore`` (each shard's top
`window` hits, multiplied by a ``function_score``) whose ``exp`` decay with
``decay`` 0.5 at ``scale`` one half-life is exactly 0.5^(age / half-life).
"""

from __future__ import annotations

from typing import Any

from ...errors import QueryError

#: How many of the most relevant matches are re-ranked (the embedded
#: engine's `execute.RECENT_WINDOW`; tests/test_opensearch_query_options.py checks they agree).
RECENT_WINDOW = 500
#: OpenSearch's default ``index.max_rescore_window``: the largest window.
MAX_RESCORE_WINDOW = 10_000
DAY_MS = 86_400_000


def newest_aggregation() -> dict[str, Any]:
    """The aggregation (named) whose answer `newest_of` reads."""
    return {"newest": {"max": {"field": "published"}}}


def newest_of(answer: dict[str, Any]) -> str | None:
    """The newest published date in an answer with `newest_aggregation` (None: no
    article is dated)."""
    newest = answer["aggregations"]["newest"]
    return newest.get("value_as_string") if newest.get("value") is not None else None


def rescore(newest: str | None, half_life_days: float, page: int, limit: int) -> dict[str, Any]:
    """The ``rescore`` clause of a recent-first search (sort by ``_score``
    only: OpenSearch refuses any other sort beside a rescore)."""
    if not half_life_days > 0:
        raise QueryError("--half-life must be more than 0 days")
    window = max(RECENT_WINDOW, page * limit)
    if window > MAX_RESCORE_WINDOW:
        raise QueryError(f"--sort recent reaches {MAX_RESCORE_WINDOW:,} hits deep on an "
                         f"OpenSearch index; ask for an earlier page")
    undated = {"weight": 0.5}  # one half-life old
    functions = [undated]
    if newest is not None:
        # Milliseconds: OpenSearch takes no fractional days (--half-life 1.5).
        scale = f"{max(1, round(half_life_days * DAY_MS))}ms"
        decay = {"exp": {"published": {"origin": newest, "scale": scale, "decay": 0.5}}}
        functions = [{"filter": {"exists": {"field": "published"}}, **decay}, undated]
    factor = {"function_score": {"query": {"match_all": {}}, "functions": functions,
                                 "score_mode": "first", "boost_mode": "replace"}}
    return {"window_size": window,
            "query": {"rescore_query": factor, "query_weight": 1.0,
                      "rescore_query_weight": 1.0, "score_mode": "multiply"}}
