"""`Snapshot`: one commit of an index, held for a `with` block.

The one door to the read path. :meth:`NewsIndex.snapshot` lends a searcher
on the latest commit (following a rebuild's generation swap) and wraps it
here; until the block ends that searcher is the caller's alone, so every
read in the block sees the same articles, and other threads search in
parallel on searchers of their own. The server, completion and evaluation
read through it rather than through the Whoosh searcher behind it.

    with ix.snapshot() as snap:
        results = snap.search("Patriot Idlib")
        title_spans, body_spans = snap.highlight(snap.get(results.hits[0].id), "Patriot")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from .article import Article
from .engine.whoosh.querying import execute, facet_counts
from .engine.whoosh.schema import to_article
from .fields import combine_filters
from .query import facets
from .query import searcher as searching
from .query import snippets as snippet_text
from .query import tree as t
from .query.parser import parse
from .query.synonyms import Synonyms
from .results import IndexStats, SearchResults
from .text import language

if TYPE_CHECKING:
    from .engine.whoosh.directory import Manifest
    from .query.completion import Completions

Spans = list[tuple[int, int]]


class Snapshot:
    """Reads of one commit: search, similar, get, complete, highlight, stats."""

    def __init__(self, searcher, manifest: "Manifest", path: str):
        self._searcher = searcher
        self._manifest = manifest
        self._path = path

    def search(self, query: str = "", *, limit: int = 10, page: int = 1,
               sort: str = "relevance", source: str | Sequence[str] | None = None,
               section: str | Sequence[str] | None = None, since: str | None = None,
               until: str | None = None, facets: Sequence[str] = (),
               facet_limit: int = 10, strict: bool = False,
               any_term: bool = False, snippets: int = 2,
               collapse: bool = False, filters: dict[str, str | Sequence[str]] | None = None,
               half_life: float = 30.0,
               time_limit: float = searching.TIME_LIMIT, relax: bool = True,
               synonyms: Synonyms | None = None,
               languages: Sequence[str] | None = None) -> SearchResults:
        """:meth:`NewsIndex.search` on this commit: the same keywords, the
        same results (see its documentation)."""
        wanted = language.parse_codes(languages) if languages else None
        parsed = parse(query, strict=strict, any_term=any_term,
                       languages=wanted or self.languages())
        if synonyms:
            parsed.tree = synonyms.expand(parsed.tree)
        request = searching.SearchRequest(
            parsed=parsed, limit=limit, page=page, sort=sort,
            filters=combine_filters(source, section, filters), half_life_days=half_life,
            since=since, until=until, facets=list(facets), facet_limit=facet_limit,
            snippet_count=snippets, collapse=collapse, time_limit=time_limit, relax=relax)
        return searching.run(self._searcher, request)

    def similar(self, article_id: str, *, limit: int = 10, snippets: int = 2) -> SearchResults:
        """Articles most like the given one ("more like this"), best first."""
        return searching.similar(self._searcher, article_id, limit, snippets)

    def get(self, article_id: str) -> Article | None:
        """One stored article by id, or None."""
        stored = self._searcher.document(id=article_id)
        return to_article(stored) if stored else None

    def contains(self, article_id: str) -> bool:
        """Whether an article with this id is in the commit."""
        return self._searcher.document_number(id=article_id) is not None

    def rank(self, tree: t.Node, text: str, limit: int,
             ids: dict | None = None) -> list[tuple[str, float]]:
        """The top `limit` (article id, score) pairs of a query (`tree`,
        typed as `text`) under the one ranking (:func:`evaluation.ranked`),
        without building hits."""
        return execute.rank(self._searcher, tree, text, limit, ids)

    def complete(self, text: str, limit: int = 8) -> Completions:
        """Completions of the query being typed (see
        :mod:`engine.whoosh.querying.complete`)."""
        # Imported on first use: only the search page's suggest box asks, and a
        # cold CLI query should not pay for it.
        from .engine.whoosh.querying.complete import complete_on

        return complete_on(self._searcher, text, limit)

    def highlight(self, article: Article, query: str) -> tuple[Spans, Spans]:
        """Spans of the query's terms and phrases in the article's title and
        body (the body's first SCAN_CHARS characters), found by the matchers
        the snippets use, so an article page lights up what they do. Raises
        QueryError when `query` is not a query."""
        parsed = parse(query, languages=self.languages())
        matchers = searching.highlight_matchers(parsed.tree, self._searcher)
        # (each text analysed in the article's language, as the snippets are)
        title = snippet_text.highlight_spans(article.title, matchers["title"], article.language)
        body = snippet_text.highlight_spans(article.body[:snippet_text.SCAN_CHARS],
                                            matchers["body"], article.language)
        return title, body

    def languages(self) -> list[str]:
        """The languages of the commit's articles (what a query is analysed for)."""
        return language.index_languages(self._searcher.reader())

    def fields_with_values(self, names: Iterable[str]) -> list[str]:
        """Those of the fields `names` that at least one article has a value
        in (a facet worth offering), in the order given."""
        return facet_counts.with_values(self._searcher.reader(), names)

    def __len__(self) -> int:
        """How many articles the commit holds."""
        return self._searcher.doc_count()

    def stats(self, size_bytes: int) -> IndexStats:
        """Counts, sources, sections, date range and fields; `size_bytes`
        comes from the caller (a folder walk, best done before borrowing)."""
        s = self._searcher
        # Everything from the searcher: Whoosh's `ix.schema` re-reads the
        # table of contents, which a rebuild may have just deleted.
        earliest, latest, dated = execute.date_range(s)
        return IndexStats(
            path=self._path, documents=s.doc_count(),
            sources=facets.count_all(s, "source"),
            sections=facets.count_all(s, "section"),
            earliest=earliest, latest=latest, undated=s.doc_count() - dated,
            fields=sorted(s.schema.names()), size_bytes=size_bytes,
            roots=list(self._manifest.roots), created=self._manifest.created,
            updated=self._manifest.updated)
