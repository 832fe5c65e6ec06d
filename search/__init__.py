"""newssearch: full-text search for news archives on disk.

The public API::

    from search import NewsIndex, Article
    with NewsIndex.open("index") as ix:
        results = ix.search("Patriot Idlib", facets=["source"])
"""

from importlib import import_module

# The public names are imported on first use (PEP 562), not with the package:
# `import search.ingest.dedup` (or any other Whoosh-free module) must not load Whoosh
# and the whole search stack along with it.
_PUBLIC = {
    "NewsIndex": "api", "DEFAULT_WAIT": "api", "Article": "article",
    "IndexDamagedError": "errors", "IndexLockedError": "errors",
    "IndexNotFoundError": "errors", "IndexVersionError": "errors",
    "NewsSearchError": "errors", "QueryError": "errors", "ReadError": "errors",
    "FacetCount": "results", "Hit": "results", "IndexReport": "results",
    "IndexStats": "results", "SearchResults": "results", "Snippet": "results",
    "Synonyms": "query.synonyms",
}


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


__version__ = "0.1.0"

__all__ = [
    "NewsIndex", "Article", "SearchResults", "Hit", "Snippet", "FacetCount",
    "IndexReport", "IndexStats", "NewsSearchError", "QueryError", "IndexNotFoundError",
    "IndexLockedError", "IndexVersionError", "IndexDamagedError", "ReadError", "Synonyms",
    "DEFAULT_WAIT", "__version__",
]
