"""Reading files into articles, on all cores.

Each changed file is read, hashed and parsed in a worker process; the results
come back in file order to the single process that writes the index. Files
whose content hash matches the ledger are recognised as unchanged in the
worker without being parsed.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable, Iterator

from ..article import Article, text_fingerprint
from ..engine.workers import default_jobs, worker_pool
from ..errors import NewsSearchError, NotAnArticleError
from ..text import language
from . import neardup
from .readers import ReadOptions, defaults
from .readers.discover import Candidate, format_of

#: Below this many files, worker start-up costs more than it saves.
PARALLEL_MIN_FILES = 16
#: Tasks in flight per worker: bounds memory while keeping workers busy.
WINDOW_PER_WORKER = 4
#: A task parses up to this many files, or this many bytes, whichever first.
FILES_PER_TASK = 8
BYTES_PER_TASK = 4 << 20


@dataclass
class ParsedFile:
    """The outcome of reading one file."""

    path: Path
    format: str
    size: int = 0
    mtime_ns: int = 0
    sha: str = ""
    unchanged: bool = False
    articles: list[Article] = field(default_factory=list)
    #: MinHash signatures, one per article (None for short bodies).
    signatures: list[bytes | None] = field(default_factory=list)
    #: Each signature's LSH band keys (neardup.band_keys; [] for None).
    band_keys: list[list[int]] = field(default_factory=list)
    #: Normalised-text hashes, one per article (exact duplicates; see
    #: article.text_fingerprint): computed here, off the indexing process.
    fingerprints: list[str] = field(default_factory=list)
    #: Record-level problems in a multi-article file ("line 7: invalid JSON").
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    #: Why a readable file holds no articles (then it is skipped, not failed).
    skip: str | None = None


def parse_files(work: Collection[tuple[Candidate, str | None]], options: ReadOptions,
                jobs: int | None = None) -> Iterator[ParsedFile]:
    """Parse (candidate, known sha) pairs; yields ParsedFile in input order.
    `work` is read once, as the workers need it (it may be a SpilledList's
    view: see indexer.index_files)."""
    jobs = default_jobs(jobs)
    if jobs == 1 or len(work) < PARALLEL_MIN_FILES:
        for candidate, known in work:
            yield parse_file(candidate, options, known)
        return
    with worker_pool(jobs) as pool:
        pending: deque = deque()
        for group in _groups(work):
            pending.append(pool.submit(parse_group, group, options))
            if len(pending) >= jobs * WINDOW_PER_WORKER:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _groups(work: Iterable[tuple[Candidate, str | None]]):
    """Consecutive files in groups of up to FILES_PER_TASK files and about
    BYTES_PER_TASK bytes (a big file goes alone)."""
    group, size = [], 0
    for item in work:
        size += item[0].size or 0  # (as discover() found it)
        group.append(item)
        if len(group) >= FILES_PER_TASK or size >= BYTES_PER_TASK:
            yield group
            group, size = [], 0
    if group:
        yield group


def parse_group(work: list[tuple[Candidate, str | None]], options: ReadOptions) -> list[ParsedFile]:
    """Worker: parse a few files in one task (a task costs two trips between
    processes: one file per task was a fifth of indexing 2,225 small files)."""
    return [parse_file(candidate, options, known) for candidate, known in work]


def parse_file(candidate: Candidate, options: ReadOptions, known_sha: str | None) -> ParsedFile:
    """Read one file. Never raises: problems come back in the result."""
    fmt = format_of(candidate.reader)
    result = ParsedFile(candidate.path, fmt)
    try:
        stat = candidate.path.stat()
        result.size, result.mtime_ns = stat.st_size, stat.st_mtime_ns
        result.sha = file_sha(candidate.path)
        if known_sha is not None and known_sha == result.sha:
            result.unchanged = True
            return result
        result.articles = _call_reader(candidate, options, result.problems)
        for article in result.articles:
            if options.defaults:
                defaults.apply(article, options.defaults)  # --set FIELD=VALUE fills empty fields
            language.assign(article)  # declared code normalised and checked, or detected
        bodies = [a.body for a in result.articles]
        words = list(map(neardup.words, bodies))  # once for both
        result.signatures = neardup.signatures(bodies, words)
        result.band_keys = [neardup.band_keys(sig) if sig is not None else []
                            for sig in result.signatures]
        result.fingerprints = [text_fingerprint(a.title, a.body, w)
                               for a, w in zip(result.articles, words)]
    except NotAnArticleError as exc:
        result.skip = str(exc).removeprefix(f"{candidate.path}: ")
    except NewsSearchError as exc:
        result.error = str(exc).removeprefix(f"{candidate.path}: ")
    except OSError as exc:
        result.error = f"cannot read ({exc.strerror or exc})"
    except RecursionError:
        result.error = "structure nested too deeply to read"
    except MemoryError:
        result.error = "too large to read in memory"
    except Exception as exc:  # a reader bug must not sink the batch
        result.error = f"unexpected {type(exc).__name__}: {exc}"
    return result


def file_sha(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _call_reader(candidate: Candidate, options: ReadOptions, problems: list[str]) -> list[Article]:
    reader = candidate.reader
    if _takes_problems(reader):
        return reader(candidate.path, candidate.root, options, problems=problems)
    return reader(candidate.path, candidate.root, options)


@lru_cache(maxsize=None)
def _takes_problems(reader) -> bool:
    import inspect

    return "problems" in inspect.signature(reader).parameters
