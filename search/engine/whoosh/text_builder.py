"""Full-text fields analysed beside the writer, in worker processes.

With two or more cores, the indexing process writes each article itself
(id, facets, dates, stored fields) and streams the texts of its full-text
fields (title, body and their unstemmed word fields) through a
:class:`TextBuilder` to `builders` worker processes, which analyse them as
they come (`text_postings.TextPostings`): chunks of CHUNK texts go to each
builder in turn, so that N cores analyse N chunks at once (one builder,
taking every text, was the run's longest process on two cores). When the
segment is flushed, the builders but the first hand what they gathered to
the first (`TextPostings.shard`, through a scratch file), which joins them
to its own and writes those fields' postings to scratch files, sharing the
terms with forked copies of itself, each sorting its own run of terms;
the writer appends them with the fields' lengths (`NewsSegmentWriter`).
A batch is one segment, and a run of one batch has nothing to merge:
building whole segments in parallel, a batch a process, wrote every
posting twice (once per segment, once more merging them), and on
Reuters-21578 the merge had become a fifth of indexing's CPU.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..workers import end_with_indexer, worker_pool
from .text_postings import Shard, TextPostings

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

#: Texts sent to a builder at a time: enough to spread the cost of a
#: message, few enough that the builders keep up while articles are read
#: (and share a batch's texts evenly).
CHUNK = 500
#: The fewest processes writing a segment's full-text terms at its flush
#: (the first builder and forked copies, each a run of terms); with more
#: builders, as many as there are: the flush is the end of a run, when
#: nothing else is left to do on the other cores.
WRITERS = 2
#: Extension of a builder's scratch file: its part of a segment's texts.
SHARD_EXT = ".shd"

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
    segment they belong to (`key`), to `builders` processes in turn;
    `finish` asks for the segment's fields to be written and `result`
    waits for them."""

    def __init__(self, folder: str, indexname: str, builders: int = 1):
        self._folder, self._indexname = folder, indexname
        # One pool of one worker per builder: a builder's texts stay with it.
        self._pools: list[ProcessPoolExecutor | None] = [None] * max(builders, 1)
        self._rows: dict[str, list] = {}  # key → texts not yet sent
        self._chunks: dict[str, int] = {}  # key → chunks sent
        self._sent: dict[str, list[Future]] = {}  # key → chunks sent
        self._analyzers: dict[str, Any] = {}
        self._waiter: ThreadPoolExecutor | None = None  # see finish

    @property
    def builders(self) -> int:
        """How many processes analyse the texts."""
        return len(self._pools)

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
        """Have the builders write segment `key`'s fields (`fields`: name →
        field object); returns the Future of its TextFields. Builders but
        the first shelve their part (each at once); the first joins them
        to its own when they have (a thread here waits for them)."""
        self._send(key)
        shelved = [self._start(i).submit(_shelve, key, self._folder, self._indexname)
                   for i in range(1, min(self._chunks.pop(key, 0), self.builders))]
        writers = max(WRITERS, self.builders) if hasattr(os, "fork") else 1
        args = (_finish, key, self._folder, self._indexname, fields, writers)
        if not shelved:
            return self._start(0).submit(*args, [])
        if self._waiter is None:
            from concurrent.futures import ThreadPoolExecutor

            self._waiter = ThreadPoolExecutor(max_workers=1)
        return self._waiter.submit(self._finish_shelved, args, shelved)

    def _finish_shelved(self, args: tuple, shelved: list["Future"]) -> TextFields:
        """The first builder's `_finish`, once the others' shelves are written."""
        names = []
        try:
            for future in shelved:
                names.append(future.result())
        except BaseException:
            _remove(self._folder, names)
            raise
        return self._start(0).submit(*args, names).result()

    def result(self, key: str, finished: "Future") -> TextFields:
        """The TextFields of a finished segment; the first error a builder
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
        self._chunks.pop(key, None)
        for pool in self._pools:
            if pool is not None:
                try:
                    pool.submit(_drop, key)
                except RuntimeError:
                    pass  # the worker is gone (BrokenProcessPool), and its texts with it

    def close(self) -> None:
        if self._waiter is not None:
            self._waiter.shutdown(wait=True)
            self._waiter = None
        for i, pool in enumerate(self._pools):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
                self._pools[i] = None

    def _send(self, key: str) -> None:
        rows = self._rows.pop(key, None)
        if rows:
            chunk = self._chunks.get(key, 0)
            self._chunks[key] = chunk + 1
            self._sent.setdefault(key, []).append(
                self._start(chunk % self.builders).submit(_add, key, rows, self._analyzers))

    def _start(self, builder: int) -> "ProcessPoolExecutor":
        if self._pools[builder] is None:
            # One worker: its texts arrive in order, and stay with it.
            self._pools[builder] = worker_pool(1)
        return self._pools[builder]


# --- the worker's side ----------------------------------------------------------

#: Segment key → field name → its postings so far (in the worker process).
_OPEN: dict[str, dict[str, TextPostings]] = {}


def _add(key: str, rows: list, analyzers: dict) -> None:
    texts = _OPEN.setdefault(key, {})
    for name, docnum, text, boost, language in rows:
        postings = texts.get(name)
        if postings is None:
            postings = texts[name] = _postings_for(analyzers[name])
        postings.add(docnum, text, boost, language)


def _postings_for(analyzer) -> TextPostings:
    return TextPostings(analyzer.terms_of, analyzer.stemming)


def _drop(key: str) -> None:
    _OPEN.pop(key, None)


def _shelve(key: str, folder: str, indexname: str) -> str | None:
    """A builder but the first: write what it gathered of segment `key`
    (field → TextPostings.shard) to a scratch file in `folder`, named as a
    segment's file (an unfinished run's are cleared by Whoosh's next
    commit); returns its name (None: no text of the segment came here)."""
    from whoosh.filedb.filestore import FileStorage

    from .codec import NewsCodec

    texts = _OPEN.pop(key, None)
    if not texts:
        return None
    name = NewsCodec().new_segment(FileStorage(folder), indexname).make_filename(SHARD_EXT)
    _save_shards(os.path.join(folder, name),
                 {field: postings.shard() for field, postings in texts.items() if postings})
    return name


def _unshelve(folder: str, texts: dict[str, TextPostings], fields: dict[str, Any],
              shelved: list[str | None]) -> None:
    """Join the other builders' shelved parts of a segment to `texts`."""
    for name in filter(None, shelved):
        for field, shard in _load_shards(os.path.join(folder, name)).items():
            if field not in texts:
                texts[field] = _postings_for(fields[field].analyzer)
            texts[field].join(shard)


#: The arrays of a field's shard in a builder's scratch file (see _save_shards).
_SHARD_ARRAYS = ("field", "keys", "key_sizes", "term", "ids", "freq", "sizes", "values",
                 "docnums", "lengths", "boosts")


def _save_shards(path: str, shards: dict[str, Shard]) -> None:
    """Write shards (field → Shard) as plain arrays, in NumPy's format: an
    index folder holds no pickle that is not loaded through `safepickle`.
    A shard's runs go as one (its documents and terms are what matter)."""
    import numpy as np

    arrays = {}
    for n, (field, shard) in enumerate(shards.items()):
        runs = shard.runs
        arrays[f"{n}.field"] = np.frombuffer(field.encode("utf-8"), dtype=np.uint8)
        arrays[f"{n}.keys"] = np.frombuffer(b"".join(shard.keys), dtype=np.uint8)
        arrays[f"{n}.key_sizes"] = np.array([len(key) for key in shard.keys], dtype=np.int64)
        for i, what in enumerate(("term", "ids", "freq", "sizes")):
            arrays[f"{n}.{what}"] = np.concatenate([run[i] for run in runs])
        arrays[f"{n}.values"] = np.frombuffer(b"".join(run[4] for run in runs), dtype=np.uint8)
        for what in ("docnums", "lengths", "boosts"):
            arrays[f"{n}.{what}"] = np.frombuffer(getattr(shard, what),
                                                  dtype=np.float64 if what == "boosts"
                                                  else np.int64)
    with open(path, "wb") as out:
        np.savez(out, **arrays)


def _load_shards(path: str) -> dict[str, Shard]:
    """The shards `_save_shards` wrote."""
    import numpy as np

    shards = {}
    with np.load(path, allow_pickle=False) as saved:
        for n in range(len(saved.files) // len(_SHARD_ARRAYS)):
            got = {what: saved[f"{n}.{what}"] for what in _SHARD_ARRAYS}
            blob, ends = got["keys"].tobytes(), np.cumsum(got["key_sizes"]).tolist()
            keys = [blob[a:b] for a, b in zip([0, *ends], ends)]
            run = (got["term"], got["ids"], got["freq"], got["sizes"], got["values"].tobytes())
            shards[got["field"].tobytes().decode("utf-8")] = Shard(
                keys, [run], got["docnums"], got["lengths"], got["boosts"])
    return shards


def _remove(folder: str, names: list[str | None]) -> None:
    for name in filter(None, names):
        try:
            os.remove(os.path.join(folder, name))
        except OSError:
            pass


def _finish(key: str, folder: str, indexname: str, fields: dict[str, Any],
            writers: int, shelved: list[str | None]) -> TextFields:
    """Write segment `key`'s fields to scratch postings files in `folder`,
    each of `writers` processes a run of terms of every field; their term
    entries come back in memory (a forked copy's through a pipe). The
    other builders' parts (`shelved`: their scratch files) join this one's
    first."""
    from whoosh.filedb.filestore import FileStorage

    texts = _OPEN.pop(key, {})
    storage = FileStorage(folder)
    try:
        _unshelve(folder, texts, fields, shelved)
    finally:
        _remove(folder, shelved)
    for postings in texts.values():
        postings.prepare()  # joined once, before the copies share the arrays
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
