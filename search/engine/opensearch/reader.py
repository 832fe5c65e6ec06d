"""`OpenSearchReader`: the reads of `engine.base.Reader` on an OpenSearch
index — what `NewsIndex.snapshot()` hands the web app and `eval`.

Search, similar, get and the count are the index's own; this adds what
the server and evaluation ask besides: `contains`, `complete`,
`highlight`, `fields_with_values`, `stats` and `rank_text`. Unlike the
embedded snapshot, the reads of one `with` block are separate requests,
each seeing the index as its latest refresh left it (a rebuild's alias
switch is atomic, so a block sees the old articles or the new ones).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from ...errors import NewsSearchError, QueryError
from ...fields import DATE_FACETS, resolve_facet
from ...results import IndexStats, SearchResults
from ...text.analysis import WORD, analyze, fold, stem
from .dsl import to_dsl
from .languages import analyses, by_language

if TYPE_CHECKING:
    from ...article import Article
    from .index import OpenSearchIndex

#: Hits whose highlighted words suggest completions.
COMPLETION_HITS = 20
#: Most source and section values `stats` lists (as the embedded count_all).
STATS_VALUES = 1000


class OpenSearchReader:
    """Reads of one OpenSearch index (engine.base.Reader)."""

    def __init__(self, index: "OpenSearchIndex"):
        self._ix = index

    def search(self, query: str = "", **options: Any) -> SearchResults:
        return self._ix.search(query, **options)

    def similar(self, article_id: str, *, limit: int = 10, snippets: int = 2) -> SearchResults:
        return self._ix.similar(article_id, limit=limit, snippets=snippets)

    def get(self, article_id: str) -> "Article | None":
        return self._ix.get(article_id)

    def __len__(self) -> int:
        return len(self._ix)

    def contains(self, article_id: str) -> bool:
        return bool(self._ix._call(self._ix._client.exists, index=self._ix.name, id=article_id))

    def rank_text(self, qid: str, text: str, limit: int) -> list[tuple[str, float]]:
        """The top `limit` (id, score) of `newssearch query --any TEXT` (what
        `eval` measures), by OpenSearch's BM25."""
        present = self._ix.languages()
        try:
            tree = self._parse(text, present, any_term=True)
        except QueryError as exc:
            raise NewsSearchError(f"query {qid}: {exc}") from None
        body = {"query": by_language(to_dsl(tree), present), "size": limit, "_source": False}
        hits = self._search(body)["hits"]["hits"]
        return [(hit["_id"], float(hit["_score"] or 0.0)) for hit in hits]

    def highlight(self, article: "Article", query: str) -> tuple[list, list]:
        """Spans of the query's matches in the article's title and body (the
        body's first SCAN_CHARS characters), found by our snippet code in the
        article's language, as the hits' snippets and the embedded snapshot
        find them (QueryError when `query` is not a query)."""
        from ...query import snippets
        from .highlight import matchers

        found = matchers(self._parse(query, self._ix.languages()))
        body = article.body[:snippets.SCAN_CHARS]
        return (snippets.highlight_spans(article.title, found["title"].matcher(article.title),
                                         article.language),
                snippets.highlight_spans(body, found["body"].matcher(body), article.language))

    @staticmethod
    def _parse(text: str, present: list[str], any_term: bool = False):
        """The query tree of `text`, analysed for the index's languages."""
        from ...query.parser import parse

        return parse(text, any_term=any_term, languages=analyses(None, present)).tree

    def complete(self, text: str, limit: int = 8):
        """Completions of the query being typed: its last word completed from
        words the index's articles write (most common among the best matches
        first), and headlines with every typed word. Same shape as
        `engine.whoosh.querying.complete.complete_on`'s."""
        from ...query.completion import LAST_WORD, MAX_TITLES, MIN_PREFIX, OPERATORS, Completions

        typed = LAST_WORD.search(text)
        head = text[:typed.start()] if typed else text
        prefix = fold(typed.group(0)) if typed and len(typed.group(0)) >= MIN_PREFIX else ""
        head_terms = [term for word in WORD.findall(head) if word not in OPERATORS
                      for term in analyze(word)]
        done = Completions()
        if prefix:
            for word in self._words(head_terms, prefix, limit):
                if typed.group(0)[:1].isupper() and not word.isupper():
                    word = word.capitalize()
                if head + word != text:
                    done.completions.append(head + word)
        done.titles = self._titles(head_terms, prefix, min(limit, MAX_TITLES))
        return done

    def _words(self, head_terms: list[str], prefix: str, limit: int) -> list[str]:
        """Words starting with `prefix` in the articles with the words typed
        before it, read from the highlighter's marks on the unstemmed fields."""
        from .index import PRE, POST

        fields = ("title.words", "body.words")
        patterns = [{"prefix": {name: prefix}} for name in fields]
        query = {"bool": {"must": [_in_text(term) for term in head_terms],
                          "should": patterns, "minimum_should_match": 1}}
        body = {"query": query, "size": COMPLETION_HITS, "_source": False,
                "highlight": {"pre_tags": [PRE], "post_tags": [POST], "number_of_fragments": 5,
                              "fields": {name: {"highlight_query": {"bool": {"should": patterns}}}
                                         for name in fields}}}
        seen: Counter = Counter()
        for hit in self._search(body)["hits"]["hits"]:
            for fragment in (f for found in hit.get("highlight", {}).values() for f in found):
                for piece in fragment.split(PRE)[1:]:
                    word = piece.split(POST, 1)[0]
                    word = word if word.isupper() and len(word) > 1 else word.lower()
                    if fold(word).startswith(prefix):
                        seen[word] += 1
        return [word for word, _ in sorted(seen.items(), key=lambda w: (-w[1], len(w[0]), w[0]))
                ][:limit]

    def _titles(self, head_terms: list[str], prefix: str, limit: int) -> list[tuple[str, str]]:
        """Headlines with every complete word typed and a word starting with
        `prefix` (or its stem), best first."""
        parts: list[dict] = [{"term": {"title": term}} for term in head_terms]
        if prefix:
            parts.append({"bool": {"should": [{"prefix": {"title.words": prefix}},
                                              {"term": {"title": stem(prefix)}}]}})
        if not parts:
            return []
        body = {"query": {"bool": {"must": parts}}, "size": limit, "_source": ["id", "title"]}
        return [(h["_source"]["id"], h["_source"].get("title") or "")
                for h in self._search(body)["hits"]["hits"]]

    def fields_with_values(self, names: Iterable[str]) -> list[str]:
        """Those of the facet fields `names` that at least one article has a
        value in, in the order given (fields the mapping lacks have none)."""
        names = list(names)
        wanted = {name: "published" if name in DATE_FACETS else resolve_facet(name)
                  for name in names}
        aggs = {name: {"filter": {"exists": {"field": field}}} for name, field in wanted.items()}
        found = self._search({"size": 0, "aggs": aggs})["aggregations"]
        return [name for name in names if found[name]["doc_count"]]

    def stats(self, size_bytes: int) -> IndexStats:
        """Counts, sources, sections, date range and fields, as the embedded
        snapshot gives them; `fields` are the mapping's, and `roots`, `created`
        and `updated` what `index` recorded in the mapping's ``_meta``."""
        from .generations import read_meta
        from .index import facet_bucket, facet_counts

        body = {"size": 0, "track_total_hits": True, "aggs": {
            "source": facet_bucket("source", STATS_VALUES),
            "section": facet_bucket("section", STATS_VALUES),
            "earliest": {"min": {"field": "published"}},
            "latest": {"max": {"field": "published"}},
            "dated": {"value_count": {"field": "published"}}}}
        answer = self._search(body)
        aggs, documents = answer["aggregations"], answer["hits"]["total"]["value"]
        mapping = self._ix._call(self._ix._client.indices.get_mapping, index=self._ix.name)
        fields = sorted({name for entry in mapping.values()
                         for name in entry["mappings"].get("properties", {})})
        meta = self._ix._call(read_meta, client=self._ix._client, name=self._ix.name)
        return IndexStats(
            path=self._ix.path, documents=documents,
            sources=facet_counts("source", aggs["source"]["buckets"], STATS_VALUES),
            sections=facet_counts("section", aggs["section"]["buckets"], STATS_VALUES),
            earliest=_moment(aggs["earliest"]["value"]), latest=_moment(aggs["latest"]["value"]),
            undated=documents - int(aggs["dated"]["value"]), fields=fields,
            size_bytes=size_bytes, roots=list(meta.get("roots", [])),
            created=str(meta.get("created", "")), updated=str(meta.get("updated", "")))

    def _search(self, body: dict) -> dict:
        return self._ix._call(self._ix._client.search, index=self._ix.name, body=body)


def _in_text(term: str) -> dict:
    """An analysed term in the title or the body."""
    return {"bool": {"should": [{"term": {"title": term}}, {"term": {"body": term}}],
                     "minimum_should_match": 1}}


def _moment(millis: float | None) -> datetime | None:
    """An aggregation's date (epoch milliseconds) as a naive UTC datetime,
    as the embedded engine's date range gives it."""
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).replace(tzinfo=None)
