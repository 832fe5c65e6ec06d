"""Running a query: ranking, sorting, filters, facets, pagination, snippets.

What a search does, step by step, over the engine-neutral query tree: the
Whoosh engine (`engine/whoosh/querying/execute.py`) matches, counts and
ranks, and its searcher and queries pass through here unopened; the hits,
snippets, facets, relaxing and "did you mean" are put together here.
`api.NewsIndex` owns the searcher's lifetime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from ..engine.base import SUGGEST_BELOW
from ..engine.whoosh.querying import execute, facet_counts
from ..engine.whoosh.querying.relax import relax
from ..engine.whoosh.querying.suggest import suggest
from ..errors import QueryError, SearchTimeout
from ..results import Hit, SearchResults
from ..text.language import index_languages
from . import facets, snippets
from . import tree as t
from .parser import ParsedQuery, parse

SORTS = ("relevance", "newest", "oldest", "recent")
MAX_LIMIT = 1000
#: Seconds a search may take before it is stopped with a QueryError.
TIME_LIMIT = 10.0


@dataclass
class SearchRequest:
    """Everything a search can be asked, already validated by the caller."""

    parsed: ParsedQuery
    limit: int = 10
    page: int = 1
    sort: str = "relevance"
    #: Facet field → accepted values (any of them); fields combine with AND.
    filters: dict[str, list[str]] = field(default_factory=dict)
    since: str | None = None
    until: str | None = None
    facets: list[str] = field(default_factory=list)
    facet_limit: int = 10
    snippet_count: int = 2
    #: One hit per near-duplicate cluster (the best), with a count of the rest.
    collapse: bool = False
    #: For sort="recent": a story this many days older counts half as much.
    half_life_days: float = 30.0
    #: Seconds after which the search is stopped (a QueryError).
    time_limit: float = TIME_LIMIT
    #: An AND query that finds nothing runs again as a ranked OR (see `relax`).
    relax: bool = True


#: (Facet names are validated in the facets module; callers still ask here.)
resolve_facet = facets.resolve


def run(searcher, request: SearchRequest) -> SearchResults:
    """Execute `request` on an engine searcher and build typed results."""
    started = time.perf_counter()
    _validate(request)
    deadline = Deadline(request.time_limit)
    searcher = execute.bounded(searcher, deadline)
    counted = [facets.resolve(f) for f in request.facets]
    filters = {facets.resolve(name, "filter on"): values
               for name, values in request.filters.items()}
    query = execute.ranking_query(searcher, request.parsed.tree, request.parsed.text, deadline)

    combined = facets.filter_query(filters, request.since, request.until)
    # Counting needs every match but no scores: sets of document numbers
    # (see docsets) instead of a second walk of Whoosh's matchers.
    matches = execute.matching(searcher, query, combined, deadline.check)
    total = strict_total = execute.count(matches)
    relaxing = not total and request.relax and request.parsed.relaxable
    loose = relax(query) if relaxing else None
    if loose is not None:
        query = loose.query
        matches = execute.matching(searcher, query, combined, deadline.check)
        total = execute.count(matches)

    page = dict(page=request.page, limit=request.limit, collapse=request.collapse)
    if not request.limit:  # totals and facets only: nothing to rank
        ranked = []
    elif request.sort == "recent":
        ranked = execute.recent(searcher, query, combined, half_life_days=request.half_life_days,
                                matches=matches, check=deadline.check, **page)
    elif loose is not None and request.sort == "relevance":  # most words first
        ranked = [(docnum, loose.relevance(score)) for docnum, score
                  in execute.paged(searcher, loose.ranking, combined, sort=request.sort, **page)]
    else:
        ranked = execute.paged(searcher, query, combined, sort=request.sort, matches=matches,
                               check=deadline.check, **page)

    matchers = highlight_matchers(request.parsed.tree, searcher)
    deadline.check()
    hits = [_hit(stored, score, matchers, request.snippet_count)
            for stored, score in execute.stored(searcher, ranked)]
    if request.collapse:
        # Cluster sizes over every match, counted without collapsing: Whoosh's
        # own collapsed_counts misses documents displaced by a better one.
        sizes = facet_counts.count_values(matches, "cluster")
        total = len(sizes)
        for hit in hits:
            hit.similar = sizes.get(hit.cluster, 1) - 1

    suggestion = None
    if strict_total <= SUGGEST_BELOW:  # (before relaxing: "oil pirces")
        suggestion = _better_query(searcher, request, combined, strict_total)

    counts = facets.count(searcher, counted, query, filters, request.since, request.until,
                          matches, request.facet_limit, deadline.check)
    return SearchResults(
        query=request.parsed.text, total=total, page=request.page,
        limit=request.limit, took_ms=(time.perf_counter() - started) * 1000,
        hits=hits, facets=counts, warnings=list(request.parsed.warnings),
        suggestion=suggestion, relaxed=loose is not None,
    )



def _better_query(searcher, request: SearchRequest, filter_tree: t.Node | None,
                  total: int) -> str | None:
    """A corrected query, if it finds more than the one typed."""
    corrected = suggest(searcher, request.parsed.text, request.parsed.tree)
    if not corrected or corrected == request.parsed.text:
        return None
    try:
        better = parse(corrected, languages=index_languages(searcher.reader())).tree
    except QueryError:
        return None
    return corrected if execute.total(searcher, better, filter_tree) > total else None


def similar(searcher, article_id: str, limit: int = 10, snippet_count: int = 2) -> SearchResults:
    """Articles like one article ("more like this"): its most telling words
    searched as a weighted OR (see `execute.similar`), their snippets lit
    up where those words are."""
    started = time.perf_counter()
    found, keys, total = execute.similar(searcher, article_id, limit, snippets.SCAN_CHARS)
    matcher = snippets.Matcher(keys)
    matchers = {"body": matcher, "title": matcher}
    hits = [_hit(stored, score, matchers, snippet_count) for stored, score in found]
    return SearchResults(query=f"similar to {article_id}", total=total, page=1,
                         limit=limit, took_ms=(time.perf_counter() - started) * 1000,
                         hits=hits)


def _validate(request: SearchRequest) -> None:
    if request.sort not in SORTS:
        raise QueryError(f'unknown sort "{request.sort}" (choose from: {", ".join(SORTS)})')
    if not 0 <= request.limit <= MAX_LIMIT:
        raise QueryError(f"--limit must be between 0 and {MAX_LIMIT} (0: totals and facets only)")
    if request.page < 1:
        raise QueryError("--page must be 1 or more")
    if not request.half_life_days > 0:
        raise QueryError("--half-life must be more than 0 days")
    if not request.time_limit > 0:
        raise QueryError("the time limit must be more than 0 seconds")


class Deadline:
    """The moment a search must be done by: check() raises a QueryError after."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.perf_counter() + seconds

    def check(self, ahead: float = 0.0) -> None:
        """Raise if the deadline has passed (or will have, `ahead` seconds on)."""
        if time.perf_counter() + ahead > self.at:
            raise SearchTimeout(
                f"the search took more than {self.seconds:g} s and was stopped; make the "
                f"query more specific (fewer words, wildcards or fuzzy~ words) or add filters")


def highlight_matchers(tree: t.Node, searcher) -> dict[str, snippets.Matcher]:
    """What to highlight per text field: the terms and exact phrases of the
    query, leaving out negated parts (``Patriot -Idlib`` lights up Patriot
    only) and expanding prefixes, wildcards and fuzzy terms to the words
    they matched."""
    found = execute.highlight_words(tree, searcher)
    return {name: snippets.Matcher(frozenset(terms), tuple(sorted(phrases)),
                                   frozenset(as_written))
            for name, (terms, phrases, as_written) in found.items()}


def _hit(stored: dict, score: float, matchers: dict[str, snippets.Matcher],
         snippet_count: int) -> Hit:
    published = stored.get("published_text")
    return Hit(
        id=stored["id"], score=score, title=stored.get("title", ""),
        source=stored.get("source"),
        published=datetime.fromisoformat(published) if published else None,
        url=stored.get("url"), section=stored.get("section"),
        tags=list(stored.get("tags") or []), authors=list(stored.get("authors") or []),
        path=stored.get("path"), cluster=stored.get("cluster"),
        snippets=snippets.passages(stored.get("body", ""), matchers["body"], snippet_count,
                                   stored.get("language")),
        title_highlights=snippets.highlight_spans(stored.get("title", ""), matchers["title"],
                                                  stored.get("language")),
    )
