"""`newssearch rebuild`: the remembered sources read again into a new
generation, which then replaces the live one in one atomic swap.

Articles that no source file produced (added through the API, or from a
source folder that is gone) are carried over from the stored fields. The
generation handling itself is the engine's (`engine.whoosh.store`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.whoosh.schema import to_article
from ..engine.whoosh.writer import open_writer
from ..results import IndexReport
from . import indexer, neardup
from .run_memory import RunHashes, RunIds
from .readers.discover import discover

if TYPE_CHECKING:
    from ..engine.whoosh.store import WhooshStore
    from .indexer import BatchWriter, Progress


def rebuild(store: "WhooshStore", wait: float, progress: "Progress | None",
            drop_missing: bool, jobs: int | None) -> IndexReport:
    """Rebuild and swap; the caller holds the index's writer lock."""
    started = time.perf_counter()
    report = IndexReport()
    store.follow_swap()
    # Our lock keeps newssearch writers out; Whoosh's own lock on the live
    # generation also keeps out any raw Whoosh writer an embedder holds.
    guard = open_writer(store.ix, wait, str(store.path))
    try:
        new_gen = _into_new_generation(store, report, wait, progress, drop_missing, jobs)
        store.swap_to(new_gen)
    finally:
        guard.cancel()
    store.retire_old_generations()
    return indexer.timed(report, started)


def _into_new_generation(store: "WhooshStore", report: IndexReport, wait: float,
                         progress: "Progress | None", drop_missing: bool,
                         jobs: int | None) -> str:
    """Index the sources into a new generation; returns its name."""
    manifest = store.manifest
    roots = [r for r in manifest.roots if Path(r).exists()]
    missing = [r for r in manifest.roots if r not in roots]
    new_gen, new_ix = store.new_generation()
    ledger = indexer.Ledger(store.path / new_gen)
    old = _OldArticles()
    try:
        with indexer.BatchWriter(new_ix, wait, str(store.path), report, ledger, jobs) as batch:
            batch.hashes = RunHashes()
            for root in roots:
                options = manifest.read_options(root)
                indexer.index_files(batch, discover([Path(root)], options.follow_links),
                                    jobs=jobs, options=options, progress=progress)
            _carry_over(store, batch, roots, missing if drop_missing else [], old)
        ledger.close()
        _count(new_ix, old, report)
    finally:
        old.close()
    for root in missing:
        report.failed.append((root, "source folder is gone; " + (
            "dropped its articles" if drop_missing else
            "kept its articles from the index (rebuild --drop-missing removes them)")))
    if drop_missing:
        manifest.roots = roots
    # No optimize(): the segments are few, and the tiered merge policy
    # merges them as the index grows.
    new_ix.close()
    return new_gen


class _OldArticles:
    """The ids of the articles the old index held, and of those the
    rebuild read again with other content (a file edited, or read with
    another stored map): in bounded memory (run_memory.RunIds), as a
    rebuild's memory must not grow with the archive."""

    def __init__(self) -> None:
        self.ids, self.changed = RunIds(), RunIds()
        self.count = 0

    def close(self) -> None:
        self.ids.close()
        self.changed.close()


def _carry_over(store: "WhooshStore", batch: "BatchWriter", roots: list[str],
                dropped: list[str], old: _OldArticles) -> None:
    """Copy into a rebuild the articles that no source file produced:
    those added through the API, and those of missing folders; note in
    `old` every article the old index held, and which changed."""
    not_carried = roots + dropped  # re-read or dropped
    with store.ix.searcher() as searcher:
        for stored in searcher.all_stored_fields():
            article_id, content_hash = stored["id"], stored.get("content_hash")
            if article_id not in old.ids:
                old.ids.add(article_id)
                old.count += 1
            if batch.hashes.get(article_id, content_hash) != content_hash:
                old.changed.add(article_id)
            path = stored.get("path")
            if article_id in batch.seen or indexer.under_any(path, not_carried):
                continue
            batch.add(to_article(stored), path or article_id,
                      neardup.signature(stored.get("body") or ""))


def _count(new_ix, old: _OldArticles, report: IndexReport) -> None:
    """The report's added, removed, updated and unchanged, from the new
    generation's ids (a fresh index: its id terms are its articles) read
    one by one against the old ones'."""
    new_count = both = updated = 0
    with new_ix.reader() as new:
        for term in new.lexicon("id"):
            article_id = term.decode("utf-8")
            new_count += 1
            if article_id in old.ids:
                both += 1
                updated += article_id in old.changed  # read again, with other content
    report.added, report.removed = new_count - both, old.count - both
    report.updated, report.unchanged = updated, both - updated
