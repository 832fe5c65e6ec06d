"""The search parameters as FastAPI reads them: their types, ranges and
OpenAPI descriptions (`search_state`, the routes' dependency). What they
mean is checked after, in `state.checked_state`."""

from __future__ import annotations

from typing import Literal

from fastapi import Query, Request

from ..query import facets
from .state import MAX_QUERY_CHARS, NUMBERS, SORTS, SearchState, checked_state


def _number(name: str, description: str):
    default, smallest, largest = NUMBERS[name]
    return Query(default, ge=smallest, le=largest, description=description)


def search_state(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY_CHARS,
                   description="The query (see docs/query-language.md); empty matches all."),
    page: int = _number("page", "Page of hits, from 1."),
    limit: int = _number("limit", "Hits per page; 0 for totals and facets only."),
    sort: Literal[SORTS] | None = Query(  # (Literal of a tuple: of each of its strings)
        None, description="Order of hits (default relevance; the page shows newest "
                          "first when the query is empty)."),
    facet: list[str] = Query([], description="Facet fields to count (repeatable or comma-"
                                             "separated): " + ", ".join(facets.FACET_FIELDS)),
    facet_limit: int = _number("facet_limit", "Values per facet."),
    since: str | None = Query(None, description="Published on/after: YYYY, YYYY-MM, "
                                                "YYYY-MM-DD, ISO 8601 or now-30d."),
    until: str | None = Query(None, description="Published on/before (a month or year "
                                                "includes its last day)."),
    collapse: bool = Query(False, description="One hit per near-duplicate story."),
    strict: bool = Query(False, description="Reject malformed queries (400 with the column) "
                                            "instead of reading them leniently."),
    any_term: bool = Query(False, alias="any", description="Match any word instead of all."),
) -> SearchState:
    """Read the search parameters by type and range (a 400 names the one
    that is not), then check what they mean."""
    return checked_state(q=q, page=page, limit=limit, sort=sort, facet=facet,
                         facet_limit=facet_limit, since=since, until=until, collapse=collapse,
                         strict=strict, any_term=any_term,
                         pairs=request.query_params.multi_items())
