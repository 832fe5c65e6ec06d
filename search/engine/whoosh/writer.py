"""An indexing run's writes through Whoosh: the engine side of
`ingest.indexer.BatchWriter` (the `BatchWriter` role of engine/base.py).

Each batch is one Whoosh writer (our `NewsSegmentWriter`), committed as one
segment without merging; the run's last commit is followed by a merge of
its segments into one, in a writer of its own. The writer lock is waited
for at most `wait` seconds. With more than one core, the full-text fields
are analysed and written in another process (`text_builder`) and the final
merge has helper processes (`merge_helpers`). What to write — duplicates,
unchanged articles, the ledger — is the ingest layer's to decide.
"""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable

from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.writing import NO_MERGE

from ...article import Article
from ...errors import IndexLockedError
from .. import heap
from ..workers import default_jobs
from .directory import NewsFileIndex
from .merge_helpers import MergeHelpers
from .schema import to_document
from .segment_writer import NewsSegmentWriter, merge_groups, merge_tiers, tiers_due
from .text_builder import TextBuilder


def open_writer(ix, wait: float, where: str):
    """A Whoosh writer, waiting up to `wait` seconds for another writer."""
    try:
        return NewsSegmentWriter(ix, timeout=max(wait, 0.0), limitmb=256)
    except LockError:
        raise IndexLockedError.after_waiting(where, wait) from None


class WhooshWriter:
    """One run's batches written into the Whoosh index `ix`: `open` a
    batch, `add` and `delete`, `commit` it (or `cancel`); `merge` after the
    last commit, `close` at the end."""

    def __init__(self, ix, wait: float, where: str, jobs: int | None = None):
        self.ix, self.wait, self.where = ix, wait, where
        jobs = default_jobs(jobs)
        # As many text builders as jobs: each takes chunks of texts in turn.
        self._text = TextBuilder(ix.storage.folder, ix.indexname, jobs) if jobs > 1 else None
        self._helpers = MergeHelpers(jobs) if jobs > 1 else None
        #: True if the index was empty when the run began (decided by the
        #: first `open`): nothing to look up, update or delete.
        self.fresh = False
        self._committed: set[str] = set()  # segments this run's batches committed
        self.writer = None
        self._searcher = None
        self._zdict: bytes | None = None  # the run's stored-field dictionary

    def open(self, first: bool = False) -> None:
        """Start a batch: a writer (waiting for the lock), and a searcher on
        what the index held before it."""
        self.writer = open_writer(self.ix, self.wait, self.where)
        self.writer.text_builder = self._text
        if self._zdict is not None:
            # The first batch's stored-field dictionary: the run's batches
            # then merge without compressing their articles again.
            self.writer.perdocwriter.preset_stored_dictionary(self._zdict)
        if first:
            # An empty index has nothing to update or match against: plain
            # adds skip a lookup and a delete per article. Repeats within this
            # run are still caught in memory, across batch commits too.
            self.fresh = self.writer.reader().doc_count_all() == 0
        self._searcher = None if self.fresh else self.writer.searcher()

    def stored(self, **term: str) -> dict[str, Any] | None:
        """The stored fields of the article the index held before this
        batch with `term` (``id=…`` or ``text_hash=…``), or None."""
        if self.fresh:
            return None
        return self._searcher.document(**term)

    def add(self, article: Article, text_hash: str, replaces: bool = False) -> None:
        """Write `article`; `replaces`: the index holds an older version."""
        if replaces:
            # Not update_document(): it opens a searcher on every segment for
            # each call, which made re-runs (after a crash) ten times slower.
            self.writer.delete_by_term("id", article.id, searcher=self._searcher)
        self.writer.add_document(**to_document(article, text_hash))

    def delete(self, article_id: str) -> int:
        """Delete an article; returns how many documents were deleted."""
        return self.writer.delete_by_term("id", article_id, searcher=self._searcher)

    def commit(self, beside: Callable[[], None], more: bool = False) -> None:
        """Commit the open batch as a segment of its own (merging nothing),
        running `beside` in a thread meanwhile (its error is raised after);
        `more`: another batch of the run follows."""
        self._close_searcher()
        self._zdict = self._zdict or self.writer.stored_dictionary()
        with ThreadPoolExecutor(max_workers=1) as thread:
            staged = thread.submit(beside)
            try:
                self.writer.commit(mergetype=NO_MERGE)
            finally:
                staged.result()
        self._committed.update(s.segment_id() for s in self.writer.written)
        # The batch's writer leaves a few dozen objects in reference cycles
        # that hold its buffers; with the cyclic collector off for the run
        # (ingest.indexer.BatchWriter) they stayed to its end, and the
        # indexing process grew with the archive (~8 MB of heap and 185,000
        # Python blocks a 100,000 articles). Collected when another batch
        # follows: a full pass over the process's objects (~35 ms for a
        # million), not worth it after a run's last batch (the collector,
        # on again, takes them), nor in a run of one batch (an embedder's
        # small add(): done after every commit, it doubled the test suite).
        if more:
            gc.collect()
        # The batch's documents and postings are freed now; glibc keeps
        # the pages (a heap pinned in places never shrinks), and the
        # indexing process grew with the archive: 470 -> 820 MB over a
        # million articles; handing them back after each batch, 453 -> 615.
        heap.trim()

    def merge(self) -> None:
        """After a run's last commit, in a writer of its own (a batch's
        writer may not have its full-text postings in hand to merge: see
        text_builder): merge the run's segments into one, so that a search
        visits one segment per run, not one per batch; then apply the tiered
        policy to older ones (merge_tiers). Nothing is written if there is
        nothing to merge."""
        if len(self._committed) > 1:
            # A run of several batches: its last batch's cycles too, as each
            # earlier one's were collected (see commit).
            gc.collect()
        if self._text is not None:
            # Every text is written by now. The builders' heaps (idle, a few
            # hundred MB each: 553 MB for two on Reuters x5) are handed back
            # before the merges, where the merge helpers need memory too.
            self._text.close()
        segments = self.ix._segments()
        run = [s for s in segments if s.segment_id() in self._committed]
        groups = merge_groups(run)
        if len(groups) > 1:
            # A run past MAX_MERGED_DOCS: its batches are merged into
            # segments of up to that size, one writer each; then the
            # tiers, as after any run.
            for group in groups:
                if len(group) > 1:
                    self._merge_alone({s.segment_id() for s in group})
            run, self._committed = [], set()
            segments = self.ix._segments()
        if len(run) < 2 and not tiers_due(segments):
            return  # (a writer left files behind even if cancelled)
        self.writer = open_writer(self.ix, self.wait, self.where)
        run = [s for s in self.writer.segments if s.segment_id() in self._committed]
        if len(run) > 1:
            self.writer.merge_segments(run, helper=self._helpers)
            mergetype = partial(_merge_tiers_except, self._committed)
        else:
            mergetype = merge_tiers
        self.writer.commit(mergetype=mergetype)
        self._release_helpers()

    def _merge_alone(self, ids: set[str]) -> None:
        """Merge the segments named (`ids`) into one, and nothing else."""
        self.writer = open_writer(self.ix, self.wait, self.where)
        group = [s for s in self.writer.segments if s.segment_id() in ids]
        self.writer.merge_segments(group, helper=self._helpers)
        self.writer.commit(mergetype=lambda _writer, segments: [
            s for s in segments if s.segment_id() not in ids])
        self._release_helpers()

    def _release_helpers(self) -> None:
        """End the merge helpers after a merge: a helper keeps the heap of
        the biggest fields it merged, and the next merge (of the next group
        of MAX_MERGED_DOCS) forks fresh ones from this process."""
        if self._helpers is not None:
            self._helpers.close()
        heap.trim()  # what this merge freed here, before the next forks helpers

    def cancel(self) -> None:
        """Drop the open batch and release the Whoosh writer's lock."""
        self._close_searcher()
        if self.writer is not None and not self.writer.is_closed:
            self.writer.cancel()

    def close(self) -> None:
        """Stop the run's worker processes."""
        for pool in (self._text, self._helpers):
            if pool:
                pool.close()

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None


def _merge_tiers_except(merged: set[str], writer, segments: list) -> list:
    """merge_tiers over the segments not merged already (`merged`: ids)."""
    return merge_tiers(writer, [s for s in segments if s.segment_id() not in merged])


def drop_segments(folder: Path, names: set[str], wait: float, where: str) -> None:
    """Commit the generation in `folder` without the segments named (ids),
    under its writer lock: `check --repair`'s cure for damaged segments (its
    table of contents is read unverified: those segments' files are bad)."""
    ix = NewsFileIndex(FileStorage(str(folder)), verify=False)
    writer = open_writer(ix, wait, where)
    writer.commit(mergetype=lambda _writer, segments: [
        s for s in segments if s.segment_id() not in names])
