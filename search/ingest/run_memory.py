"""What an indexing run remembers of its own articles, in bounded memory.

Each article of a run is judged against every earlier one of the same run:
its id (one id twice in a run is refused), its text fingerprint (an exact
duplicate is left out) and its MinHash band keys (a near-duplicate joins the
earlier article's cluster). Held in dicts and sets, that memory grew with the
run: at a million articles, sixteen million band entries, a million
fingerprints and ids, well over a gigabyte.

Here the newest :data:`SPILL_AT` articles' entries stay in dicts. When there
are that many, they are written, oldest first, to a private SQLite scratch
database (an anonymous temporary file, gone when the run ends), and the dicts
start again. A fixed-size bit filter over what was written spares the lookups
of keys it never held, which for an archive of distinct articles are nearly
all of them. The answers, and their order, are those the dicts alone gave:
written entries (oldest first) come before the dicts' newer ones, so the
deduplicator's tie-breaks, and with them the cluster names, do not change.

The files a run has still to read wait in a :class:`SpilledList`, which
writes all but the newest of them to a scratch file the same way.
"""

from __future__ import annotations

import pickle
import sqlite3
from typing import Generic, Iterable, Iterator, TypeVar

import numpy as np

#: Articles whose entries a run keeps in dicts before writing them out
#: (~50 MB of dicts; the scratch file takes over past it).
SPILL_AT = 100_000
#: Size of each bit filter: 2**27 bits, 16 MiB. With sixteen million band
#: keys written, one lookup in nine of a key never seen reaches SQLite.
FILTER_BITS = 1 << 27

#: A near-duplicate candidate: (article id, signature, cluster).
Candidate = tuple[str, bytes, str]
#: Items a SpilledList keeps in memory before writing them out, and
#: items pickled together into one row of its scratch file.
KEEP_ITEMS = 20_000
ITEMS_A_ROW = 1_000

T = TypeVar("T")


class BitFilter:
    """Which hashes were added, with false positives and no false negatives."""

    def __init__(self, bits: int = FILTER_BITS):
        self._mask = bits - 1
        self._bits = np.zeros(bits // 8, dtype=np.uint8)

    def add(self, value: int) -> None:
        at = value & self._mask
        self._bits[at >> 3] |= 1 << (at & 7)

    def __contains__(self, value: int) -> bool:
        at = value & self._mask
        return bool(self._bits[at >> 3] & (1 << (at & 7)))


class Scratch:
    """The run's private SQLite scratch file, opened on first use."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            # "": an anonymous on-disk database in the temporary directory,
            # deleted on close. Nothing in it outlives the run, so it needs
            # neither a journal nor syncing.
            self._db = sqlite3.connect("", check_same_thread=False)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-32768",
                           "temp_store=FILE"):
                self._db.execute(f"PRAGMA {pragma}")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class SpilledList(Generic[T]):
    """A list that is appended to, then read in order (as often as need
    be), holding at most :data:`KEEP_ITEMS` items in memory: older ones
    are pickled, ITEMS_A_ROW to a row, into a scratch file. An indexing
    run's files waiting to be read are one: at ~730 bytes a file in a
    list, a million files took 0.7 GB."""

    def __init__(self, keep: int | None = None):
        self._scratch = Scratch()
        self._keep = keep or KEEP_ITEMS
        self._tail: list[T] = []
        self._rows = 0  # rows written to the scratch file
        self._length = 0

    def append(self, item: T) -> None:
        self._tail.append(item)
        self._length += 1
        if len(self._tail) >= self._keep:
            self._spill()

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        rows = self._rows  # (appending while reading is not supported)
        for row in range(rows):
            (data,) = self._scratch.db.execute("SELECT items FROM items WHERE n = ?",
                                               (row,)).fetchone()
            yield from pickle.loads(data)
        yield from self._tail

    def close(self) -> None:
        self._scratch.close()
        self._tail, self._rows, self._length = [], 0, 0

    def _spill(self) -> None:
        db = self._scratch.db
        if not self._rows:
            db.execute("CREATE TABLE items (n INTEGER PRIMARY KEY, items BLOB)")
        for at in range(0, len(self._tail), ITEMS_A_ROW):
            db.execute("INSERT INTO items VALUES (?, ?)",
                       (self._rows, pickle.dumps(self._tail[at:at + ITEMS_A_ROW],
                                                 pickle.HIGHEST_PROTOCOL)))
            self._rows += 1
        self._tail = []


class RunIds:
    """The ids written this run (set-like: `in`, `add`, `update`)."""

    def __init__(self, scratch: Scratch | None = None, spill_at: int | None = None):
        self._recent: set[str] = set()
        self._scratch = scratch or Scratch()
        self._spill_at = spill_at or SPILL_AT
        self._written: BitFilter | None = None

    def __contains__(self, article_id: str) -> bool:
        if article_id in self._recent:
            return True
        if self._written is None or hash(article_id) not in self._written:
            return False
        return self._scratch.db.execute("SELECT 1 FROM ids WHERE id = ?",
                                        (article_id,)).fetchone() is not None

    def add(self, article_id: str) -> None:
        self._recent.add(article_id)
        if len(self._recent) >= self._spill_at:
            self._spill()

    def update(self, article_ids: Iterable[str]) -> None:
        for article_id in article_ids:
            self.add(article_id)

    def close(self) -> None:
        """Let go of every id (the dicts and the scratch file): after a
        run's last article, before its final merge."""
        self._scratch.close()
        self._recent, self._written = set(), None

    def _spill(self) -> None:
        db = self._scratch.db
        if self._written is None:
            db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._written = BitFilter()
        db.executemany("INSERT OR IGNORE INTO ids VALUES (?)",
                       ((i,) for i in sorted(self._recent)))
        for article_id in self._recent:
            self._written.add(hash(article_id))
        self._recent = set()


class RunHashes:
    """Article id → content hash of the articles a run wrote (a rebuild's:
    to tell which of them changed), the newest SPILL_AT in a dict."""

    def __init__(self, spill_at: int | None = None):
        self._recent: dict[str, str] = {}
        self._scratch = Scratch()
        self._spill_at = spill_at or SPILL_AT
        self._spilled = False

    def __setitem__(self, article_id: str, content_hash: str) -> None:
        self._recent[article_id] = content_hash
        if len(self._recent) >= self._spill_at:
            self._spill()

    def get(self, article_id: str, default: str | None = None) -> str | None:
        if article_id in self._recent:
            return self._recent[article_id]
        if self._spilled:
            row = self._scratch.db.execute("SELECT hash FROM hashes WHERE id = ?",
                                           (article_id,)).fetchone()
            if row:
                return row[0]
        return default

    def close(self) -> None:
        self._scratch.close()
        self._recent, self._spilled = {}, False

    def _spill(self) -> None:
        db = self._scratch.db
        if not self._spilled:
            db.execute("CREATE TABLE hashes (id TEXT PRIMARY KEY, hash TEXT) WITHOUT ROWID")
            self._spilled = True
        db.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?)", sorted(self._recent.items()))
        self._recent = {}


class RunMemory:
    """The run's fingerprints and band entries, oldest answers first."""

    def __init__(self, scratch: Scratch | None = None, spill_at: int | None = None):
        self._scratch = scratch or Scratch()
        self._spill_at = spill_at or SPILL_AT
        self._texts: dict[str, str] = {}  # fingerprint → first id kept with it
        self._bands: dict[int, list[Candidate]] = {}
        self._entries: list[tuple[Candidate, list[int]]] = []  # in run order, since the last spill
        self._articles = 0  # articles remembered since the last spill
        self._seq = 0  # entries written so far (their order in the scratch file)
        self._written_texts: BitFilter | None = None
        self._written_bands: BitFilter | None = None

    # --- exact duplicates ---------------------------------------------------------

    def first_with_text(self, text_hash: str) -> str | None:
        """The first id kept this run with this text fingerprint."""
        if self._written_texts is not None and hash(text_hash) in self._written_texts:
            row = self._scratch.db.execute("SELECT id FROM texts WHERE hash = ?",
                                           (text_hash,)).fetchone()
            if row:
                return row[0]
        return self._texts.get(text_hash)

    def keep_text(self, text_hash: str, article_id: str) -> None:
        self._texts.setdefault(text_hash, article_id)

    # --- near-duplicates ------------------------------------------------------------

    def candidates(self, keys: list[int]) -> Iterator[Candidate]:
        """For each key in turn, the entries kept under it, oldest first."""
        for key in keys:
            if self._written_bands is not None and key in self._written_bands:
                yield from self._scratch.db.execute(
                    "SELECT s.id, s.signature, s.cluster FROM bands b JOIN entries s "
                    "ON s.seq = b.seq WHERE b.band = ? ORDER BY b.seq", (key,))
            yield from self._bands.get(key, ())

    def keep_entry(self, entry: Candidate, keys: list[int]) -> None:
        for key in keys:
            self._bands.setdefault(key, []).append(entry)
        self._entries.append((entry, keys))

    def article_done(self) -> None:
        """One more article remembered: write the dicts out when they are full."""
        self._articles += 1
        if self._articles >= self._spill_at:
            self._spill()

    def close(self) -> None:
        """Let go of everything remembered (the dicts, the bit filters and
        the scratch file): after a run's last article, before its final
        merge, whose helpers would otherwise be forked with it all."""
        self._scratch.close()
        self._texts, self._bands, self._entries, self._articles = {}, {}, [], 0
        self._seq, self._written_texts, self._written_bands = 0, None, None

    def _spill(self) -> None:
        db = self._scratch.db
        if self._written_texts is None:
            db.execute("CREATE TABLE texts (hash TEXT PRIMARY KEY, id TEXT) WITHOUT ROWID")
            db.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, id TEXT, "
                       "signature BLOB, cluster TEXT)")
            db.execute("CREATE TABLE bands (band INTEGER, seq INTEGER, "
                       "PRIMARY KEY (band, seq)) WITHOUT ROWID")
            self._written_texts, self._written_bands = BitFilter(), BitFilter()
        # (INSERT OR IGNORE: a fingerprint written before keeps its first id.)
        db.executemany("INSERT OR IGNORE INTO texts VALUES (?, ?)", sorted(self._texts.items()))
        for text_hash in self._texts:
            self._written_texts.add(hash(text_hash))
        first = self._seq
        db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?)",
                       ((first + n, *entry) for n, (entry, _) in enumerate(self._entries)))
        # (OR IGNORE: a key twice in one article's keys lists it once; the
        # dicts listed it twice in a row, which changes no verdict.)
        db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                       _sorted_rows(self._entries, first))
        for _, keys in self._entries:
            for key in keys:
                self._written_bands.add(key)
        self._seq += len(self._entries)
        self._texts, self._bands, self._entries, self._articles = {}, {}, [], 0


#: Band rows made into Python tuples at a time when written out.
ROWS_AT_A_TIME = 1 << 16


def _sorted_rows(entries: list[tuple[Candidate, list[int]]], first: int) -> Iterator[tuple]:
    """The (band key, seq) rows of `entries` (numbered from `first`) in
    order, a slice at a time: sorted as a list of tuples, SPILL_AT
    articles' sixteen keys each made the indexing process ~220 MB larger
    for the moment of a spill (at a million articles 447 -> 665 MB, at
    the time of a batch's flush: all processes 1,418 MB); as NumPy arrays,
    ~50 MB (tracemalloc: 153 MB of tuples, 51 MB of arrays)."""
    keys = np.fromiter((key for _, entry_keys in entries for key in entry_keys), dtype=np.int64)
    seqs = np.repeat(np.arange(first, first + len(entries), dtype=np.int64),
                     [len(entry_keys) for _, entry_keys in entries])
    order = np.lexsort((seqs, keys))
    keys = keys[order]
    seqs = seqs[order]
    del order
    for at in range(0, len(keys), ROWS_AT_A_TIME):
        yield from zip(keys[at:at + ROWS_AT_A_TIME].tolist(),
                       seqs[at:at + ROWS_AT_A_TIME].tolist())

