"""Typed results: what a search, an index run and `stats` hand back.

These are plain dataclasses with ``to_dict()`` giving the JSON contract
(see DESIGN.md), so the CLI's ``--json``, the Python API and any future HTTP
API all say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Snippet:
    """A passage of an article (as :mod:`query.snippets` picks them).
    `start`/`end` are offsets in the full text; `highlights` are (start, end)
    spans relative to `text`. (Here, not in query.snippets: a result type,
    which every layer may hand on without importing the query package.)"""

    text: str
    start: int
    end: int
    highlights: list[tuple[int, int]] = field(default_factory=list)
    #: True when the article goes on after this passage.
    cut_after: bool = False

    @property
    def cut_before(self) -> bool:
        return self.start > 0

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end,
                "highlights": [list(span) for span in self.highlights],
                "cut_after": self.cut_after}


@dataclass
class Hit:
    """One matching article on a results page."""

    id: str
    score: float
    title: str
    source: str | None
    published: datetime | None
    url: str | None
    section: str | None
    tags: list[str]
    authors: list[str]
    path: str | None
    snippets: list[Snippet] = field(default_factory=list)
    title_highlights: list[tuple[int, int]] = field(default_factory=list)
    #: Near-duplicate cluster id (the id of the cluster's first article).
    cluster: str | None = None
    #: With collapse: how many near-duplicates of this hit were folded into it.
    similar: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "score": round(self.score, 4), "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url, "section": self.section, "tags": self.tags,
            "authors": self.authors, "path": self.path,
            "snippets": [s.to_dict() for s in self.snippets],
            "title_highlights": [list(span) for span in self.title_highlights],
            "cluster": self.cluster, "similar": self.similar,
        }


@dataclass
class FacetCount:
    """How many matching articles have `value` in a facet field."""

    value: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "count": self.count}


@dataclass
class SearchResults:
    """A page of hits plus totals, facet counts and parser warnings."""

    query: str
    total: int
    page: int
    limit: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    suggestion: str | None = None
    #: True when no article had every word of an AND query, and the hits are
    #: those with most of them (the query was run as a ranked OR).
    relaxed: bool = False

    #: The one-line notice shown with relaxed results.
    RELAXED_NOTICE = "No article has all the words; showing articles with most of them"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query, "total": self.total, "page": self.page,
            "limit": self.limit, "took_ms": round(self.took_ms, 2),
            "hits": [h.to_dict() for h in self.hits],
            "facets": {name: [c.to_dict() for c in counts]
                       for name, counts in self.facets.items()},
            "warnings": self.warnings, "suggestion": self.suggestion,
            "relaxed": self.relaxed,
        }


@dataclass
class IndexReport:
    """What an index or rebuild run did. Article counts: added, updated,
    unchanged, removed, duplicates; file counts: files (read), files_unchanged
    (skipped by size and mtime or content hash), failed, skipped."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    files: int = 0
    files_unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)   # (path, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    #: Exact duplicates left out: (path, id, id of the article kept).
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)
    #: Records skipped inside otherwise good files: (path, "line 7: invalid JSON").
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: Articles read per input format.
    formats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def articles(self) -> int:
        """Articles now in the index from this run's sources."""
        return self.added + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "removed": self.removed, "duplicates": len(self.duplicates),
            "files": self.files, "files_unchanged": self.files_unchanged,
            "formats": self.formats,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "duplicate_of": [{"path": p, "id": i, "kept": k} for p, i, k in self.duplicates],
            "problems": [{"path": p, "problem": m} for p, m in self.problems],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class IndexStats:
    """A summary of an index (`newssearch stats`)."""

    path: str
    documents: int
    sources: list[FacetCount]
    sections: list[FacetCount]
    earliest: datetime | None
    latest: datetime | None
    undated: int
    fields: list[str]
    size_bytes: int
    roots: list[str]
    created: str
    updated: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "documents": self.documents,
            "sources": [c.to_dict() for c in self.sources],
            "sections": [c.to_dict() for c in self.sections],
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "latest": self.latest.isoformat() if self.latest else None,
            "undated": self.undated, "fields": self.fields,
            "size_bytes": self.size_bytes, "roots": self.roots,
            "created": self.created, "updated": self.updated,
        }


def merge_spans(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Sort spans and merge those that overlap (a compound and its parts) or
    are only whitespace apart, so "Time Warner" is marked as one run."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or text[merged[-1][1]:start].isspace()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
