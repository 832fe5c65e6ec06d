"""Helper processes for merging segments.

A run's final merge writes the postings of its biggest fields in other
processes while the indexing process copies the articles and the other
fields (see `NewsSegmentWriter.merge_segments`); this is the pool they run in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..workers import worker_pool

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor


class MergeHelpers:
    """Up to `jobs` worker processes, started on first use."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def call(self, fn, *args) -> "Future":
        """Run fn(*args) in a worker; returns its Future."""
        if self._pool is None:
            self._pool = worker_pool(self.jobs)
        return self._pool.submit(fn, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
