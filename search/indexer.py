"""Writing articles into a Whoosh index: add, update, skip unchanged, commit
in batches, and take the writer lock without ever waiting forever.

Articles are committed every :data:`BATCH_SIZE` documents, so a crash late
in a long run keeps everything committed before it; a failure inside a batch
cancels only that batch.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from whoosh.index import LockError

from .article import Article
from .errors import IndexLockedError, NewsSearchError, ReadError
from .readers import ReadOptions
from .readers.discover import Candidate
from .results import IndexReport
from .schema import to_document

BATCH_SIZE = 2000
#: Called once per file: (files done, files in all, current path).
Progress = Callable[[int, int, str], None]


def open_writer(ix, wait: float, where: str):
    """A Whoosh writer, waiting up to `wait` seconds for another writer."""
    try:
        return ix.writer(timeout=max(wait, 0.0), limitmb=256)
    except LockError:
        raise IndexLockedError(
            f"the index at {where} is locked by another writer "
            f"(waited {wait:g} s; try again, or pass --wait SECONDS)") from None


class BatchWriter:
    """Adds articles through a Whoosh writer, committing every BATCH_SIZE.

    Use as a context manager: leaving normally commits, an exception cancels
    the open batch (earlier batches stay committed)."""

    def __init__(self, ix, wait: float, where: str, report: IndexReport,
                 check_existing: bool = True):
        self.ix, self.wait, self.where, self.report = ix, wait, where, report
        self.check_existing = check_existing
        self.seen: set[str] = set()
        self.pending = 0
        self.writer = None
        self.searcher = None

    def __enter__(self) -> "BatchWriter":
        self._open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._commit()
        else:
            self._close_searcher()
            self.writer.cancel()

    def add(self, article: Article, origin: str) -> None:
        """Add or update one article; unchanged articles are left alone."""
        if article.id in self.seen:
            self.report.skipped.append((origin, f"duplicate id {article.id!r} in this run"))
            return
        self.seen.add(article.id)
        existing = self.searcher.document(id=article.id) if self.check_existing else None
        if existing and existing.get("content_hash") == article.content_hash:
            self.report.unchanged += 1
            return
        if self.check_existing:
            self.writer.update_document(**to_document(article))
        else:
            self.writer.add_document(**to_document(article))
        if existing:
            self.report.updated += 1
        else:
            self.report.added += 1
        self.pending += 1
        if self.pending >= BATCH_SIZE:
            # Mid-run commits skip segment merging; the final commit merges.
            self._commit(merge=False)
            self._open()

    def delete(self, article_id: str) -> None:
        self.report.removed += self.writer.delete_by_term("id", article_id)

    def _open(self) -> None:
        self.writer = open_writer(self.ix, self.wait, self.where)
        if self.check_existing and self.writer.reader().doc_count_all() == 0:
            # An empty index has nothing to update: plain adds skip a lookup
            # and a delete per article. Ids repeated within this run are still
            # caught by `seen`, across batch commits too.
            self.check_existing = False
        self.searcher = self.writer.searcher() if self.check_existing else None
        self.pending = 0

    def _commit(self, merge: bool = True) -> None:
        self._close_searcher()
        self.writer.commit(merge=merge)

    def _close_searcher(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None


def index_files(batch: BatchWriter, candidates: list[Candidate],
                progress: Progress | None = None, options: ReadOptions | None = None) -> None:
    """Read every candidate file and add its articles; a file that fails is
    reported in the batch's report and skipped."""
    report = batch.report
    for done, candidate in enumerate(candidates, 1):
        origin = str(candidate.path)
        if progress:
            progress(done, len(candidates), origin)
        if candidate.reader is None:
            listing = report.failed if candidate.failed else report.skipped
            listing.append((origin, candidate.skip_reason))
            continue
        try:
            articles = candidate.reader(candidate.path, candidate.root, options)
        except ReadError as exc:
            report.failed.append((origin, str(exc).removeprefix(f"{origin}: ")))
            continue
        except (OSError, ValueError, RecursionError, NewsSearchError) as exc:
            report.failed.append((origin, f"{type(exc).__name__}: {exc}"))
            continue
        report.files += 1
        for article in articles:
            batch.add(article, origin)


def add_articles(batch: BatchWriter, articles: Iterable[Article]) -> None:
    for article in articles:
        batch.add(article, article.path or article.id)


def timed(report: IndexReport, started: float) -> IndexReport:
    report.seconds = time.perf_counter() - started
    return report


def under_any(path: str | None, roots: list[str]) -> bool:
    """True if `path` lies under one of `roots` (or is one)."""
    if not path:
        return False
    p = Path(path)
    return any(p == Path(r) or Path(r) in p.parents for r in roots)
