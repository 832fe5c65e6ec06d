"""Writing articles into the index: add, update, skip unchanged files and
articles, drop exact duplicates, cluster near-duplicates, prune, commit in
batches.

Articles are committed every :data:`BATCH_SIZE` documents, so a crash late in
a long run keeps everything committed before it; a failure inside a batch
cancels only that batch. The ledger (which files produced which articles) is
committed right after each engine commit. A run of several batches ends by
merging their segments into one, in a commit of its own. What drives
Whoosh's writer (the lock, segments, merges) is the engine's:
`engine.whoosh.writer`.
"""

from __future__ import annotations

import gc
import os
from collections import deque
import time
from dataclasses import replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..article import Article, text_fingerprint
from ..engine import heap
from ..engine.whoosh.writer import WhooshWriter
from ..defaults import count_from_env
from ..errors import NewsSearchError
from ..results import IndexReport
from ..text import language
from . import neardup
from .dedup import DUPLICATE, Deduplicator, band_keys
from .dedup import Candidate as NearCandidate
from .ledger import FileRecord, Ledger
from .run_memory import RunHashes, RunIds, SpilledList
from .parsing import parse_files
from .readers import ReadOptions
from .readers.defaults import check as check_defaults
from .readers.discover import Candidate, discover, format_of

#: Articles per commit. A batch is one segment (see text_builder); a run of
#: several ends with a merge, so batches are large: Reuters-21578 (21,578
#: articles) is one batch, indexed in 6.6 s, and took 8.6 s in batches of
#: 10,000. A crash loses at most the batch being written. Not larger: the
#: flush of a batch is a run's memory peak (the text builders' postings and
#: a forked writer), and on Reuters x5 all processes peaked at 1,644-1,712 MB
#: in batches of 50,000, 1,250 MB in batches of 25,000.
BATCH_SIZE = 25_000
#: Earlier articles sharing a band with a new one that are compared with it.
MAX_CANDIDATES = 50
#: Environment variable overriding BATCH_SIZE (small batches: tests, tuning).
BATCH_SIZE_ENV = "NEWSSEARCH_BATCH_SIZE"
#: Called once per file: (files done, files in all, articles so far).
Progress = Callable[[int, int, int], None]


def batch_size() -> int:
    """Articles per commit: $NEWSSEARCH_BATCH_SIZE if set, else BATCH_SIZE."""
    return count_from_env(BATCH_SIZE_ENV, BATCH_SIZE, "articles")


class BatchWriter:
    """Adds articles through the engine's writer, committing every batch_size().

    Use as a context manager: leaving normally commits, an exception cancels
    the open batch (earlier batches stay committed)."""

    def __init__(self, ix, wait: float, where: str, report: IndexReport,
                 ledger: Ledger | None = None, jobs: int | None = None):
        self.report = report
        self.ledger = ledger
        self.engine = WhooshWriter(ix, wait, where, jobs)
        #: Ids written this run (set-like, in bounded memory: run_memory).
        self.seen = RunIds()
        #: When set (a rebuild sets one): id → content hash of every
        #: article written, to tell which of them changed.
        self.hashes: RunHashes | None = None
        # Exact and near duplicates are decided there; what the index held
        # before this run is looked up through _StoredArticles.
        self.dedup = Deduplicator(_StoredArticles(self))
        self._new_bands: list[tuple[list[int], str]] = []  # (keys, id), for the ledger
        self._files: list[FileRecord] = []
        self._forget: list[str] = []
        self.pending = 0
        self.batch_size = batch_size()

    @property
    def fresh(self) -> bool:
        """True if the index was empty when the run began."""
        return self.engine.fresh

    def __enter__(self) -> "BatchWriter":
        # No cyclic garbage collection while writing (in this process and
        # the workers it forks): a run makes millions of objects, nearly all
        # freed by reference counting, and the collector kept walking them
        # (on Reuters-21578 0.6 s of this process's 4.3 s of CPU). What
        # cycles a run leaves are collected after each batch that another
        # follows (see WhooshWriter.commit) and once the run is over.
        self._collecting = gc.isenabled()
        gc.disable()
        try:
            self._open(first=True)
        except BaseException:
            self._restore_gc()
            raise
        return self

    def _restore_gc(self) -> None:
        if self._collecting:
            gc.enable()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                try:
                    self._commit()
                except BaseException:
                    self._cancel()
                    raise
            else:
                self._cancel()
        finally:
            self.engine.close()
            self.dedup.close()
            self.seen.close()
            if self.hashes is not None:
                self.hashes.close()
            self._restore_gc()

    def _cancel(self) -> None:
        """Drop the open batch (the engine's writer and the ledger's rows)."""
        self.engine.cancel()
        if self.ledger:
            self.ledger.rollback()

    # --- articles ---------------------------------------------------------------

    def add(self, article: Article, origin: str, signature: bytes | None = None,
            text_hash: str | None = None, keys: list[int] | None = None) -> bool:
        """Add or update one article; unchanged articles and exact duplicates
        of another article are left out (and counted). True if the article is
        in the index afterwards. `signature`, `text_hash` (its
        text_fingerprint) and `keys` (the signature's band_keys), when
        given, were computed by a parse worker."""
        if not first_in_run(self, article, origin):
            return False
        existing = self.engine.stored(id=article.id)
        fate, text_hash, keys = settle(self, article, origin, existing, signature, text_hash, keys)
        if fate != WRITE:
            return fate == UNCHANGED
        if signature is not None:
            self._new_bands.append((keys, article.id))
        self.engine.add(article, text_hash, replaces=bool(existing))
        if self.hashes is not None:
            self.hashes[article.id] = article.content_hash
        count_written(self.report, existing)
        self._count_write()
        return True

    def delete(self, article_id: str) -> None:
        removed = self.engine.delete(article_id)
        self.report.removed += removed
        if removed:
            self._count_write()

    # --- files ------------------------------------------------------------------

    def when_judged(self, ids: list[str], verdicts: list[bool],
                    then: Callable[[list[str]], None]) -> None:
        """Call `then` with the ids of a file's articles that are in the
        index (`verdicts`: what `add` returned for each): now, as each
        article was judged as it was added."""
        then([i for i, kept in zip(ids, verdicts) if kept])

    def record_file(self, record: FileRecord) -> None:
        """Note a file in the ledger, with the next commit."""
        self._files.append(record)

    def forget_file(self, path: str) -> None:
        self._forget.append(path)

    # --- commits ----------------------------------------------------------------

    def _count_write(self) -> None:
        self.pending += 1
        if self.pending >= self.batch_size:
            # Mid-run commits merge nothing; the end of the run does.
            self._commit(final=False)
            self._open()

    def _open(self, first: bool = False) -> None:
        self.engine.open(first)
        self.pending = 0

    def _commit(self, final: bool = True) -> None:
        """Commit the open batch (`final`: the run's last commit), then, at
        the end of the run, merge (see WhooshWriter.merge)."""
        # The ledger's rows are written while the segment is (mostly while
        # the full-text fields are: on Reuters-21578 the band keys alone
        # took 0.7 s), and committed after it, never ahead of it.
        self.engine.commit(partial(self._stage_ledger, self._take_ledger_changes()),
                           more=not final)
        if self.ledger:
            self.ledger.commit()
        if final:
            self._forget_run()
            self.engine.merge()
            if self.fresh and self.ledger:
                self.ledger.compact()  # all this run's: worth the rewrite

    def _forget_run(self) -> None:
        """After the run's last article is committed, let go of what the
        run remembered to judge its articles (ids, fingerprints, band
        keys: up to SPILL_AT articles' dicts, bit filters, SQLite caches;
        ~150 MB at a million), so that the final merge, and the helper
        processes it forks from this one, run without it."""
        self.dedup.close()
        self.seen.close()
        if self.hashes is not None:
            self.hashes.close()
        heap.trim()

    def _take_ledger_changes(self) -> tuple[list, list, list]:
        """The batch's ledger changes (file records, files forgotten, band
        keys), for its commit; later ones start afresh."""
        changes = (self._files, self._forget, self._new_bands)
        self._files, self._forget, self._new_bands = [], [], []
        return changes

    def _stage_ledger(self, changes: tuple[list, list, list]) -> None:
        """Write a batch's ledger changes — (file records, files forgotten,
        band keys) — without committing them: a failed engine commit rolls
        them back (see _cancel)."""
        files, forget, bands = changes
        if self.ledger:
            for record in files:
                self.ledger.put(record)
            for path in forget:
                self.ledger.remove(path)
            self.ledger.add_bands(bands)


class _StoredArticles:
    """The deduplicator's view of what the index held before this run:
    nothing in a fresh index; else the engine's stored articles and the
    ledger's band table (see dedup.Stored)."""

    def __init__(self, batch: BatchWriter):
        self.batch = batch

    def id_with_text(self, text_hash: str) -> str | None:
        stored = self.batch.engine.stored(text_hash=text_hash)
        return stored["id"] if stored else None

    def near_candidates(self, keys: list[int]) -> Iterable[NearCandidate]:
        batch = self.batch
        if batch.fresh or not batch.ledger:
            return
        # The ledger may name articles since updated or deleted: only
        # what the index holds now counts.
        for article_id in batch.ledger.articles_in_bands(keys, limit=MAX_CANDIDATES):
            stored = batch.engine.stored(id=article_id)
            # Signatures are not stored (128 bytes an article): the few
            # candidates sharing a band are signed again from their body.
            signature = neardup.signature(stored.get("body") or "") if stored else None
            if signature:
                yield article_id, signature, stored.get("cluster") or article_id


#: What becomes of an article given to a run (`settle`).
UNCHANGED, LEFT_OUT, WRITE = "unchanged", "left out", "write"


def first_in_run(batch, article: Article, origin: str) -> bool:
    """False (and the article listed as skipped) if an article with its id
    came earlier in this run; else its id is noted as seen."""
    if article.id in batch.seen:
        batch.report.skipped.append((origin, f"duplicate id {article.id!r} in this run"))
        return False
    batch.seen.add(article.id)
    return True


def settle(batch, article: Article, origin: str, existing: dict | None,
           signature: bytes | None, text_hash: str | None,
           keys: list[int] | None) -> tuple[str, str | None, list[int]]:
    """The fate of an article new to this run, on either engine's batch
    (its `report` and `dedup`), given `existing`: the stored fields of the
    version the index held before the run (content_hash, text_hash,
    cluster), or None. (fate, text hash, band keys): UNCHANGED (counted),
    LEFT_OUT (an exact duplicate, reported) or WRITE (its cluster set, and
    remembered for the rest of the run: write it, then `count_written`)."""
    if existing and existing.get("content_hash") == article.content_hash:
        batch.report.unchanged += 1
        # (Its band keys are stored already: no signature needed.)
        batch.dedup.remember(article.id, existing.get("text_hash"),
                             cluster=existing.get("cluster"))
        return UNCHANGED, None, []
    text_hash = text_hash or text_fingerprint(article.title, article.body)
    if keys is None:
        keys = band_keys(signature)
    verdict = batch.dedup.judge(article.id, text_hash, signature, keys)
    if verdict.kind == DUPLICATE:
        batch.report.duplicates.append((origin, article.id, verdict.match))
        return LEFT_OUT, text_hash, keys
    article.cluster = verdict.cluster
    batch.dedup.remember(article.id, text_hash, signature, keys, article.cluster)
    return WRITE, text_hash, keys


def count_written(report: IndexReport, existing: dict | None) -> None:
    """One article written: an update of `existing`, or an addition."""
    if existing:
        report.updated += 1
    else:
        report.added += 1


def read_options(field_map: dict[str, str] | None, defaults: dict[str, str] | None,
                 follow_links: bool) -> ReadOptions:
    """How a run reads its files, the --set defaults checked (one line if not)."""
    try:
        checked = check_defaults(dict(defaults or {}))
    except ValueError as exc:
        raise NewsSearchError(str(exc)) from None
    return ReadOptions(field_map=dict(field_map or {}), defaults=checked,
                       follow_links=follow_links)


def index_paths(batch, paths: list[Path], options: ReadOptions, *, jobs: int | None = None,
                progress: Progress | None = None, prune_gone: bool = False) -> None:
    """The run over files and folders, the same on either engine's batch:
    discover the files, read and add them (`index_files`), and, with
    `prune_gone`, remove the articles of files under `paths` that are gone."""
    index_files(batch, discover(paths, options.follow_links), options=options, jobs=jobs,
                progress=progress)
    if prune_gone:
        prune(batch, [p for p in paths if p.is_dir()])


def index_files(batch: BatchWriter, candidates: Iterable[Candidate], *,
                options: ReadOptions | None = None, jobs: int | None = None,
                progress: Progress | None = None) -> None:
    """Read the candidate files (skipping those the ledger shows unchanged)
    and add their articles; a file that fails is reported and skipped.

    Two passes, as every unchanged file's ids must be known (`batch.seen`)
    before any file is read again: one whose articles' ids an unchanged
    file holds is refused them. The files to read wait in between in a
    SpilledList, so that a run's memory does not grow with its files."""
    options = options or ReadOptions()
    work: SpilledList[_Waiting] = SpilledList()
    try:
        done = _unchanged_files(batch, candidates, options, work)
        total = done + len(work)
        if progress:
            progress(done, total, batch.report.articles)
        to_parse = _ToParse(work)
        for parsed in parse_files(to_parse, options, jobs):
            key, record = to_parse.taken.popleft()
            done += 1
            _file_parsed(batch, parsed, key, record, options)
            if progress:
                progress(done, total, batch.report.articles)
    finally:
        work.close()


#: A file to read: (candidate, its known sha or None, its ledger key,
#: its ledger record or None).
_Waiting = tuple[Candidate, "str | None", str, "FileRecord | None"]


class _ToParse:
    """The (candidate, known sha) pairs of the files waiting, for
    parse_files; each file's (ledger key, record) is put in `taken` as it
    is handed over, for its result (which comes in order) to take: the
    waiting list is read once, not a second time beside the parse."""

    def __init__(self, work: SpilledList[_Waiting]):
        self._work = work
        self.taken: deque[tuple[str, FileRecord | None]] = deque()

    def __len__(self) -> int:
        return len(self._work)

    def __iter__(self) -> Iterator[tuple[Candidate, str | None]]:
        for candidate, sha, key, record in self._work:
            self.taken.append((key, record))
            yield candidate, sha


def _unchanged_files(batch: BatchWriter, candidates: Iterable[Candidate], options: ReadOptions,
                     work: SpilledList[_Waiting]) -> int:
    """The first pass: files that cannot be read are reported, unchanged
    ones counted (their ids seen); the others are put in `work`. Returns
    how many files are done."""
    report, ledger = batch.report, batch.ledger
    folders: dict[str, str] = {}
    done = 0
    for candidate in candidates:
        if candidate.reader is None:
            done += 1
            listing = report.failed if candidate.failed else report.skipped
            listing.append((str(candidate.path), candidate.skip_reason))
            continue
        key = _key(candidate.path, folders)
        record = ledger.get(key) if ledger else None
        if record and record.options != options.key(format_of(candidate.reader)):
            record = replace(record, sha="")  # read with other options: read it again
        if record and _same_stat(candidate, record) and record.sha:
            done += 1
            report.files_unchanged += 1
            report.unchanged += len(record.ids)
            batch.seen.update(record.ids)
            continue
        work.append((candidate, record.sha if record and record.sha else None, key, record))
    return done


def _file_parsed(batch: BatchWriter, parsed, key: str, record: FileRecord | None,
                 options: ReadOptions) -> None:
    """The second pass, for one file read: its articles added (or the
    reason it was not), its ledger record noted."""
    report = batch.report
    origin = str(parsed.path)
    if parsed.error:
        report.failed.append((origin, parsed.error))
    elif parsed.skip:
        report.skipped.append((origin, parsed.skip))
    elif parsed.unchanged:
        report.files_unchanged += 1
        report.unchanged += len(record.ids)
        batch.seen.update(record.ids)
        batch.record_file(FileRecord(key, parsed.size, parsed.mtime_ns, parsed.sha,
                                     parsed.format, record.ids, options.key(parsed.format)))
    else:
        report.files += 1
        report.formats[parsed.format] = report.formats.get(parsed.format, 0) + len(parsed.articles)
        report.problems.extend((origin, p) for p in parsed.problems)
        verdicts = [batch.add(a, origin, sig, fingerprint, keys)
                    for a, sig, fingerprint, keys
                    in zip(parsed.articles, parsed.signatures, parsed.fingerprints,
                           parsed.band_keys, strict=True)]
        batch.when_judged([a.id for a in parsed.articles], verdicts, partial(
            file_read, batch, record, FileRecord(key, parsed.size, parsed.mtime_ns,
                                                 parsed.sha, parsed.format, [],
                                                 options.key(parsed.format))))


def file_read(batch, before: FileRecord | None, after: FileRecord, kept: list[str],
              whole: bool = True) -> None:
    """A file read again, its articles judged (`kept`: the ids now in the
    index): the articles it no longer holds are removed, and its record
    (`after`, with those ids) is noted for the next commit — unless not
    `whole` (the cluster refused one of its articles: the file stays to be
    read again)."""
    for stale in set(before.ids if before else ()) - set(kept):
        if stale not in batch.seen:
            batch.delete(stale)  # the file no longer holds this article
    if whole:
        batch.record_file(replace(after, ids=kept))


def prune(batch: BatchWriter, roots: list[Path]) -> None:
    """Remove articles whose source file under `roots` no longer exists."""
    if not batch.ledger:
        return
    for root in roots:
        for record in batch.ledger.under(_key(root)):
            if not Path(record.path).exists():
                for article_id in record.ids:
                    if article_id not in batch.seen:
                        batch.delete(article_id)
                batch.forget_file(record.path)


#: Articles given to `add_articles` that are signed at a time.
SIGN_BATCH = 1_000


def add_articles(batch: BatchWriter, articles: Iterable[Article]) -> None:
    """Add articles given as objects (not read from files), signed and
    fingerprinted SIGN_BATCH at a time, as parse workers do a file's
    (neardup.signatures: a third faster than one at a time)."""
    articles = (a for a in articles if _has_text(a, batch.report))
    while chunk := list(islice(articles, SIGN_BATCH)):
        words = [neardup.words(a.body) for a in chunk]  # once for both
        signatures = neardup.signatures([a.body for a in chunk], words)
        for article, body_words, signature in zip(chunk, words, signatures):
            language.assign(article)  # declared code normalised and checked, or detected
            batch.add(article, article.path or article.id, signature,
                      text_fingerprint(article.title, article.body, body_words))


def _has_text(article: Article, report: IndexReport) -> bool:
    """False (and the article listed as failed, with its reason) for an
    article with neither title nor body: readers drop such records
    themselves; this guards the API's add(), where one empty article
    among thousands should not cancel the others."""
    if (article.title or "").strip() or (article.body or "").strip():
        return True
    report.failed.append((article.path or article.id,
                          f"article {article.id!r} has no title and no body: nothing to index"))
    return False


def timed(report: IndexReport, started: float) -> IndexReport:
    report.seconds = time.perf_counter() - started
    return report


def under_any(path: str | None, roots: list[str]) -> bool:
    """True if `path` lies under one of `roots` (or is one)."""
    if not path:
        return False
    p = Path(path)
    return any(p == Path(r) or Path(r) in p.parents for r in roots)


def _key(path: Path, folders: dict[str, str] | None = None) -> str:
    """The ledger's name for a file: its real path. With `folders` (real
    paths of folders, kept for one run), a file that is not a symlink is
    resolved through its folder's cached real path: Path.resolve() stats
    every component of every path, a tenth of indexing 2,225 BBC files."""
    if folders is None or path.is_symlink():
        return str(path.resolve())
    folder = str(path.parent)
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder)
    return os.path.join(real, path.name)


def _same_stat(candidate: Candidate, record: FileRecord) -> bool:
    """True if the file's size and mtime, as discover() found them, are the
    ledger's."""
    return candidate.size == record.size and candidate.mtime_ns == record.mtime_ns
