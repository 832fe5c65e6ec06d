"""newssearch: full-text search for news archives on disk.

The public API::

    from search import NewsIndex, Article
    with NewsIndex.open("index") as ix:
        results = ix.search("Patriot Idlib", facets=["source"])
"""

from .api import DEFAULT_WAIT, NewsIndex
from .article import Article
from .errors import (IndexDamagedError, IndexLockedError, IndexNotFoundError,
                     IndexVersionError, NewsSearchError, QueryError, ReadError)
from .query.synonyms import Synonyms
from .results import FacetCount, Hit, IndexReport, IndexStats, SearchResults, Snippet

__version__ = "0.1.0"

__all__ = [
    "NewsIndex", "Article", "SearchResults", "Hit", "Snippet", "FacetCount",
    "IndexReport", "IndexStats", "NewsSearchError", "QueryError", "IndexNotFoundError",
    "IndexLockedError", "IndexVersionError", "IndexDamagedError", "ReadError", "Synonyms",
    "DEFAULT_WAIT", "__version__",
]
