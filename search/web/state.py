"""What a request to the search page or the API asks for: the query
state a page URL holds (:class:`SearchState`), checked from the parameters
(:func:`checked_state`), and the 400 a bad parameter becomes
(:class:`ParamError`). No FastAPI here: `params` declares the parameters to
FastAPI, and `front` reads plain ones without it; both end in
:func:`checked_state`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable
from urllib.parse import urlencode

from ..errors import QueryError
from ..query import facets
from ..query.parser import parse_date_bound

#: Longest query text accepted, in characters.
MAX_QUERY_CHARS = 1000
#: Most hits per page.
MAX_LIMIT = 100
#: Deepest page (page × limit bounds the work of one request).
MAX_PAGE = 1000
#: Most filter values in one request.
MAX_FILTER_VALUES = 50
#: The whole-number parameters: (default, smallest, largest).
NUMBERS = {"page": (1, 1, MAX_PAGE), "limit": (10, 0, MAX_LIMIT),
           "facet_limit": (10, 1, MAX_LIMIT)}
#: The orders a search may ask for (none: relevance, or newest first on the page).
SORTS = ("relevance", "newest", "oldest", "recent")


class ParamError(Exception):
    """A bad request parameter: becomes a 400 naming it (and its column)."""

    def __init__(self, parameter: str | None, message: str, column: int | None = None,
                 status: int = 400):
        super().__init__(message)
        self.parameter, self.message, self.column = parameter, message, column
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "parameter": self.parameter, "column": self.column}



# --- request state -------------------------------------------------------------

@dataclass
class SearchState:
    """Everything a search page or API call asks for; `url()` turns it back
    into a query string, so the URL is the whole state."""

    q: str = ""
    page: int = 1
    limit: int = 10
    sort: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    since: str | None = None
    until: str | None = None
    facets: list[str] = field(default_factory=list)
    facet_limit: int = 10
    collapse: bool = False
    strict: bool = False
    any_term: bool = False

    def effective_sort(self) -> str:
        """The page lists everything newest first when there is no query."""
        return self.sort or ("relevance" if self.q.strip() else "newest")

    def params(self) -> list[tuple[str, str]]:
        """Query-string pairs of the page state (defaults left out)."""
        pairs = [("q", self.q)] if self.q else []
        for name, values in self.filters.items():
            pairs += [(f"filter.{name}", v) for v in values]
        for name in ("since", "until", "sort"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        if self.limit != 10:
            pairs.append(("limit", str(self.limit)))
        for name, flag in (("collapse", self.collapse), ("strict", self.strict),
                           ("any", self.any_term)):
            if flag:
                pairs.append((name, "1"))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def url(self, **changes) -> str:
        """The page URL with `changes` applied; back to page 1 unless a page is given."""
        changes.setdefault("page", 1)
        pairs = replace(self, **changes).params()
        return "/?" + urlencode(pairs) if pairs else "/"

    def is_active(self, name: str, value: str) -> bool:
        return facets.facet_for(name).is_selected(self, value)

    def toggle(self, name: str, value: str) -> str:
        """URL with `value` added to (or, if there, removed from) a facet filter."""
        return facets.facet_for(name).toggle_url(self, value)


def checked_state(*, q: str, page: int, limit: int, sort: str | None, facet: list[str],
                  facet_limit: int, since: str | None, until: str | None, collapse: bool,
                  strict: bool, any_term: bool,
                  pairs: Iterable[tuple[str, str]]) -> SearchState:
    """The state of parameters already read by type and range; facet and
    filter names (from the query string's `pairs`), and dates, are checked
    here so an error can name its parameter."""
    names = []
    for value in facet:
        for name in filter(None, (part.strip() for part in value.split(","))):
            names.append(_facet_name(name, "facet", "facet on"))
    return SearchState(q=q, page=page, limit=limit, sort=sort,
                       filters=_read_filters(pairs), since=_date(since, "since", False),
                       until=_date(until, "until", True), facets=names,
                       facet_limit=facet_limit, collapse=collapse, strict=strict,
                       any_term=any_term)


def _facet_name(name: str, parameter: str, verb: str) -> str:
    try:
        return facets.resolve(name, verb)
    except QueryError as exc:
        raise ParamError(parameter, exc.reason) from None


def _read_filters(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """`filter.source=Reuters&filter.source=AFP&filter.tags=Syria` →
    {"source": ["Reuters", "AFP"], "tags": ["Syria"]} (names checked)."""
    given: dict[str, list[str]] = {}
    for key, value in pairs:
        if key.startswith("filter."):
            given.setdefault(key, []).append(value)
    filters: dict[str, list[str]] = {}
    count = 0
    for key, values in given.items():
        name = _facet_name(key[len("filter."):], key, "filter on")
        for value in values:
            value = " ".join(value.split())  # a blank value (an empty form field) is no filter
            if value and value not in filters.setdefault(name, []):
                filters[name].append(value)
                count += 1
        if not filters.get(name, True):
            del filters[name]
    if count > MAX_FILTER_VALUES:
        raise ParamError("filter", f"at most {MAX_FILTER_VALUES} filter values per request")
    return filters


def _date(value: str | None, parameter: str, end: bool) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        parse_date_bound(value, end=end)
    except QueryError as exc:
        raise ParamError(parameter, exc.reason) from None
    return value.strip()
