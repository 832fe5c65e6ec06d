"""Building segments on all cores.

Analysing articles and writing their postings is most of the work of
indexing, and each segment is independent of the others. The indexing
process keeps the decisions that need the whole picture (updates, exact and
near duplicates, deletions) and hands chunks of finished documents to worker
processes; each worker writes them as one complete segment in the index
folder and returns its description. The indexing process then lists the
built segments in its next commit (see `NewsSegmentWriter.commit_segments`):
until then no reader sees them, and a crash leaves only unreferenced files,
which Whoosh deletes at the next commit.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from whoosh.filedb.filestore import FileStorage

from .parsing import end_with_indexer
from .codec import DICT_BLOCKS, DOCS_PER_BLOCK
from .segment_writer import NewsSegmentWriter, stored_dictionary

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor


def build_segment(folder: str, indexname: str, docs: list[dict[str, Any]],
                  zdict: bytes | None = None):
    """Worker: write `docs` as one segment of the index in `folder`; returns
    the (picklable) Whoosh segment. `zdict`: the run's dictionary for
    stored fields (see `stored_dictionary`). The caller holds the index's lock."""
    ix = FileStorage(folder).open_index(indexname)
    writer = NewsSegmentWriter(ix, _lk=False)
    if zdict is not None:
        writer.perdocwriter.preset_stored_dictionary(zdict)
    for doc in docs:
        writer.add_document(**doc)
    return writer._finalize_segment()


def remove_segments(storage, segments: list) -> None:
    """Delete the files of built segments that will never be committed."""
    for segment in segments:
        try:
            storage.delete_file(segment.make_filename(segment.COMPOUND_EXT))
        except OSError:
            pass  # Whoosh's next commit removes unreferenced files


class SegmentBuilders:
    """A pool of processes turning chunks of documents into segments.

    ``submit`` hands over a chunk; ``collect`` waits for every chunk handed
    over since the last ``collect`` and returns their segments in submission
    order (so document order, and with it tie-breaking, is reproducible)."""

    def __init__(self, ix, jobs: int):
        self._folder, self._indexname = ix.storage.folder, ix.indexname
        self._storage, self._schema = ix.storage, ix.schema
        # One dictionary for the stored fields of all the run's segments,
        # so that merging them copies their blocks (see `stored_dictionary`).
        self._zdict: bytes | None = None
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[Future] = []

    def call(self, fn, *args) -> "Future":
        """Run fn(*args) in a worker; returns its Future (the segment
        writer merges a field this way: see NewsSegmentWriter.merge_segments)."""
        return self._start().submit(fn, *args)

    def _start(self) -> "ProcessPoolExecutor":
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor  # not on a search's path

            self._pool = ProcessPoolExecutor(max_workers=self.jobs,
                                             initializer=end_with_indexer,
                                             initargs=(os.getpid(),))
        return self._pool

    def submit(self, docs: list[dict[str, Any]]) -> None:
        if self._zdict is None:
            self._zdict = stored_dictionary(self._schema, docs)
        # A chunk too short to choose a dictionary of its own keeps none.
        zdict = self._zdict if len(docs) >= DICT_BLOCKS * DOCS_PER_BLOCK else None
        self._pending.append(self._start().submit(build_segment, self._folder,
                                                  self._indexname, docs, zdict))

    def collect(self) -> list:
        return self.results(self.take())

    def take(self) -> list["Future"]:
        """The chunks handed over since the last collect or take, for
        `results` later; later chunks are collected apart from them."""
        pending, self._pending = self._pending, []
        return pending

    def results(self, futures: list["Future"]) -> list:
        """The segments of taken chunks, in order; if one failed, the others'
        files are removed and its error raised."""
        try:
            return [future.result() for future in futures]
        except BaseException:
            self._discard(futures)
            raise

    def discard(self, futures: list["Future"] | None = None) -> None:
        """Drop chunks not yet collected (all of them, or `futures`), and
        the files of their segments."""
        if futures is None:
            futures, self._pending = self._pending, []
        self._discard(futures)

    def _discard(self, pending: list[Future]) -> None:
        for future in pending:
            future.cancel()
        for future in pending:
            if future.cancelled() or future.exception() is not None:
                continue
            self.remove_files([future.result()])

    def remove_files(self, segments: list) -> None:
        """Delete built segments that will never be committed."""
        remove_segments(self._storage, segments)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
