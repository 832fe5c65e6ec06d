"""An open index folder: its live generation's Whoosh index, the searchers
lent on it, and the generation swap a rebuild ends with.

An index folder holds generations (``gen-000001/`` …), one of them live as
the manifest says (see `directory`). A :class:`WhooshStore` keeps the live
one open and follows a swap made by any writer, in this process or another:
every borrow first checks the manifest, and a searcher whose generation was
deleted under it is retried once on the new one. `NewsIndex` is a facade
over it (reads) and over `ingest` (writes).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import directory
from .schema import SCHEMA_VERSION
from .searcher_pool import SearcherPool


class WhooshStore:
    """The live generation of one index folder, shared by threads."""

    def __init__(self, path: Path, manifest: directory.Manifest, weighting):
        self.path = path
        self.manifest = manifest
        #: The scoring every lent searcher uses (the query layer's BM25F).
        self._weighting = weighting
        self.ix = directory.open_whoosh(path, manifest)
        #: Whoosh searchers are not thread-safe: each read borrows one of
        #: its own from this pool (see searcher_pool), so threads may share
        #: one store and search in parallel.
        self.pool = self._new_pool()
        #: Guards the switch to a new generation (ix, pool, manifest), not searches.
        self.lock = threading.RLock()
        #: The manifest's stat when last read (see follow_swap), and its path.
        self._manifest_seen: tuple | None = None
        self._manifest_path = directory.manifest_path(path)

    def close(self) -> None:
        with self.lock:
            self.pool.close()
            self.ix.close()

    # --- reading ----------------------------------------------------------------

    @contextmanager
    def searching(self) -> Iterator:
        """A Whoosh searcher on the latest commit (following a rebuild's
        swap), the caller's alone until the block ends; no lock is held
        meanwhile, so other threads search in parallel."""
        before = self.manifest.generation
        try:
            pool, generation, searcher = self._borrow()
        except Exception:
            # A rebuild swapped generations and deleted ours since we read
            # the manifest: follow it (once; a second swap is an error).
            # Compared with the generation this search began on, not with
            # self.manifest, which another thread may have moved on already.
            manifest = directory.read_manifest(self.path, check_version=False)
            if manifest.generation == before:
                raise
            with self.lock:
                if manifest.generation != self.manifest.generation:
                    self.manifest = manifest
                    self.reopen()
            pool, generation, searcher = self._borrow()
        try:
            yield searcher
        finally:
            pool.give_back(searcher, generation)

    def own_searcher(self):
        """A searcher of the caller's own (not from the pool: for a long
        iteration), on the live generation; the caller closes it."""
        with self.lock:
            self.follow_swap()
            return self.ix.searcher()

    def _borrow(self, attempts: int = 3):
        """(pool, generation, searcher): a searcher on the latest commit."""
        for attempt in range(attempts):
            with self.lock:
                self.follow_swap()
                pool, ix = self.pool, self.ix
            try:
                generation = ix.latest_generation()
                return pool, generation, pool.borrow(generation)
            except Exception:
                # Another thread followed a rebuild's swap and closed this
                # pool (and its index) meanwhile: take the new one.
                if not pool.closed or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _new_pool(self) -> SearcherPool:
        ix, weighting = self.ix, self._weighting
        return SearcherPool(lambda: ix.searcher(weighting=weighting))

    # --- generations ------------------------------------------------------------

    def reopen(self) -> None:
        """Open the manifest's generation afresh (closing the old pool)."""
        with self.lock:
            self.pool.close()
            self.ix.close()
            self.ix = directory.open_whoosh(self.path, self.manifest)
            self.pool = self._new_pool()

    def follow_swap(self) -> None:
        """Reopen on the live generation if a rebuild swapped it in."""
        # A swap replaces the manifest by a rename, so its stat changes (a new
        # inode): while it has not, there is nothing to read and parse (30 us
        # of every search).
        seen = directory.manifest_stat(self._manifest_path)
        if seen is not None and seen == self._manifest_seen:
            return
        manifest = directory.read_manifest(self.path, check_version=False)
        self._manifest_seen = seen
        if manifest.generation != self.manifest.generation:
            self.manifest = manifest
            self.reopen()

    def new_generation(self) -> tuple[str, directory.NewsFileIndex]:
        """A fresh, empty generation beside the live one: its name and its
        open Whoosh index (the caller fills it, closes it, then swaps)."""
        name = directory.new_generation(self.path)
        return name, directory.open_whoosh(self.path, directory.Manifest(generation=name))

    def swap_to(self, generation: str) -> None:
        """The atomic swap: the manifest names `generation` live (written
        durably in one rename). Readers follow on their next borrow."""
        self.manifest.generation = generation
        self.manifest.schema_version = SCHEMA_VERSION
        directory.write_manifest(self.path, self.manifest)

    def retire_old_generations(self) -> None:
        """After a swap: reopen on the live generation, delete the others."""
        self.reopen()
        directory.remove_stale_generations(self.path, keep=self.manifest.generation)
