"""What every request of `newssearch serve` shares: one open index, the
time limit of a search and the synonyms (:class:`Server`), whichever app
answers it (`front` or the FastAPI app of `app`)."""

from __future__ import annotations

from pathlib import Path

from ..api import NewsIndex
from ..errors import QueryError, SearchTimeout
from ..query.parser import parse_date_bound
from ..query.synonyms import Synonyms
from ..results import SearchResults
from .guard import public_path
from .state import ParamError, SearchState

#: Seconds one request's search may run before it is stopped (a 503 naming
#: the limit): the thread pool is shared, so one query must not hog it.
SEARCH_TIME_LIMIT = 5.0


class Server:
    """The app's shared state: one open index, shared by every request
    thread (NewsIndex lends each a searcher of its own)."""

    def __init__(self, index: str | Path | NewsIndex, time_limit: float = SEARCH_TIME_LIMIT,
                 synonyms: Synonyms | None = None):
        # (An open index of either engine: NewsIndex.open gives an
        # OpenSearchIndex for an opensearch:// URL.)
        self.index = NewsIndex.open(index) if isinstance(index, (str, Path)) else index
        self.time_limit = time_limit
        self.synonyms = synonyms

    def public(self, data: dict) -> dict:
        """An article's dict, or results' hits, with paths relative to the
        indexed folder (see guard.public_path)."""
        roots = self.index.roots
        for item in [data, *data.get("hits", [])]:
            if item.get("path"):
                item["path"] = public_path(item["path"], roots)
        return data

    def search(self, state: SearchState, *, sort: str | None = None,
               facets: list[str] | None = None,
               facet_limit: int | None = None) -> SearchResults:
        """Run `state` (the page overrides sort and facets); any QueryError
        left after the parameter checks is the query's, with its column."""
        if state.since and state.until and (parse_date_bound(state.since, end=False)
                                            > parse_date_bound(state.until, end=True)):
            raise ParamError("since", f"since {state.since} is after until {state.until}")
        try:
            return self.index.search(
                state.q, limit=state.limit, page=state.page,
                sort=sort or state.sort or "relevance",
                filters=state.filters, since=state.since, until=state.until,
                facets=state.facets if facets is None else facets,
                facet_limit=facet_limit or state.facet_limit, strict=state.strict,
                any_term=state.any_term, collapse=state.collapse,
                time_limit=self.time_limit, synonyms=self.synonyms)
        except SearchTimeout as exc:  # the query is fine, the server is not: retry later
            raise ParamError("q", exc.reason, status=503) from None
        except QueryError as exc:  # everything else was checked: it is the query's
            raise ParamError("q", exc.reason, exc.column) from None
