"""The ledger: what the index knows about each source file, and the
near-duplicate band keys of its articles.

One SQLite database per index generation (``gen-NNNNNN/files.sqlite``). Its
``files`` table records, for every file read: size, mtime, content hash,
format and the ids of the articles it produced. It lets a re-run skip files
whose size and mtime are unchanged without reading them, notice when a file
lost articles, and prune articles whose file is gone. Its ``bands`` table maps
MinHash band keys (see `neardup`) to article ids, so a later run finds the
earlier copies of a story; as Whoosh terms these keys cost more than the
articles' text (16 terms an article, each in the term table).

Rows are written in the same rhythm as the Whoosh commits (see
`indexer.BatchWriter`): a crash between the two leaves the ledger behind the
index, never ahead of it, which only costs a re-read.

The run (`indexer.index_files`, `prune`) asks a ledger only what
:class:`FileStore` says; on OpenSearch the same records live in the cluster
(`cluster_ledger.ClusterLedger`), so both engines decide alike.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Protocol

FILENAME = "files.sqlite"
COLUMNS = "path, size, mtime_ns, sha, format, ids, options"


@dataclass
class FileRecord:
    """One source file as last indexed."""

    path: str
    size: int
    mtime_ns: int
    sha: str
    format: str
    ids: list[str] = field(default_factory=list)
    #: The read options' fingerprint for its format (ReadOptions.key): a
    #: file read with another --map or --set is read again.
    options: str = ""


class FileStore(Protocol):
    """What an indexing run asks of a file ledger, wherever it is kept: a
    path → FileRecord table whose changes take effect at `commit` (after
    the articles they name are written) or are dropped by `rollback`."""

    def get(self, path: str) -> FileRecord | None: ...

    def put(self, record: FileRecord) -> None: ...

    def remove(self, path: str) -> None: ...

    def under(self, root: str) -> Iterator[FileRecord]:
        """Records of files at or below `root` (an absolute path)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


def within(path: str, root: str) -> bool:
    """Whether ledger path `path` is `root` or lies below it (`FileStore.under`)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


#: Records `Ledger.under` reads at a time.
RECORDS_A_PAGE = 1_000


class Ledger:
    """A small, transactional path → FileRecord table (a FileStore in SQLite)."""

    def __init__(self, generation_dir: Path | None):
        # Used from one thread at a time, not always the one that opened it (a
        # batch's rows are written beside its segment: see indexer.BatchWriter).
        # None: a private scratch ledger (SQLite's anonymous temporary file,
        # gone when closed), as an OpenSearch run's copy of the cluster's.
        target = "" if generation_dir is None else str(generation_dir / FILENAME)
        self._db = sqlite3.connect(target, timeout=30, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, "
            "mtime_ns INTEGER, sha TEXT, format TEXT, ids TEXT)")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(files)")}
        if "options" not in columns:  # a ledger written before options were kept
            self._db.execute("ALTER TABLE files ADD COLUMN options TEXT NOT NULL DEFAULT ''")
        # Rows are only ever added: ids that left the index are filtered out
        # by the caller, and a rebuild starts a fresh ledger.
        self._db.execute("CREATE TABLE IF NOT EXISTS bands (band INTEGER, article TEXT, "
                         "PRIMARY KEY (band, article)) WITHOUT ROWID")
        self._db.commit()

    def get(self, path: str) -> FileRecord | None:
        row = self._db.execute(f"SELECT {COLUMNS} FROM files WHERE path = ?", (path,)).fetchone()
        return _record(row) if row else None

    def put(self, record: FileRecord) -> None:
        self._db.execute(_PUT, _row(record))

    def put_all(self, records: Iterable[FileRecord]) -> None:
        """put() each of `records`, RECORDS_A_PAGE to an executemany."""
        records = iter(records)
        while page := list(islice(records, RECORDS_A_PAGE)):
            self._db.executemany(_PUT, map(_row, page))

    def remove(self, path: str) -> None:
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))

    def under(self, root: str) -> Iterator[FileRecord]:
        """Records of files at or below `root` (an absolute path), in path
        order, read RECORDS_A_PAGE at a time: all at once, a million files'
        records took ~0.3 GB, and a cursor left open across the writes a
        caller makes meanwhile (prune's deletes commit batches) is not safe."""
        prefix = root.rstrip("/") + "/"
        after = ""
        while True:
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM files WHERE path > ? "
                "AND (path = ? OR substr(path, 1, ?) = ?) ORDER BY path LIMIT ?",
                (after, root, len(prefix), prefix, RECORDS_A_PAGE)).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield from map(_record, rows)

    def add_bands(self, rows: Iterable[tuple[list[int], str]]) -> None:
        """Record the band keys of articles: (keys, article id) pairs."""
        pairs = [(key, article) for keys, article in rows for key in keys]
        if not pairs:
            return
        # In key order: the table's B-tree then fills its pages (random
        # order left them ~70% full). Handed over as one JSON array, sorted
        # and inserted by SQLite: on Reuters-21578 (340,000 keys) 0.49 s
        # instead of 0.78 for sorting in Python and a row per call.
        try:
            self._db.execute(
                "INSERT OR IGNORE INTO bands SELECT json_extract(value, '$[0]'), "
                "json_extract(value, '$[1]') FROM json_each(?) ORDER BY 1, 2",
                (json.dumps(pairs),))
        except sqlite3.OperationalError:  # an SQLite built without JSON functions
            self._db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", sorted(pairs))

    def articles_in_bands(self, keys: list[int], limit: int) -> list[str]:
        """Ids of up to `limit` articles sharing at least one band key."""
        marks = ", ".join("?" * len(keys))
        rows = self._db.execute(f"SELECT DISTINCT article FROM bands WHERE band IN ({marks}) "
                                "LIMIT ?", (*keys, limit))
        return [row[0] for row in rows]

    def commit(self) -> None:
        self._db.commit()

    def compact(self) -> None:
        """Rewrite the file with full pages. After a fresh index's run: its
        band table, inserted in one sorted pass, still took 8% more pages
        than a rewrite (Reuters-21578: 4.8 MB, compacted 4.2 MB, in 0.04 s)."""
        self._db.execute("VACUUM")

    def rollback(self) -> None:
        self._db.rollback()

    def close(self) -> None:
        self._db.close()


_PUT = f"INSERT OR REPLACE INTO files ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"


def _row(record: FileRecord) -> tuple:
    return (record.path, record.size, record.mtime_ns, record.sha, record.format,
            json.dumps(record.ids), record.options)


def _record(row) -> FileRecord:
    path, size, mtime_ns, sha, fmt, ids, options = row
    return FileRecord(path, size, mtime_ns, sha, fmt, json.loads(ids), options)
