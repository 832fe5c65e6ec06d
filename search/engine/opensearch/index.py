"""`OpenSearchIndex`: an index on an OpenSearch cluster, with
:class:`search.NewsIndex`'s API (issue 20): `index_paths`, `add`, `search`,
`similar`, `get`, `articles`, `stats`, `rebuild`, `snapshot`, `len()`,
`close`, so every command runs on either engine.

Articles are read by our readers exactly as the embedded engine reads them
and written by the bulk writer; queries are parsed by our parser into the
engine-neutral tree and rendered by `dsl.to_dsl`, so a query means the same
on both engines (scores differ: OpenSearch's BM25 per field, not BM25F).

Filters go in ``post_filter`` and each facet's aggregation is filtered by
every filter but its own: the multi-select counting of `query.facets`.
Pages past the result window and whole-index reads walk a point in time
(`paging`); the source folders live in the mapping's ``_meta`` and a
rebuild switches an alias (`generations`); the other reads of a snapshot
are `reader.OpenSearchReader`'s. A run over files keeps its file ledger in
the cluster too (``<index>-files``: `files`, `ingest.cluster_ledger`).
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ...article import Article
from ..base import SUGGEST_BELOW
from ...errors import NewsSearchError, QueryError
from ...fields import DATE_FACETS, combine_filters, resolve_facet
from ...results import FacetCount, Hit, IndexReport, IndexStats, SearchResults
from ...query import tree as t
from ...text.analysis import analyze, normalize_keyword
from . import generations, paging, recency
from . import languages as langs
from .bulk import call, check_cluster, connect, ensure_index
from .collapse import cluster_sizes, collapsed, count_clusters
from ...query import snippets
from .dsl import to_dsl, weightless
from .highlight import matchers
from .reader import OpenSearchReader
from .suggest import suggest as suggest_query

#: ``opensearch://host:port/index`` (a Path collapses ``//`` to ``/``: both read).
URL = re.compile(r"^opensearch:/+(?P<host>[^/]+)/(?P<index>[^/]+)/?$")
SCHEME = "opensearch:"
#: Highlight marks around matched words: private-use characters no article
#: text holds (not control characters: the highlighter trims those off a
#: fragment's ends, taking a closing mark with them).
PRE, POST = "\ue000", "\ue001"
#: Undated articles last either way, ties in relevance order (as
#: query.searcher's date sorts), then in index order and by id
#: (`paging.TIES`): every page, shallow or deep (`paging.deep_page`), is cut
#: from the one order.
SORTS = {"relevance": ["_score", *paging.TIES],
         "newest": [{"published": {"order": "desc", "missing": "_last"}}, "_score",
                    *paging.TIES],
         "oldest": [{"published": {"order": "asc", "missing": "_last"}}, "_score",
                    *paging.TIES],
         # Relevance re-ranked by age (`recency`): OpenSearch allows no sort
         # but the score beside a rescore; ties stay in index order.
         "recent": ["_score"]}
DATE_FORMATS = {"year": ("year", "yyyy"), "month": ("month", "yyyy-MM"), "day": ("day", "yyyy-MM-dd")}
UNSUPPORTED = "not supported on an OpenSearch index yet"
#: `similar`: the article's words that say most about it (more_like_this).
SIMILAR_TERMS = 25


def is_opensearch(target: Any) -> bool:
    """Whether an --index value or path names an OpenSearch index."""
    return str(target).startswith(SCHEME)


def parse_url(target: Any) -> tuple[str, str]:
    """(``http://host:port``, index name) of ``opensearch://host:port/name``."""
    match = URL.match(str(target))
    if not match:
        raise NewsSearchError(f"not an OpenSearch index URL: {target} "
                              f"(use opensearch://HOST:PORT/INDEX)")
    return f"http://{match['host']}", match["index"]


class OpenSearchIndex:
    """One OpenSearch index, opened by URL; a context manager like NewsIndex."""

    def __init__(self, target: Any, *, mode: str = "open"):
        """`mode`: "open" an existing index, "create" a new one (an existing
        one is an error), "overwrite" (delete, then create) or
        "open_or_create" — NewsIndex's ways of opening."""
        self.url, self.name = parse_url(target)
        self.path = f"opensearch://{self.url.removeprefix('http://')}/{self.name}"
        self._client = connect(self.url)
        check_cluster(self._client)  # unreachable: one clear error now, not at first search
        exists = self._call(self._client.indices.exists, index=self.name)
        if mode == "overwrite" and exists:  # the index, or every generation behind the alias
            for index in self._call(generations.concrete_indices, client=self._client,
                                    name=self.name):
                self._call(generations.delete_with_ledger, client=self._client, index=index)
        elif mode == "create" and exists:
            raise NewsSearchError(f"an index already exists at {self.path}")
        elif mode == "open" and not exists:
            raise NewsSearchError(f"no index {self.name} on OpenSearch at {self.url} "
                                  f"(build one with: newssearch index PATH --index {self.path})")
        if mode != "open" and ensure_index(self._client, self.name):
            # Its file ledger is created with it (ingest.cluster_ledger fills it).
            from . import files

            self._call(files.ensure, client=self._client, ledger=generations.ledger_name(self.name),
                       of=self.name, empty=True)

    def __enter__(self) -> "OpenSearchIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def delete(self, *args, **kwargs):
        raise NewsSearchError(f"delete is {UNSUPPORTED}")

    # --- writing --------------------------------------------------------------

    def add(self, articles: Iterable[Article], **_ignored) -> IndexReport:
        """Add or update articles (matched by id), as NewsIndex.add: one
        with no title and no body is refused, unchanged ones are skipped,
        exact duplicates left out, near-duplicates clustered."""
        from ...ingest import indexer

        report, started = IndexReport(), time.perf_counter()
        with self._batch(report, files=False) as batch:
            indexer.add_articles(batch, articles)
        return indexer.timed(report, started)

    def index_paths(self, paths: Sequence[Any], *, progress=None, field_map=None,
                    defaults=None, follow_links: bool = False, jobs: int | None = None,
                    prune: bool = False, **_ignored) -> IndexReport:
        """Read files and folders with our readers and index their articles:
        the embedded engine's run (`ingest.indexer.index_paths`), on this
        index, with its file ledger kept in the cluster (files unchanged in
        size and mtime are not read; `prune` removes the articles of files
        under `paths` that are gone)."""
        from ...ingest import indexer

        started, report = time.perf_counter(), IndexReport()
        given = [Path(p) for p in paths]
        options = indexer.read_options(field_map, defaults, follow_links)
        files = [0, 0]  # (done, in all), as last reported

        def files_done(done: int, total: int, articles: int) -> None:
            files[:] = done, total
            progress(done, total, articles)

        with self._batch(report, files=True) as batch:
            indexer.index_paths(batch, given, options, jobs=jobs,
                                progress=files_done if progress else None, prune_gone=prune)
        if progress:  # the last chunk is written as the run ends: count it
            progress(*files, report.articles)
        self._remember_roots([p for p in given if p.exists()], options)
        return indexer.timed(report, started)

    def _batch(self, report: IndexReport, files: bool):
        """The run's writer on this index (ingest.opensearch_batch); `files`:
        a run over files, with the file ledger."""
        from ...ingest.opensearch_batch import OpenSearchBatch

        return OpenSearchBatch(self._client, self.name, report, files=files)

    def _remember_roots(self, paths: list[Path], options) -> None:
        """Record the folders read, with their read options, for `rebuild`
        and `stats` (in the mapping's ``_meta``, as the manifest does)."""
        meta = self._call(generations.read_meta, client=self._client, name=self.name)
        meta = generations.remember_roots(meta, [str(p.resolve()) for p in paths], options)
        self._call(generations.write_meta, client=self._client, name=self.name, meta=meta)

    @property
    def roots(self) -> list[str]:
        """The source folders (and files) the index was built from."""
        return list(self._call(generations.read_meta, client=self._client,
                               name=self.name).get("roots", []))

    def rebuild(self, *, progress=None, drop_missing: bool = False, jobs: int | None = None,
                **_ignored) -> IndexReport:
        """Read the recorded sources again into a new generation and switch
        the alias to it (see `generations`)."""
        from .rebuild import rebuild

        return self._call(rebuild, index=self, progress=progress, drop_missing=drop_missing,
                          jobs=jobs)

    # --- reading --------------------------------------------------------------

    def search(self, query: str = "", *, limit: int = 10, page: int = 1,
               sort: str = "relevance", source=None, section=None, since: str | None = None,
               until: str | None = None, facets: Sequence[str] = (), facet_limit: int = 10,
               strict: bool = False, any_term: bool = False, snippets: int = 2,
               filters: dict | None = None, relax: bool = True, collapse: bool = False,
               half_life: float = 30.0, synonyms=None, languages=None,
               suggest: bool = True, **_ignored) -> SearchResults:
        """NewsIndex.search on OpenSearch: the same query language, filters,
        facets, sorts, --collapse, synonyms, languages and result shape."""
        from ...query.parser import parse

        started = time.perf_counter()
        if sort not in SORTS:
            raise QueryError(f'unknown sort "{sort}" (choose from: {", ".join(SORTS)})')
        facts = self._facts(newest=(sort == "recent"))
        analyses = langs.analyses(languages, facts["languages"])

        def parsed_as(any_word: bool):
            # Each language's analysis, merged; synonyms widen the merged
            # tree, as the embedded snapshot's search does.
            found = parse(query, strict=strict, any_term=any_word, languages=analyses)
            if synonyms:
                found.tree = synonyms.expand(found.tree)
            return found

        parsed = parsed_as(any_term)
        request = _Request(_filters(source, section, filters), since, until,
                           [_facet_name(f) for f in facets], facet_limit, snippets)
        if sort == "recent":
            request.rescore = recency.rescore(facts["newest"], half_life, page, limit)
        tree = parsed.tree
        body = request.body(_ranked(tree, query, facts["languages"]), limit, page, sort,
                            collapse)
        answer = self._page(body)
        strict_total = answer["hits"]["total"]["value"]
        relaxed = False
        if answer["hits"]["total"]["value"] == 0 and parsed.relaxable and relax:
            # As the embedded engine: no article has every word, so any word.
            tree = parsed_as(True).tree
            body = request.body(_ranked(tree, query, facts["languages"]), limit, page, sort,
                                collapse)
            answer = self._page(body)
            relaxed = answer["hits"]["total"]["value"] > 0
        request.highlights = matchers(tree)
        results = request.results(answer, query, page, limit, parsed.warnings, relaxed, started)
        if suggest and strict_total <= SUGGEST_BELOW:  # (before relaxing: "oil pirces")
            results.suggestion = self._better_query(
                parsed, facts["languages"], strict_total, source=source, section=section,
                since=since, until=until, filters=filters)
        if collapse:  # the clusters of every match counted (collapse.py)
            sizes = self._call(cluster_sizes, client=self._client, index=self.name, body=body)
            count_clusters(results, sizes)
        return results

    def _better_query(self, parsed, present: Sequence[str], total: int, **filters) -> str | None:
        """A corrected query (`suggest.suggest`), if it finds more articles
        than the one typed under the same filters, parsed for the index's
        languages: as the embedded searcher's `_better_query`."""
        corrected = suggest_query(lambda body: self._call(self._client.search, index=self.name,
                                                          body=body),
                                  parsed.text, parsed.tree, present)
        if not corrected or corrected == parsed.text:
            return None
        try:
            better = self.search(corrected, limit=0, snippets=0, relax=False, suggest=False,
                                 **filters)
        except QueryError:
            return None
        return corrected if better.total > total else None

    def languages(self) -> list[str]:
        """The languages with their own analysis (`languages.ANALYSED`)
        among the index's articles."""
        return self._facts(newest=False)["languages"]

    def _facts(self, newest: bool) -> dict[str, Any]:
        """What a search needs to know of the whole index first, in one
        request: its languages with a sub-field (what a query is analysed
        for) and, for --sort recent, the newest date."""
        aggs = {"languages": langs.languages_aggregation()}
        if newest:
            aggs.update(recency.newest_aggregation())
        answer = self._call(self._client.search, index=self.name,
                            body={"size": 0, "track_total_hits": False, "aggs": aggs})
        return {"languages": langs.in_index(answer["aggregations"]["languages"]["buckets"]),
                "newest": recency.newest_of(answer) if newest else None}

    def _page(self, body: dict) -> dict:
        """The answer to a search body; a page past the result window is
        reached with search_after (`paging.deep_page`)."""
        if body["from"] + body["size"] <= paging.MAX_WINDOW:
            return self._call(self._client.search, index=self.name, body=body)
        return self._call(paging.deep_page, client=self._client, index=self.name, body=body,
                          skip=body["from"])

    def similar(self, article_id: str, *, limit: int = 10, snippets: int = 2) -> SearchResults:
        """Articles most like the given one: OpenSearch's more_like_this on
        its title and body (the article itself left out)."""
        started = time.perf_counter()
        source = self.get(article_id)
        if source is None:
            raise QueryError(f'no article with id "{article_id}"')
        like = {"more_like_this": {"fields": ["title", "body"],
                                   "like": [{"_index": self.name, "_id": article_id}],
                                   "max_query_terms": SIMILAR_TERMS, "min_term_freq": 1,
                                   "min_doc_freq": 1, "include": False,
                                   # Any of its words, best first: the embedded
                                   # engine's weighted OR (not MLT's default 30%).
                                   "minimum_should_match": 1}}
        body = _Request({}, None, None, [], 10, snippets).body(like, limit, 1, "relevance")
        answer = self._call(self._client.search, index=self.name, body=body)
        return SearchResults(query=f"similar to {article_id}",
                             total=answer["hits"]["total"]["value"], page=1, limit=limit,
                             took_ms=(time.perf_counter() - started) * 1000,
                             hits=[_hit(h, snippets, _headline_words(source))
                                   for h in answer["hits"]["hits"]])

    def articles(self) -> Iterator[Article]:
        """Every stored article, in id order, as the index was at the first
        (a point in time of its own: see `paging.scan`)."""
        for found in self._call(paging.scan, client=self._client, index=self.name):
            yield _stored(found["_source"])

    def stats(self) -> IndexStats:
        """Counts, sources, sections, date range, fields and size: the
        primary shards' store size (one copy, replicas not counted)."""
        store = self._call(self._client.indices.stats, index=self.name, metric="store")
        size = store["_all"]["primaries"]["store"]["size_in_bytes"]
        return OpenSearchReader(self).stats(size)

    def fields_with_values(self, names: Iterable[str]) -> list[str]:
        return OpenSearchReader(self).fields_with_values(names)

    @contextmanager
    def snapshot(self) -> Iterator[OpenSearchReader]:
        """The reads the web app and `eval` use (engine.base.Reader)."""
        yield OpenSearchReader(self)

    def get(self, article_id: str) -> Article | None:
        found = self._call(self._client.get, index=self.name, id=article_id, ignore=[404])
        return _stored(found["_source"]) if found.get("found") else None

    def __len__(self) -> int:
        return self._call(self._client.count, index=self.name)["count"]

    def _call(self, method, **kwargs):
        """One client call; a lost cluster is EngineUnavailableError."""
        return call(self._client, method, **kwargs)


def _headline_words(article: Article) -> dict:
    """What a similar article's snippets light up: the words of the
    headline it is similar to. (The embedded engine lights up the key terms
    it chose; more_like_this does not say which it chose.)"""
    words = dict.fromkeys(analyze(article.title))
    return matchers(t.Or(tuple(t.Term(name, word) for word in words for name in ("title", "body"))))


def _ranked(tree: t.Node, query: str, languages: Sequence[str] = ()) -> dict:
    """The Query DSL for a parsed query, function words weightless as the
    embedded engine ranks them (dsl.weightless), each text clause asked of
    an article in its language's field (`languages.by_language`)."""
    from ...text.query_words import QueryWords

    dsl = to_dsl(weightless(tree, QueryWords.of(query).function_words))
    return langs.by_language(dsl, languages)


def _stored(source: dict) -> Article:
    """A stored article. One without a cluster (written before clusters
    were assigned on OpenSearch) is its own, as the embedded engine stores
    one with no near-duplicate."""
    article = Article.from_dict(source)
    article.cluster = article.cluster or article.id
    return article


def _facet_name(name: str) -> str:
    return resolve_facet(name)


def _filters(source, section, filters) -> dict[str, list[str]]:
    out = {}
    for name, values in combine_filters(source, section, filters).items():
        resolved = resolve_facet(name, "filter on")
        if resolved in DATE_FACETS:  # no year/month/day keyword fields in the mapping
            raise QueryError(f'cannot filter on "{name}"')
        out[resolved] = values
    return out


class _Request:
    """A search's filters and facets, as a request body and back as results."""

    def __init__(self, filters, since, until, facets, facet_limit, snippets):
        self.filters, self.facets = filters, facets
        self.facet_limit, self.snippets = facet_limit, snippets
        self.dates = _date_clause(since, until)
        self.highlights: dict = {}  # highlight.matchers of the query that ran
        self.rescore: dict | None = None  # --sort recent's (recency.rescore)

    def _filter(self, leave_out: str | None = None) -> dict:
        """Every filter (and the dates) but `leave_out`'s, as one bool filter."""
        clauses = [to_dsl(t.KeywordFilter(name, tuple(values)))
                   for name, values in self.filters.items() if name != leave_out]
        if self.dates:
            clauses.append(self.dates)
        return {"bool": {"filter": clauses}}

    def body(self, query: dict, limit: int, page: int, sort: str,
             collapse: bool = False) -> dict:
        body: dict[str, Any] = {"query": query, "post_filter": self._filter(),
                                "from": (page - 1) * limit, "size": limit,
                                "track_total_hits": True, "aggs": self._aggregations()}
        body["sort"] = SORTS[sort]
        body["track_scores"] = True  # hits show a score in date order too
        if self.rescore:
            body["rescore"] = self.rescore
        return collapsed(body) if collapse else body

    def _aggregations(self) -> dict:
        aggs = {}
        for name in self.facets:
            # Multi-select: the facet's own filter is off for its counts.
            aggs[name] = {"filter": self._filter(leave_out=name),
                          "aggs": {"values": facet_bucket(name, self.facet_limit)}}
        return aggs

    def results(self, answer: dict, query: str, page: int, limit: int, warnings: list[str],
                relaxed: bool, started: float) -> SearchResults:
        hits = [_hit(h, self.snippets, self.highlights) for h in answer["hits"]["hits"]]
        facets = {name: facet_counts(name, answer["aggregations"][name]["values"]["buckets"],
                                self.facet_limit)
                  for name in self.facets}
        took = (time.perf_counter() - started) * 1000
        return SearchResults(query=query, total=answer["hits"]["total"]["value"], page=page,
                             limit=limit, took_ms=took, hits=hits, facets=facets,
                             warnings=list(warnings), relaxed=relaxed)


def _date_clause(since: str | None, until: str | None) -> dict | None:
    if not since and not until:
        return None
    from ...query.parser import parse_date_bound

    start = parse_date_bound(since, end=False) if since else None
    end = parse_date_bound(until, end=True) if until else None
    return to_dsl(t.DateRange(start, end, True))


def facet_bucket(name: str, limit: int) -> dict:
    if name in DATE_FACETS:
        interval, fmt = DATE_FORMATS[name]
        # Periods of UTC dates, as fields.date_periods makes them.
        return {"date_histogram": {"field": "published", "calendar_interval": interval,
                                   "format": fmt, "min_doc_count": 1, "time_zone": "UTC"}}
    # Each shard sends many more values than are shown, so the top counts
    # are exact unless an index has many shards and a long tail. The keys
    # are folded by the normalizer; one article per value gives back its
    # spelling, as the embedded engine shows values.
    return {"terms": {"field": name, "size": limit, "shard_size": max(100 * limit, 1000)},
            "aggs": {"spelling": {"top_hits": {"size": 1, "_source": [name]}}}}


def facet_counts(name: str, buckets: list[dict], limit: int) -> list[FacetCount]:
    if name in DATE_FACETS:  # periods oldest first, ending with the latest
        return [FacetCount(b["key_as_string"], b["doc_count"]) for b in buckets][-limit:]
    ordered = sorted(buckets, key=lambda b: (-b["doc_count"], str(b["key"])))
    return [FacetCount(_spelling(name, b), b["doc_count"]) for b in ordered[:limit]]


def _spelling(name: str, bucket: dict) -> str:
    """The value as an article spells it (the key is folded)."""
    key = str(bucket["key"])
    for found in bucket["spelling"]["hits"]["hits"]:
        values = found["_source"].get(name)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and normalize_keyword(value) == key:
                return value
    return key


def _hit(found: dict, count: int, highlights: dict) -> Hit:
    article = _stored(found["_source"])
    # Our snippet code on the stored text, as the embedded engine (highlight.py).
    title, body = highlights["title"], highlights["body"]
    return Hit(id=article.id, score=found.get("_score") or 0.0, title=article.title,
               source=article.source, published=article.published, url=article.url,
               section=article.section, tags=article.tags, authors=article.authors,
               path=article.path, cluster=article.cluster,
               title_highlights=snippets.highlight_spans(
                   article.title, title.matcher(article.title), article.language),
               snippets=snippets.passages(article.body, body.matcher(article.body), count,
                                          article.language))
