"""Searchers on the current index version, lent to one thread at a time.

Whoosh searchers are not thread-safe: a segment reader's column readers
(dates, facet values) are built by seeking and reading a file object the
reader shares, so two threads building one at once can read each other's
bytes. One searcher behind a lock was safe, but one slow query then stalled
every other request. Instead a thread borrows a searcher (an idle one of
the current version, or a newly opened one when all are busy), searches
holding no lock, and gives it back. Searchers of one version share what
matters: the page cache under their memory maps, and the per-segment caches
(`segment_cache`) keyed by segment id.

When the index moves on (a commit, a merge, a rebuild's swap) the pool
moves with it: idle searchers of the old version are closed at once,
borrowed ones when they come back. A search that started on the old version
finishes on it (its files stay readable while mapped, even once deleted).
"""

from __future__ import annotations

import threading
from typing import Callable

#: Idle searchers kept per index (more are opened under a burst, then closed).
MAX_IDLE = 8


class PoolClosed(RuntimeError):
    """Borrowing from a pool closed meanwhile (the caller takes the new one)."""


class SearcherPool:
    """Searchers on one index, keyed by the commit generation they read."""

    def __init__(self, open_searcher: Callable[[], object], max_idle: int = MAX_IDLE):
        self._open = open_searcher
        self.max_idle = max_idle
        self._lock = threading.Lock()  # held only to take or return an idle searcher
        self._idle: list = []
        self._generation: int | None = None
        self._closed = False

    def borrow(self, generation: int):
        """A searcher on `generation` (the index's latest) or newer, for the
        caller alone until :meth:`give_back`."""
        with self._lock:
            if self._closed:
                raise PoolClosed("the index was reopened")
            if generation != self._generation:
                self._close_idle()
                self._generation = generation
            if self._idle:
                return self._idle.pop()
        return self._open()  # outside the lock: opening reads the table of contents

    def give_back(self, searcher, generation: int) -> None:
        """Return a borrowed searcher: kept if its version is still current."""
        with self._lock:
            keep = (not self._closed and generation == self._generation
                    and len(self._idle) < self.max_idle)
            if keep:
                self._idle.append(searcher)
                return
        searcher.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (the index moved to a new generation)."""
        return self._closed

    @property
    def idle(self) -> int:
        """How many searchers wait to be borrowed."""
        return len(self._idle)

    def close(self) -> None:
        """Close the idle searchers; borrowed ones close when given back."""
        with self._lock:
            self._closed = True
            self._close_idle()

    def _close_idle(self) -> None:
        for searcher in self._idle:
            searcher.close()
        self._idle = []
