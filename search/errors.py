"""The errors newssearch raises on purpose. Each maps to a one-line message and
an exit code in the CLI (2 for anything the user can fix: usage, query, input)."""

from __future__ import annotations


class NewsSearchError(Exception):
    """Base class: a problem we can explain in one line."""

    exit_code = 2


class QueryError(NewsSearchError):
    """A query that cannot be read. `column` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None):
        self.column = column
        self.reason = message
        super().__init__(f"col {column}: {message}" if column else message)


class IndexNotFoundError(NewsSearchError):
    """No index at the given directory."""


class IndexLockedError(NewsSearchError):
    """Another writer holds the index."""

    @classmethod
    def after_waiting(cls, where, wait: float) -> "IndexLockedError":
        return cls(f"the index at {where} is locked by another writer "
                   f"(waited {wait:g} s; try again, or pass --wait SECONDS)")


class IndexVersionError(NewsSearchError):
    """The index was written by an incompatible version: rebuild needed."""


class ReadError(NewsSearchError):
    """A file that cannot be turned into articles (the batch goes on without it)."""


class NotAnArticleError(ReadError):
    """A readable file that holds no articles (a word list, package.json, an
    XML file that is not a feed): skipped, not failed."""


class IndexDamagedError(NewsSearchError):
    """A file of the index fails its checks (a checksum, a size, an
    unreadable or forbidden pickle): `newssearch check --repair` mends it."""

    def __init__(self, file: str, reason: str):
        self.file, self.reason = file, reason
        super().__init__(f"index damaged: {file}: {reason}; run `newssearch check --repair`")


class SearchTimeout(QueryError):
    """A search stopped at its time limit: the query is valid but too costly
    now (the server answers 503, the CLI exits 2 like any query error)."""


class EngineUnavailableError(NewsSearchError):
    """The search cluster cannot take work: unreachable, red, or its client
    library missing. One line saying which and where (no traceback)."""
