"""Full-text fields analysed beside the writer, in a worker process.

With two or more cores, the indexing process writes each article itself
(id, facets, dates, stored fields) and streams the texts of its full-text
fields (title, body) through a :class:`TextBuilder` to one worker process,
which analyses them as they come (`text_postings.TextPostings`). When the
segment is flushed, the worker writes those fields' postings to scratch
files, sharing the terms with a forked copy of itself, and the writer
appends them with the fields' lengths (`NewsSegmentWriter`). A batch is one
segment, and a run of one batch has nothing to merge: building whole
segments in parallel, a batch a process, wrote every posting twice (once
per segment, once more merging them), and on Reuters-21578 the merge had
become a fifth of indexing's CPU.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..workers import end_with_indexer, worker_pool
from .text_postings import TextPostings

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

#: Texts sent to the worker at a time: enough to spread the cost of a
#: message, few enough that the worker keeps up while articles are read.
CHUNK = 500
#: Processes writing a segment's full-text terms at its flush (the worker
#: and forked copies, each a run of terms): the flush is the end of a run,
#: when nothing else is left to do on the other core.
WRITERS = 2

#: Field → entries: the (term, table entry) pairs of its terms, in order.
FieldEntries = list[tuple[str, list[tuple[bytes, bytes]]]]


@dataclass
class TextFields:
    """What the worker wrote for a segment: `parts`, one per writing
    process in term order, each (its postings file, its fields' entries,
    pointing into that file); and per field the (document numbers,
    lengths) of the documents holding a term."""

    parts: list[tuple[str, FieldEntries]]
    lengths: dict[str, tuple[list[int], list[int]]]


class TextBuilder:
    """The indexing process's side: texts go out in chunks, tagged with the
    segment they belong to (`key`); `finish` asks for the segment's fields
    to be written and `result` waits for them."""

    def __init__(self, folder: str, indexname: str):
        self._folder, self._indexname = folder, indexname
        self._pool: ProcessPoolExecutor | None = None
        self._rows: dict[str, list] = {}  # key → texts not yet sent
        self._sent: dict[str, list[Future]] = {}  # key → chunks sent
        self._analyzers: dict[str, Any] = {}

    def add(self, key: str, name: str, field, docnum: int, text: str, boost: float,
            language: str | None = None) -> None:
        """Queue document `docnum`'s text of field `name` (its analyzer, in
        the article's `language`, decides the terms) for segment `key`."""
        if name not in self._analyzers:
            self._analyzers[name] = field.analyzer
        rows = self._rows.setdefault(key, [])
        rows.append((name, docnum, text, boost, language))
        if len(rows) >= CHUNK:
            self._send(key)

    def finish(self, key: str, fields: dict[str, Any]) -> "Future":
        """Have the worker write segment `key`'s fields (`fields`: name →
        field object); returns the Future of its TextFields."""
        self._send(key)
        return self._start().submit(_finish, key, self._folder, self._indexname, fields,
                                    WRITERS if hasattr(os, "fork") else 1)

    def result(self, key: str, finished: "Future") -> TextFields:
        """The TextFields of a finished segment; the first error the worker
        met with its texts is raised here."""
        try:
            for future in self._sent.pop(key, []):
                future.result()
        except BaseException:
            self.discard(key)
            raise
        return finished.result()

    def discard(self, key: str) -> None:
        """Forget a segment that will not be written."""
        self._rows.pop(key, None)
        self._sent.pop(key, None)
        if self._pool is not None:
            try:
                self._pool.submit(_drop, key)
            except RuntimeError:
                pass  # the worker is gone (BrokenProcessPool), and its texts with it

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _send(self, key: str) -> None:
        rows = self._rows.pop(key, None)
        if rows:
            self._sent.setdefault(key, []).append(
                self._start().submit(_add, key, rows, self._analyzers))

    def _start(self) -> "ProcessPoolExecutor":
        if self._pool is None:
            # One worker: its texts arrive in order, and stay with it.
            self._pool = worker_pool(1)
        return self._pool


# --- the worker's side ----------------------------------------------------------

#: Segment key → field name → its postings so far (in the worker process).
_OPEN: dict[str, dict[str, TextPostings]] = {}


def _add(key: str, rows: list, analyzers: dict) -> None:
    texts = _OPEN.setdefault(key, {})
    for name, docnum, text, boost, language in rows:
        postings = texts.get(name)
        if postings is None:
            analyzer = analyzers[name]
            postings = texts[name] = TextPostings(analyzer.terms_of, analyzer.stemming)
        postings.add(docnum, text, boost, language)


def _drop(key: str) -> None:
    _OPEN.pop(key, None)


def _finish(key: str, folder: str, indexname: str, fields: dict[str, Any],
            writers: int) -> TextFields:
    """Write segment `key`'s fields to scratch postings files in `folder`,
    each of `writers` processes a run of terms of every field; their term
    entries come back in memory (a forked copy's through a pipe)."""
    from whoosh.filedb.filestore import FileStorage

    texts = _OPEN.pop(key, {})
    storage = FileStorage(folder)
    for postings in texts.values():
        postings.prepare()  # sorted once, before the copies share the arrays
    children, worker = [], os.getpid()
    for part in range(1, writers):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # a copy of this worker: write its run of terms, then go
            os.close(read_end)
            end_with_indexer(worker)  # (and never outlive the worker)
            _exit_after(_send_part, write_end, storage, indexname, texts, fields,
                        (part, writers))
        os.close(write_end)
        children.append((pid, read_end))
    parts = []
    try:
        parts.append(_write_part(storage, indexname, texts, fields, (0, writers)))
    finally:
        failed = 0
        for pid, read_end in children:
            with os.fdopen(read_end, "rb") as pipe:
                sent = pipe.read()
            if os.waitpid(pid, 0)[1] != 0 or not sent:
                failed += 1
            else:
                parts.append(pickle.loads(sent))
    if failed:
        raise RuntimeError(f"{failed} process(es) writing full-text terms failed")
    return TextFields(parts, {name: text.field_lengths() for name, text in texts.items()})


def _write_part(storage, indexname: str, texts: dict[str, TextPostings],
                fields: dict[str, Any], part: tuple[int, int]) -> tuple[str, FieldEntries]:
    """Write one run of terms of every field to a scratch postings file;
    returns (its name, its entries)."""
    from .segment_writer import write_scratch_fields

    return write_scratch_fields(
        storage, indexname, {name: fields[name] for name in sorted(texts)},
        lambda name, writer: texts[name].postings(writer.inline_limit, writer.block_limit, part))


def _send_part(pipe: int, *args) -> None:
    """_write_part, its result sent down `pipe` (in a forked copy)."""
    data = pickle.dumps(_write_part(*args), pickle.HIGHEST_PROTOCOL)
    with os.fdopen(pipe, "wb") as out:
        out.write(data)


def _exit_after(fn, *args) -> None:
    """In a forked process: run fn(*args) and exit, 0 if it returned
    (never back into the pool worker's loop, whose queues are the parent's)."""
    code = 1
    try:
        fn(*args)
        code = 0
    except BaseException:
        traceback.print_exc(file=sys.stderr)
    finally:
        os._exit(code)
