"""Folder-wide defaults (``--set source="BBC News"``): values for the fields
an article leaves empty, applied after any reader has read it.

A default never overrides what the file says: a feed item naming its own
source keeps it. Only fields that describe where an article comes from can
be set this way (never its id, title or body).
"""

from __future__ import annotations

from ...article import Article
from ...text.dates import parse_date

#: Fields `--set` may fill (the names the CLI accepts).
SETTABLE = ("source", "section", "language", "authors", "tags", "published", "url")
LIST_SETTABLE = ("authors", "tags")


def check(defaults: dict[str, str]) -> dict[str, str]:
    """`defaults` with its names checked; ValueError naming a field that
    cannot be set, or a date that cannot be read."""
    for name, value in defaults.items():
        if name not in SETTABLE:
            raise ValueError(f'--set: "{name}" cannot be set (settable: {", ".join(SETTABLE)})')
        if name == "published" and parse_date(value) is None:
            raise ValueError(f'--set: "{value}" is not a date')
    return dict(defaults)


def apply(article: Article, defaults: dict[str, str]) -> bool:
    """Fill `article`'s empty fields from `defaults`; True if any changed
    (then its content hash is computed again)."""
    changed = False
    for name, value in defaults.items():
        if getattr(article, name, None):
            continue
        if name in LIST_SETTABLE:
            setattr(article, name, [value])
        elif name == "published":
            article.published = parse_date(value)
        else:
            setattr(article, name, value)
        changed = True
    if changed:
        article.content_hash = article.compute_hash()
    return changed
