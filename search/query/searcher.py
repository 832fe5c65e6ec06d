"""Running a query: ranking, sorting, filters, facets, pagination, snippets.

Works on an open Whoosh searcher; `api.NewsIndex` owns its lifetime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from whoosh import collectors, query as wq, sorting
from whoosh.analysis import STOP_WORDS
from whoosh.searching import ResultsPage

from ..engine.whoosh import datecolumn
from ..errors import QueryError, SearchTimeout
from ..fields import TEXT_FIELDS
from ..results import Hit, SearchResults
from ..text.analysis_lang import stop_terms
from ..text.language import index_languages
from . import docsets, facets, ranking, snippets
from .parser import ParsedQuery, parse, unnegated_leaves
from .patterns import TEXT_OF_WORDS, expand, shown_field
from .phrases import keep_phrases
from .ranked_query import for_ranking
from .relax import relax
from .suggest import suggest

SORTS = ("relevance", "newest", "oldest", "recent")
#: Textbook BM25/BM25F with a correct idf (see `ranking` for why not Whoosh's).
WEIGHTING = ranking.BM25F()
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
    """Execute `request` on a Whoosh searcher and build typed results."""
    started = time.perf_counter()
    _validate(request)
    deadline = Deadline(request.time_limit)
    searcher = _Bounded(searcher, deadline)
    counted = [facets.resolve(f) for f in request.facets]
    filters = {facets.resolve(name, "filter on"): values
               for name, values in request.filters.items()}
    expanding = time.perf_counter()
    check_expansions(request.parsed.query, searcher.reader(), deadline)
    # Matching and highlighting expand the same patterns twice more.
    deadline.check(ahead=2 * (time.perf_counter() - expanding))
    # One BM25F ranking for every query (what `eval` measures): see ranked_query.
    # Phrases are matched once per segment and kept: both passes below use that.
    query = keep_phrases(for_ranking(request.parsed.query, request.parsed.text), deadline.check)

    combined = facets.filter_query(filters, request.since, request.until)
    # Counting needs every match but no scores: sets of document numbers
    # (see docsets) instead of a second walk of Whoosh's matchers.
    matches = docsets.matching(searcher, query, combined, deadline.check)
    total = strict_total = docsets.count(matches)
    relaxing = not total and request.relax and request.parsed.relaxable
    loose = relax(query) if relaxing else None
    if loose is not None:
        query = loose.query
        matches = docsets.matching(searcher, query, combined, deadline.check)
        total = docsets.count(matches)

    if not request.limit:  # totals and facets only: nothing to rank
        ranked = []
    elif request.sort == "recent":
        ranked = _recent(searcher, query, combined, request)
    elif loose is not None and request.sort == "relevance":  # most words first
        ranked = [(docnum, loose.relevance(score)) for docnum, score
                  in _paged(searcher, loose.ranking, combined, request)]
    else:
        ranked = _paged(searcher, query, combined, request)

    matchers = highlight_matchers(request.parsed.query, searcher)
    deadline.check()
    hits = [_hit(searcher.stored_fields(docnum), score, matchers, request.snippet_count)
            for docnum, score in ranked]
    if request.collapse:
        # Cluster sizes over every match, counted without collapsing: Whoosh's
        # own collapsed_counts misses documents displaced by a better one.
        sizes = facets.count_values(matches, "cluster")
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


#: "Did you mean" is offered when a query finds this many articles or fewer.
SUGGEST_BELOW = 2


def _better_query(searcher, request: SearchRequest, filter_query, total: int) -> str | None:
    """A corrected query, if it finds more than the one typed."""
    corrected = suggest(searcher, request.parsed.text, request.parsed.query)
    if not corrected or corrected == request.parsed.text:
        return None
    try:
        better = parse(corrected, languages=index_languages(searcher.reader())).query
    except QueryError:
        return None
    return corrected if _total(searcher, better, filter_query) > total else None


#: Key terms a "more like this" query is made of.
SIMILAR_TERMS = 12


def similar(searcher, article_id: str, limit: int = 10, snippet_count: int = 2) -> SearchResults:
    """Articles like one article ("more like this"): its most telling words
    (Bo1 term weighting over title and body, stop words left out) searched as
    a weighted OR."""
    started = time.perf_counter()
    stored = searcher.document(id=article_id)
    if stored is None:
        raise QueryError(f'no article with id "{article_id}"')
    text = f"{stored.get('title', '')}\n{stored.get('body', '')}"[:snippets.SCAN_CHARS]
    stops = STOP_WORDS | stop_terms(stored.get("language"))
    keys = [(term, weight) for term, weight in
            _key_terms(searcher, text, stored.get("language"), SIMILAR_TERMS * 3)
            if term not in stops][:SIMILAR_TERMS]
    if not keys:
        return SearchResults(query=f"similar to {article_id}", total=0, page=1, limit=limit,
                             took_ms=(time.perf_counter() - started) * 1000, hits=[])
    query = wq.Or([wq.Term(field, term, boost=weight * boost)
                   for term, weight in keys for field, boost in TEXT_FIELDS.items()])
    found = searcher.search(query, limit=limit, mask=wq.Term("id", article_id))
    matcher = snippets.Matcher(frozenset(term for term, _ in keys))
    matchers = {"body": matcher, "title": matcher}
    hits = [_hit(hit.fields(), float(hit.score), matchers, snippet_count) for hit in found]
    return SearchResults(query=f"similar to {article_id}", total=len(found), page=1,
                         limit=limit, took_ms=(time.perf_counter() - started) * 1000,
                         hits=hits)


def _key_terms(searcher, text: str, language: str | None, count: int) -> list:
    """searcher.key_terms_from_text("body", text), the text analysed in the
    article's `language` (Whoosh's own analyses it as English: a German
    article's key terms then missed its own index terms)."""
    from whoosh import classify

    field = searcher.schema["body"]
    expander = classify.Expander(searcher.reader(), "body", model=classify.Bo1Model)
    expander.add((field.from_bytes(term), weight)
                 for term, _, weight, _ in field.index(text, language=language))
    return expander.expanded_terms(count, normalize=True)


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


class _DeadlineCollector(collectors.WrappingCollector):
    """Wraps the innermost collector and checks the deadline every 256
    matching documents. Unlike Whoosh's TimeLimitCollector it needs no timer
    thread or SIGALRM (so it works in any thread), and it sits under the
    filter, facet and collapse collectors, which filter in their own loops."""

    def __init__(self, child, deadline: Deadline):
        super().__init__(child)
        self.deadline = deadline

    def matches(self):
        for n, sub_docnum in enumerate(self.child.matches()):
            if not n & 255:
                self.deadline.check()
            yield sub_docnum


class _Bounded:
    """A Whoosh searcher whose searches stop at a deadline; everything else
    is the searcher's own."""

    def __init__(self, searcher, deadline: Deadline):
        self._searcher, self._deadline = searcher, deadline

    def __getattr__(self, name):
        return getattr(self._searcher, name)

    def search(self, q, **kwargs):
        outer = self._searcher.collector(**kwargs)
        parent, inner = None, outer
        while isinstance(inner, collectors.WrappingCollector):
            parent, inner = inner, inner.child
        bounded = _DeadlineCollector(inner, self._deadline)
        if parent is None:
            outer = bounded
        else:
            parent.child = bounded
        self._searcher.search_with_collector(q, outer)
        return outer.results()

    def search_page(self, q, pagenum: int, pagelen: int = 10, **kwargs):
        return ResultsPage(self.search(q, limit=pagenum * pagelen, **kwargs), pagenum, pagelen)


def _collapse_args(request: SearchRequest) -> dict:
    """Whoosh search arguments for one hit per near-duplicate cluster."""
    if not request.collapse:
        return {}
    return {"collapse": sorting.FieldFacet("cluster"), "collapse_limit": 1}


def _total(searcher, query, filter_query) -> int:
    """How many articles match. Not len(results): Whoosh's block-skipping
    collector counts by re-running the query without the filter, and its
    counts shift once collectors are wrapped."""
    return docsets.count(docsets.matching(searcher, query, filter_query))


def _paged(searcher, query, filter_query, request: SearchRequest):
    """Relevance or date order: Whoosh sorts and collapses; we take the page.
    (Not search_page: with a filter and collapsing together, Whoosh 2.7.4's
    result count fails inside its collectors; the caller counts clusters.)"""
    collapse = _collapse_args(request)
    start = (request.page - 1) * request.limit
    found = searcher.search(query, limit=start + request.limit, filter=filter_query,
                            sortedby=_sort_facet(request.sort), **collapse)
    return [(hit.docnum, _relevance(hit.score)) for hit in found[start:start + request.limit]]


#: How many of the most relevant matches "recent" re-ranks.
RECENT_WINDOW = 500


def _recent(searcher, query, filter_query, request: SearchRequest):
    """Relevance × 0.5^(age / half-life), age in days counted back from the
    newest article in the index (so an archive from 1987 ranks sensibly too).
    Undated articles count as one half-life old. The score reported is the
    decayed one."""
    window = max(RECENT_WINDOW, request.page * request.limit)
    collapse = _collapse_args(request)
    found = searcher.search(query, limit=window, filter=filter_query, **collapse)
    _, newest, _ = date_range(searcher)
    dates = searcher.reader().column_reader("published", translate=False)
    field = searcher.schema["published"]
    reference = field.prepare_datetime(newest) if newest else None
    day = 86_400 * 10**6  # Whoosh datetimes are microseconds (datetime_to_long)
    scored = []
    for hit in found:
        age_days = request.half_life_days
        if reference is not None:
            value = dates[hit.docnum]
            if value is not None and value <= reference:
                age_days = (reference - value) / day
        scored.append((hit.docnum, hit.score * 0.5 ** (age_days / request.half_life_days)))
    scored.sort(key=lambda item: -item[1])
    start = (request.page - 1) * request.limit
    return scored[start:start + request.limit]


#: Most index terms one wildcard, prefix or fuzzy pattern may stand for (and
#: all the patterns of a query together).
MAX_EXPANSIONS = 5000
#: Most different wildcard, prefix or fuzzy words in one query: each one is a
#: scan of the vocabulary (a fuzzy word~2 takes a second and more).
MAX_PATTERNS = 20


def check_expansions(q: wq.Query, reader, deadline: Deadline | None = None) -> None:
    """Refuse patterns that would expand to a huge OR (``*a*``), and queries
    with too many patterns."""
    patterns = [leaf for leaf in q.leaves() if isinstance(leaf, wq.MultiTerm)]
    if len({_pattern(leaf) for leaf in patterns}) > MAX_PATTERNS:
        raise QueryError(f"the query has more than {MAX_PATTERNS} wildcard, prefix or fuzzy "
                         f"words; use fewer")
    total = 0
    for leaf in patterns:
        count = 0
        for _ in expand(leaf, reader):
            count += 1
            if count > MAX_EXPANSIONS:
                raise QueryError(
                    f'"{_pattern(leaf)}" in {shown_field(leaf.fieldname)} matches more than '
                    f"{MAX_EXPANSIONS:,} different words; make the pattern more specific")
        total += count
        if total > MAX_EXPANSIONS:
            raise QueryError(f"the patterns of the query match more than {MAX_EXPANSIONS:,} "
                             f"different words together; make them more specific")
        if deadline:
            deadline.check()


def _pattern(leaf: wq.MultiTerm) -> str:
    """A pattern as typed: `missil*`, `idlib~2`, or a range `[a TO z]`."""
    text = getattr(leaf, "text", None)
    if text is not None:
        return text
    return f"[{getattr(leaf, 'start', '')} TO {getattr(leaf, 'end', '')}]"


def _sort_facet(sort: str):
    if sort == "relevance":
        return None
    # Undated articles sort last either way (Whoosh's column gives them the
    # largest date, which would put them first when newest comes first);
    # ties keep relevance order.
    dated_first = sorting.QueryFacet({"0": wq.Every("year")}, other="1")
    return [dated_first, sorting.FieldFacet("published", reverse=(sort == "newest")),
            sorting.ScoreFacet()]


def highlight_matchers(q: wq.Query, searcher) -> dict[str, snippets.Matcher]:
    """What to highlight per text field: the terms and exact phrases of the
    query, leaving out negated parts (``Patriot -Idlib`` lights up Patriot
    only) and expanding prefixes, wildcards and fuzzy terms to the words
    they matched."""
    terms: dict[str, set[str]] = {name: set() for name in TEXT_FIELDS}
    as_written: dict[str, set[str]] = {name: set() for name in TEXT_FIELDS}
    phrases: dict[str, set[tuple[str, ...]]] = {name: set() for name in TEXT_FIELDS}
    reader = searcher.reader()
    for leaf in unnegated_leaves(q):
        if leaf.field() in TEXT_OF_WORDS:  # a pattern: the words as written it matched
            shown = as_written[TEXT_OF_WORDS[leaf.field()]]
            if isinstance(leaf, wq.MultiTerm):
                shown.update(expand(leaf, reader))
        elif isinstance(leaf, wq.Phrase):
            if leaf.fieldname in phrases:
                words = tuple(leaf.words)
                exact = leaf.slop <= 1 and len(words) > 1
                (phrases[leaf.fieldname].add(words) if exact
                 else terms[leaf.fieldname].update(words))
        elif leaf.field() in terms:
            # Not Query.existing_terms(): in Whoosh 2.7.4 its loop variable
            # shadows the `fieldname` argument and drops leaves.
            for fieldname, text in leaf.expanded_terms(reader, phrases=True):
                terms[fieldname].add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return {name: snippets.Matcher(frozenset(terms[name]), tuple(sorted(phrases[name])),
                                   frozenset(as_written[name]))
            for name in TEXT_FIELDS}


def _relevance(score) -> float:
    """A hit's BM25F score. When sorting by date Whoosh reports the sort key
    instead: (date key, negated score) from the ScoreFacet tie-breaker."""
    if isinstance(score, tuple):
        return float(-score[-1])
    return float(score or 0.0)


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


def date_range(searcher) -> tuple[datetime | None, datetime | None, int]:
    """Earliest and latest published date (naive UTC) and how many articles
    have one."""
    return datecolumn.bounds(searcher.reader())
