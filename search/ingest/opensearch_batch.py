"""An indexing run on an OpenSearch index: the `BatchWriter` role of
engine/base.py, as `indexer.BatchWriter` is on the embedded engine.

Both engines' runs share the loop (`indexer.index_paths`, `index_files`,
`add_articles`) and the decisions (`indexer.first_in_run`, `settle`, the
`dedup.Deduplicator` and its run memory): an article unchanged since the
last run is not written again, an exact duplicate is left out, a
near-duplicate joins the cluster of the most similar earlier article, with
the same verdicts and cluster names on both engines.

What differs is how the index is asked what it held before the run. The
embedded engine asks its searcher and its ledger an article at a time; here
each question is a round trip, so articles are queued and judged
:data:`CHUNK` at a time, after one read of what the index holds for the
whole chunk (`engine.opensearch.stored.read_chunk`), then written with one
bulk request. Stored articles that this run has written (or rewritten) are
not asked about: the run's memory holds them, as on the embedded engine,
whose searcher sees the index as it was before the run.

The file ledger lives in the cluster (`cluster_ledger.ClusterLedger`,
for a run over files): the run loop asks it as it asks the embedded one.
A file's ledger record names the articles it produced, known only once its
chunk is judged, so `add` returns a `Fate` filled in then, and a file read
is finished (`indexer.file_read`: its lost articles removed, its record
noted) after its last chunk is written. The ledger is committed after every
chunk: it never names an article that is not written yet.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..article import Article, text_fingerprint
from ..engine.opensearch import bulk, stored
from ..results import IndexReport
from .cluster_ledger import ClusterLedger
from .dedup import Candidate, Deduplicator, band_keys
from .indexer import MAX_CANDIDATES, UNCHANGED, WRITE, count_written, first_in_run, settle
from .run_memory import RunIds

#: Articles judged and written at a time: one bulk request's worth.
CHUNK = bulk.BATCH_COUNT


class Fate:
    """What became of an article `add` queued, once its chunk is judged:
    `kept` is True if it is in the index (written, or unchanged), False if
    not (an exact duplicate, or its id came earlier in the run), None while
    undecided or if the cluster refused it."""

    __slots__ = ("kept",)

    def __init__(self):
        self.kept: bool | None = None


class OpenSearchBatch:
    """Articles queued, judged and written a chunk at a time into `index`
    (created with our mapping if missing). Use as a context manager: leaving
    normally writes what is queued and refreshes the index; an exception
    drops the queue (chunks written before stay). `files`: a run over files,
    with the index's file ledger (`ledger`; None for articles given as objects)."""

    def __init__(self, client, index: str, report: IndexReport, chunk: int = CHUNK,
                 files: bool = False):
        self.client, self.index, self.report, self.chunk = client, index, report, chunk
        self.with_files = files
        self.ledger: ClusterLedger | None = None
        #: Files read whose articles are queued: (ids, fates, what then).
        self._files: list[tuple[list[str], list[Fate], Callable]] = []
        self.seen = RunIds()
        self.dedup = Deduplicator(_HeldBefore(self))
        #: True if the index was empty when the run began: nothing to ask it.
        self.fresh = True
        self.held = stored.Chunk()
        #: (article, origin, signature, text fingerprint, band keys, fate)
        self._queue: list[tuple[Article, str, bytes | None, str, list[int], Fate]] = []

    def __enter__(self) -> "OpenSearchBatch":
        bulk.check_cluster(self.client)
        bulk.ensure_index(self.client, self.index)
        self.fresh = self._count() == 0
        if self.with_files:
            self.ledger = ClusterLedger(self.client, self.index, empty=self.fresh)
        # No refresh while the run writes (bulk.unrefreshed): its own lookups
        # leave out what it wrote, and searches see it after the run's refresh.
        self._unrefreshed = bulk.unrefreshed(self.client, self.index)
        self._unrefreshed.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            try:
                if exc_type is None:
                    self._flush()
                elif self.ledger:
                    self.ledger.rollback()
            finally:
                self._unrefreshed.__exit__(None, None, None)
            if exc_type is None:
                # Searches see new articles only after a refresh: now, once.
                bulk.call(self.client, self.client.indices.refresh, index=self.index)
                if self.ledger:
                    self.ledger.refresh()
        finally:
            self.dedup.close()
            self.seen.close()
            if self.ledger:
                self.ledger.close()

    def add(self, article: Article, origin: str, signature: bytes | None = None,
            text_hash: str | None = None, keys: list[int] | None = None) -> Fate:
        """Queue one article (see indexer.BatchWriter.add). Whether it is
        kept is decided with its chunk: the Fate returned says so then."""
        text_hash = text_hash or text_fingerprint(article.title, article.body)
        keys = band_keys(signature) if keys is None else keys
        fate = Fate()
        self._queue.append((article, origin, signature, text_hash, keys, fate))
        if len(self._queue) >= self.chunk:
            self._flush()
        return fate

    def delete(self, article_id: str) -> None:
        self._write_queue()  # in the order given: what is queued is judged (and seen) first
        if article_id in self.seen:
            # The run has it from another file after all (it moved: --prune
            # asked before the new file's chunk was judged), as the
            # embedded run, which judges each article as it is added, keeps it.
            return
        answer = bulk.call(self.client, self.client.delete, index=self.index, id=article_id,
                            ignore=[404])
        self.report.removed += int(answer.get("result") == "deleted")

    # --- files ------------------------------------------------------------------

    def when_judged(self, ids: list[str], fates: list[Fate],
                    then: Callable[..., None]) -> None:
        """Call `then` with the ids of a file's articles that are in the
        index, and whether the cluster took every one written, once the
        chunk holding the last of them is written (indexer.file_read)."""
        self._files.append((ids, fates, then))

    def record_file(self, record) -> None:
        """Note a file in the ledger, with the next commit."""
        if self.ledger:
            self.ledger.put(record)

    def forget_file(self, path: str) -> None:
        if self.ledger:
            self.ledger.remove(path)

    def _flush(self) -> None:
        """Write the queued articles, finish the files they came from, then
        commit the ledger: it follows the articles, never leads them."""
        self._write_queue()
        done, self._files = self._files, []
        for ids, fates, then in done:
            then([i for i, fate in zip(ids, fates) if fate.kept],
                 all(fate.kept is not None for fate in fates))
        if self.ledger:
            self.ledger.commit()

    def _count(self) -> int:
        bulk.call(self.client, self.client.indices.refresh, index=self.index)
        return bulk.call(self.client, self.client.count, index=self.index)["count"]

    def _write_queue(self) -> None:
        """Judge the queued articles in order, then write those kept."""
        queue, self._queue = self._queue, []
        if not queue:
            return
        if not self.fresh:
            self.held = stored.read_chunk(self.client, self.index, [
                (a.id, text_hash, keys, a.content_hash) for a, _, _, text_hash, keys, _ in queue])
        written, extra = [], {}
        for article, origin, signature, text_hash, keys, fate in queue:
            fate.kept = False
            if not first_in_run(self, article, origin):
                continue
            existing = self.held.existing.get(article.id)
            verdict, text_hash, keys = settle(self, article, origin, existing, signature,
                                              text_hash, keys)
            fate.kept = verdict == UNCHANGED
            if verdict == WRITE:
                written.append((article, existing, fate))
                extra[article.id] = stored.run_fields(text_hash, signature, keys)
        self._send(written, extra)
        self.held = stored.Chunk()

    def _send(self, written: list[tuple[Article, dict | None, Fate]],
              extra: dict[str, dict]) -> None:
        done = bulk.send(self.client, self.index, [a for a, _, _ in written],
                         extra=lambda a: extra[a.id])
        refused = {f.id for f in done.failures}
        self.report.failed.extend((f.id, f.reason) for f in done.failures)
        for article, existing, fate in written:
            fate.kept = None if article.id in refused else True
            if fate.kept:
                count_written(self.report, existing)


class _HeldBefore:
    """The deduplicator's view of what the index held before this run
    (dedup.Stored): the chunk's read, less what this run has written."""

    def __init__(self, batch: OpenSearchBatch):
        self.batch = batch

    def id_with_text(self, text_hash: str) -> str | None:
        return next((i for i in self.batch.held.texts.get(text_hash, ())
                     if i not in self.batch.seen), None)

    def near_candidates(self, keys: list[int]) -> Iterable[Candidate]:
        found = (c for c in self.batch.held.bands.get(tuple(keys), ())
                 if c.id not in self.batch.seen)
        for _, candidate in zip(range(MAX_CANDIDATES), found):
            yield candidate.id, candidate.signature, candidate.cluster
