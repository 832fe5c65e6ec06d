"""A search on a Whoosh searcher: the query tree translated and made ready
to rank, matched under the filters, ranked a page at a time, its patterns
expanded for highlighting; and "more like this".

`search.query.searcher` drives a search through these functions with
engine-neutral trees (the query, the filter); the Whoosh queries they make
stay opaque to it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Callable, Iterable

from whoosh import collectors, query as wq, sorting
from whoosh.analysis import STOP_WORDS
from whoosh.searching import ResultsPage

from ....errors import QueryError
from ....fields import TEXT_FIELDS
from ....query import tree as t
from ....text.analysis_lang import stop_terms
from .. import datecolumn
from ..translate import to_whoosh
from . import docsets
from .patterns import TEXT_OF_WORDS, expand, shown_field
from .phrases import keep_phrases
from .ranked_query import for_plain_words, for_ranking
from .ranking import BM25F, rank as rank_query

#: Textbook BM25/BM25F with a correct idf (see `ranking` for why not Whoosh's).
WEIGHTING = BM25F()

#: Most index terms one wildcard, prefix or fuzzy pattern may stand for (and
#: all the patterns of a query together).
MAX_EXPANSIONS = 5000
#: Most different wildcard, prefix or fuzzy words in one query: each one is a
#: scan of the vocabulary (a fuzzy word~2 takes a second and more).
MAX_PATTERNS = 20
#: How many of the most relevant matches "recent" re-ranks.
RECENT_WINDOW = 500


def ranking_query(searcher, tree: t.Node, text: str, deadline) -> wq.Query:
    """The query to match and rank `tree` (typed as `text`) with: its
    patterns checked, one BM25F ranking for every query (what `eval`
    measures: see ranked_query), phrases matched once per segment and kept."""
    plain = for_plain_words(tree, text)
    if plain is not None:  # (plain words: no pattern to check, no phrase to keep)
        return plain
    query = to_whoosh(tree)
    expanding = time.perf_counter()
    check_expansions(query, searcher.reader(), deadline)
    # Matching and highlighting expand the same patterns twice more.
    deadline.check(ahead=2 * (time.perf_counter() - expanding))
    return keep_phrases(for_ranking(query, text), deadline.check)


def ranked_form(tree: t.Node, text: str) -> wq.Query:
    """The Whoosh query ranking `tree` (typed as `text`) by the one BM25F,
    as `ranking_query` ranks it (phrases not yet kept)."""
    return for_ranking(to_whoosh(tree), text)


def rank(searcher, tree: t.Node, text: str, limit: int,
         ids: dict[int, str] | None = None) -> list[tuple[str, float]]:
    """The top `limit` (article id, score) pairs of a query (`tree`, typed as
    `text`) under the one ranking, without building hits: for evaluation runs
    (`ranking.rank`)."""
    return rank_query(searcher, ranked_form(tree, text), limit, ids)


def matching(searcher, query, filter_tree: t.Node | None,
             check: Callable[[], None] = lambda: None) -> docsets.SegmentMatches:
    """The documents matching `query` and the filter, per segment."""
    return docsets.matching(searcher, query, _filter(filter_tree), check)


def count(matches: docsets.SegmentMatches) -> int:
    """How many documents `matches` holds."""
    return docsets.count(matches)


def total(searcher, tree: t.Node, filter_tree: t.Node | None) -> int:
    """How many articles match. Not len(results): Whoosh's block-skipping
    collector counts by re-running the query without the filter, and its
    counts shift once collectors are wrapped."""
    return docsets.count(docsets.matching(searcher, to_whoosh(tree), _filter(filter_tree)))


def _filter(tree: t.Node | None) -> wq.Query | None:
    return to_whoosh(tree) if tree is not None else None


def bounded(searcher, deadline) -> "_Bounded":
    """`searcher`, its searches stopped at `deadline` (a QueryError)."""
    return _Bounded(searcher, deadline)


class _DeadlineCollector(collectors.WrappingCollector):
    """Wraps the innermost collector and checks the deadline every 256
    matching documents. Unlike Whoosh's TimeLimitCollector it needs no timer
    thread or SIGALRM (so it works in any thread), and it sits under the
    filter, facet and collapse collectors, which filter in their own loops."""

    def __init__(self, child, deadline):
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

    def __init__(self, searcher, deadline):
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


def _collapse_args(collapse: bool) -> dict:
    """Whoosh search arguments for one hit per near-duplicate cluster."""
    if not collapse:
        return {}
    return {"collapse": sorting.FieldFacet("cluster"), "collapse_limit": 1}


def _search(searcher, query, filter_tree: t.Node | None, *, limit: int, collapse: bool,
            sortedby=None):
    """The top `limit` hits under the filter, one per near-duplicate cluster
    if `collapse`. Whoosh 2.7.4 collapses only when there is no filter: its
    FilterCollector wraps the CollapseCollector and hands each document
    straight to the collector inside it, past the collapsing. So with both,
    the filtered matches are ranked and the first of each cluster kept."""
    restrict = _filter(filter_tree)
    if not (collapse and restrict is not None):
        return searcher.search(query, limit=limit, filter=restrict, sortedby=sortedby,
                               **_collapse_args(collapse))
    clusters = searcher.reader().column_reader("cluster")
    kept, seen = [], set()
    for hit in searcher.search(query, limit=None, filter=restrict, sortedby=sortedby):
        if clusters[hit.docnum] not in seen:
            seen.add(clusters[hit.docnum])
            kept.append(hit)
            if len(kept) == limit:
                break
    return kept


def paged(searcher, query, filter_tree: t.Node | None, *, sort: str, page: int, limit: int,
          collapse: bool, matches: docsets.SegmentMatches | None = None,
          check: Callable[[], None] = lambda: None) -> list[tuple[int, float]]:
    """Relevance or date order: Whoosh sorts and collapses; we take the page.
    (Not search_page: with a filter and collapsing together, Whoosh 2.7.4's
    result count fails inside its collectors; the caller counts clusters.)
    Given the query's `matches`, relevance order is scored from them
    (topk: the same page, faster) where the query's shape allows."""
    start = (page - 1) * limit
    if sort == "relevance" and not collapse and matches is not None:
        best = _top(searcher, query, matches, start + limit, check)
        if best is not None:
            return best[start:start + limit]
    found = _search(searcher, query, filter_tree, limit=start + limit, collapse=collapse,
                    sortedby=_sort_facet(sort))
    return [(hit.docnum, _relevance(hit.score)) for hit in found[start:start + limit]]


def recent(searcher, query, filter_tree: t.Node | None, *, page: int, limit: int,
           collapse: bool, half_life_days: float,
           matches: docsets.SegmentMatches | None = None,
           check: Callable[[], None] = lambda: None) -> list[tuple[int, float]]:
    """Relevance × 0.5^(age / half-life), age in days counted back from the
    newest article in the index (so an archive from 1987 ranks sensibly too).
    Undated articles count as one half-life old. The score reported is the
    decayed one."""
    window = max(RECENT_WINDOW, page * limit)
    found = None if collapse or matches is None else _top(searcher, query, matches,
                                                           window, check)
    if found is None:
        found = [(hit.docnum, hit.score) for hit in _search(
            searcher, query, filter_tree, limit=window, collapse=collapse)]
    _, newest, _ = date_range(searcher)
    dates = searcher.reader().column_reader("published", translate=False)
    field = searcher.schema["published"]
    reference = field.prepare_datetime(newest) if newest else None
    day = 86_400 * 10**6  # Whoosh datetimes are microseconds (datetime_to_long)
    scored = []
    for docnum, score in found:
        age_days = half_life_days
        if reference is not None:
            value = dates[docnum]
            if value is not None and value <= reference:
                age_days = (reference - value) / day
        scored.append((docnum, score * 0.5 ** (age_days / half_life_days)))
    scored.sort(key=lambda item: -item[1])
    start = (page - 1) * limit
    return scored[start:start + limit]


def _top(searcher, query, matches: docsets.SegmentMatches, count: int,
         check: Callable[[], None]) -> list[tuple[int, float]] | None:
    """topk.top on the vectorised path; None (rank with Whoosh) off it."""
    if not matches.vectorised:
        return None
    from . import topk  # (numpy: imported on the vectorised path only)

    return topk.top(searcher, query, matches, count, check)


def stored(searcher, ranked: Iterable[tuple[int, float]]) -> list[tuple[dict, float]]:
    """The stored fields of ranked documents, with their scores."""
    reader = searcher.reader()
    return [(_stored_fields(reader, docnum), score) for docnum, score in ranked]


def _stored_fields(reader, docnum: int) -> dict:
    """reader.stored_fields(docnum), its keys checked against the schema's
    own dict: Whoosh asks the Schema object key by key, half of a hit's
    12 us (Reuters, 2026-12-03)."""
    if not reader.is_atomic():
        number, docnum = reader._segment_and_docnum(docnum)
        reader = reader.readers[number]
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or reader.is_closed:
        return reader.stored_fields(docnum)  # (any other reader; a closed one raises)
    fields = reader.schema._fields
    return {name: value for name, value in perdoc.stored_fields(docnum).items() if name in fields}


def check_expansions(q: wq.Query, reader, deadline=None) -> None:
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


def _relevance(score) -> float:
    """A hit's BM25F score. When sorting by date Whoosh reports the sort key
    instead: (date key, negated score) from the ScoreFacet tie-breaker."""
    if isinstance(score, tuple):
        return float(-score[-1])
    return float(score or 0.0)


#: Per text field: the terms, the exact phrases and the words as written
#: (what patterns matched) a query lights up.
Highlights = dict[str, tuple[set[str], set[tuple[str, ...]], set[str]]]


def highlight_words(tree: t.Node, searcher) -> Highlights:
    """What to highlight per text field: the terms and exact phrases of the
    query, leaving out negated parts (``Patriot -Idlib`` lights up Patriot
    only) and expanding prefixes, wildcards and fuzzy terms to the words
    they matched."""
    words = t.plain_words(tree, TEXT_FIELDS)
    if words is not None:  # (plain words: each lights up itself in every text field)
        return {name: (set(words), set(), set()) for name in TEXT_FIELDS}
    found: Highlights = {name: (set(), set(), set()) for name in TEXT_FIELDS}
    reader = searcher.reader()
    for node in t.unnegated_leaves(tree):
        leaf = to_whoosh(node)
        if leaf.field() in TEXT_OF_WORDS:  # a pattern: the words as written it matched
            shown = found[TEXT_OF_WORDS[leaf.field()]][2]
            if isinstance(leaf, wq.MultiTerm):
                shown.update(expand(leaf, reader))
        elif isinstance(leaf, wq.Phrase):
            if leaf.fieldname in found:
                terms, phrases, _ = found[leaf.fieldname]
                words = tuple(leaf.words)
                exact = leaf.slop <= 1 and len(words) > 1
                phrases.add(words) if exact else terms.update(words)
        elif leaf.field() in found:
            # Not Query.existing_terms(): in Whoosh 2.7.4 its loop variable
            # shadows the `fieldname` argument and drops leaves.
            for fieldname, text in leaf.expanded_terms(reader, phrases=True):
                found[fieldname][0].add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return found


#: Key terms a "more like this" query is made of.
SIMILAR_TERMS = 12


def similar(searcher, article_id: str, limit: int,
            scan_chars: int) -> tuple[list[tuple[dict, float]], frozenset[str], int]:
    """Articles like one article ("more like this"): the first `limit` with
    their scores, the key terms they were found by, and how many there are
    in all (not only the `limit` shown, as OpenSearch's total counts them):
    its most telling words (Bo1 term weighting over title and body, within
    its first `scan_chars` characters; stop words left out) searched as a
    weighted OR."""
    article = searcher.document(id=article_id)
    if article is None:
        raise QueryError(f'no article with id "{article_id}"')
    text = f"{article.get('title', '')}\n{article.get('body', '')}"[:scan_chars]
    stops = STOP_WORDS | stop_terms(article.get("language"))
    keys = [(term, weight) for term, weight in
            _key_terms(searcher, text, article.get("language"), SIMILAR_TERMS * 3)
            if term not in stops][:SIMILAR_TERMS]
    if not keys:
        return [], frozenset(), 0
    query = wq.Or([wq.Term(field, term, boost=weight * boost)
                   for term, weight in keys for field, boost in TEXT_FIELDS.items()])
    found = searcher.search(query, limit=limit, mask=wq.Term("id", article_id))
    return ([(hit.fields(), float(hit.score)) for hit in found],
            frozenset(term for term, _ in keys), len(found))  # (len: every match)


def _key_terms(searcher, text: str, language: str | None, count: int) -> list:
    """searcher.key_terms_from_text("body", text), the text analysed in the
    article's `language` (Whoosh's own analyses it as English: a German
    article's key terms then missed its own index terms)."""
    from whoosh import classify  # (only "more like this" needs it)

    field = searcher.schema["body"]
    expander = classify.Expander(searcher.reader(), "body", model=classify.Bo1Model)
    expander.add((field.from_bytes(term), weight)
                 for term, _, weight, _ in field.index(text, language=language))
    return expander.expanded_terms(count, normalize=True)


def date_range(searcher) -> tuple[datetime | None, datetime | None, int]:
    """Earliest and latest published date (naive UTC) and how many articles
    have one."""
    return datecolumn.bounds(searcher.reader())
