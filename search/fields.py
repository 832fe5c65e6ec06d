"""Field names and kinds, engine-neutral: what a query may name, which
fields are full text, which are facets, and the aliases people type.

The query layer and the web front end read these; the Whoosh schema
(`engine.whoosh.schema`) builds its fields from them, so neither needs the
Whoosh schema to know what a field is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from .errors import QueryError

#: Full-text fields a bare query word searches, with their BM25F weights:
#: a word in the headline says more about the story than one in paragraph 12.
TEXT_FIELDS = {"title": 2.5, "body": 1.0}
#: Each full-text field's unstemmed sibling: its words as written, folded
#: (lower case, no accents) but not stemmed, and language-neutral. Wildcard,
#: prefix and fuzzy patterns are matched here (``m?nister``, ``*companies``:
#: the stemmed field holds ``minist``, ``compani``), and "did you mean"
#: proposes real words from here. Not stored (the text is, in the stemmed
#: field) and not searchable by name.
WORD_FIELDS = {"title": "title_words", "body": "body_words"}
#: Facet-like fields: whole, folded values (filters and counts).
KEYWORD_FIELDS = ("source", "section", "authors", "tags", "language",
                  "topics", "places", "people", "orgs", "exchanges")
#: Keyword fields holding several values per article.
MULTI_VALUED = ("authors", "tags", "topics", "places", "people", "orgs", "exchanges")
#: Derived keyword fields for date facets.
DATE_FACETS = ("year", "month", "day")
#: Everything `field:term` may name in a query.
QUERY_FIELDS = (*TEXT_FIELDS, *KEYWORD_FIELDS, "published", "url", "id", "cluster")
#: Friendly names people type, mapped to the field they mean.
FIELD_ALIASES = {
    "author": "authors", "tag": "tags", "date": "published", "headline": "title",
    "text": "body", "category": "section", "lang": "language", "topic": "topics",
    "place": "places", "person": "people", "org": "orgs", "organization": "orgs",
    "exchange": "exchanges",
}
#: Fields that can be counted with `--facet`.
FACET_FIELDS = (*KEYWORD_FIELDS, *DATE_FACETS)



def resolve_field(name: str) -> str | None:
    """The field a user-typed field name means, or None if unknown."""
    name = name.lower()
    name = FIELD_ALIASES.get(name, name)
    return name if name in QUERY_FIELDS else None


def date_periods(utc: datetime) -> dict[str, str]:
    """The year, month and day facet values of a (naive UTC) date, as ISO
    text: `2024`, `2024-03`, `2024-03-09` (the Whoosh schema writes them;
    facets.DateFacet counts and selects them)."""
    return {"year": f"{utc.year:04d}", "month": f"{utc.year:04d}-{utc.month:02d}",
            "day": f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"}


def resolve_facet(name: str, verb: str = "facet on") -> str:
    """Validate a facet name (aliases allowed: `author`, `tag`, `category`)."""
    lowered = name.lower()
    resolved = FIELD_ALIASES.get(lowered, lowered)
    if resolved not in FACET_FIELDS:
        raise QueryError(f'cannot {verb} "{name}" (choose from: {", ".join(FACET_FIELDS)})')
    return resolved


def combine_filters(source: str | Sequence[str] | None, section: str | Sequence[str] | None,
                    filters: dict[str, str | Sequence[str]] | None) -> dict[str, list[str]]:
    """A search's `filters` with the `source`/`section` shorthands folded in,
    every value a list, empty fields left out (names not yet validated)."""
    combined = {name: _as_list(values) for name, values in (filters or {}).items()}
    for name, values in (("source", source), ("section", section)):
        if values:
            combined[name] = combined.get(name, []) + _as_list(values)
    return {name: values for name, values in combined.items() if values}


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
