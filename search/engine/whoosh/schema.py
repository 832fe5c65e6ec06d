"""The Whoosh schema: the fields of `search.fields` as Whoosh fields, and the
mapping between Article records and Whoosh documents. (The field names and
kinds are re-exported here for the engine's own modules.)

Bump :data:`SCHEMA_VERSION` whenever a change here (or in `analysis`) means an
existing index no longer reads right; `directory` then asks for a rebuild.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from whoosh import fields

from ...article import FIELD_NAMES, LIST_FIELDS, Article, text_fingerprint
from ...fields import (DATE_FACETS, FACET_FIELDS, FIELD_ALIASES, KEYWORD_FIELDS,  # noqa: F401
                       MULTI_VALUED, QUERY_FIELDS, TEXT_FIELDS, WORD_FIELDS, date_periods,
                       resolve_field)
from ...text.analysis import VALUE_SEPARATOR
from .analyzers import WhooshKeywordAnalyzer, WhooshNewsAnalyzer
from .datecolumn import PublishedField
from .postings import CompactPositions

SCHEMA_VERSION = 8  # 8: stored `extraction` (HTML body route), per-language analysis (German compounds), unstemmed sibling fields (WORD_FIELDS), acronyms as one word; 7: block frames carry their first id; front-coded term dictionary


def full_text() -> fields.TEXT:
    """A stemmed, positional full-text field with our compact postings."""
    field = fields.TEXT(analyzer=WhooshNewsAnalyzer(), stored=True, multitoken_query="phrase")
    field.format = CompactPositions(field_boost=1.0)
    return field


def words_text() -> fields.TEXT:
    """An unstemmed sibling of a full-text field (see WORD_FIELDS): the same
    tokenising and folding, no stemming, nothing stored."""
    field = fields.TEXT(analyzer=WhooshNewsAnalyzer(stemming=False), stored=False)
    field.format = CompactPositions(field_boost=1.0)  # the fast segment-at-a-time path
    return field


def build_schema() -> fields.Schema:
    """A fresh schema object (Whoosh schemas are mutable: never share one)."""
    keyword = dict(analyzer=WhooshKeywordAnalyzer(), phrase=False, stored=True)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=full_text(),
        body=full_text(),
        **{words: words_text() for words in WORD_FIELDS.values()},
        source=fields.TEXT(**keyword),
        section=fields.TEXT(**keyword),
        authors=fields.TEXT(**keyword),
        tags=fields.TEXT(**keyword),
        language=fields.TEXT(**keyword),
        topics=fields.TEXT(**keyword),
        places=fields.TEXT(**keyword),
        people=fields.TEXT(**keyword),
        orgs=fields.TEXT(**keyword),
        exchanges=fields.TEXT(**keyword),
        year=fields.TEXT(analyzer=WhooshKeywordAnalyzer(), phrase=False),
        month=fields.TEXT(analyzer=WhooshKeywordAnalyzer(), phrase=False),
        day=fields.TEXT(analyzer=WhooshKeywordAnalyzer(), phrase=False),
        # Indexed and sortable as naive UTC; the article's own ISO 8601 text
        # (with its offset) is stored beside it, since Whoosh builds the sort
        # column from the stored value.
        published=PublishedField(),
        published_text=fields.STORED(),
        url=fields.ID(stored=True),
        related=fields.STORED(),
        # Stored only: nobody searches by path or hash, and indexing them
        # would cost a posting list per article.
        path=fields.STORED(),
        content_hash=fields.STORED(),
        extraction=fields.STORED(),
        # Normalised-text hash (exact duplicates) and near-duplicate cluster.
        text_hash=fields.ID(stored=True),
        cluster=fields.ID(stored=True, sortable=True),
    )


def to_document(article: Article, text_hash: str | None = None) -> dict[str, Any]:
    """The Whoosh document for an Article. Multi-valued fields are indexed as
    one separator-joined string and stored as the original list; `published` is
    indexed as naive UTC (what Whoosh's DATETIME wants) and stored as ISO 8601
    with the article's own offset."""
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        **{words: getattr(article, name) for name, words in WORD_FIELDS.items()},
        "related": list(article.related),
        "content_hash": article.content_hash,
        "text_hash": text_hash or text_fingerprint(article.title, article.body),
    }
    for name in ("source", "section", "language", "url", "path", "extraction"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    for name in MULTI_VALUED:
        values = [v for v in getattr(article, name) if v and v.strip()]
        if values:
            doc[name] = VALUE_SEPARATOR.join(values)
            doc[f"_stored_{name}"] = values
    if article.cluster:
        doc["cluster"] = article.cluster
    if article.published is not None:
        utc = article.published.astimezone(timezone.utc).replace(tzinfo=None)
        doc["published"] = utc
        doc["published_text"] = article.published.isoformat()
        doc.update(date_periods(utc))
    return doc


def to_article(stored: dict[str, Any]) -> Article:
    """Rebuild an Article from a document's stored fields."""
    published = stored.get("published_text")
    published = datetime.fromisoformat(published) if published else None
    values = {name: stored.get(name) for name in FIELD_NAMES
              if name not in LIST_FIELDS and name != "published"}
    lists = {name: list(stored.get(name) or []) for name in LIST_FIELDS}
    values["title"] = values["title"] or ""
    values["body"] = values["body"] or ""
    values["content_hash"] = values["content_hash"] or ""
    return Article(**values, **lists, published=published)

