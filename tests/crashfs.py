"""A recording file layer for power-loss tests (the ALICE / CrashMonkey idea).

A kill -9 loses only what a process had not yet handed to the kernel; a power
cut also loses what the kernel had not yet written: file data that was never
fsynced, and new names (created, renamed, deleted files) in folders that were
never fsynced. :class:`CrashRecorder` watches a folder tree while a writer
runs in this process. It wraps ``os.fsync``, ``os.replace``/``os.rename``,
``os.unlink``/``os.remove``, ``os.mkdir``/``os.rmdir`` and the ledger's
commit, and before each of them (a *crash point*) notes what a disk could
hold if the power failed there. Two disks per crash point:

* ``synced``: only what was made durable. A folder lists what it listed at
  its last fsync (or at the start); a file holds what it held at its last
  fsync, and a file never fsynced is empty (ext4's delayed allocation after
  a power cut: the name survives, the data does not).
* ``renamed``: every name operation reached the disk (a journalled file
  system commits them in order), but file data only as far as fsynced.

Files are told apart by inode and *incarnation* (an inode number freed by a
delete may be reused by a new file). SQLite files (the ledger) are taken as
they are at the crash point: SQLite keeps its own durability promise
(synchronous=FULL, a hot journal rolls back); what is tested is the order of
its commits against the index's.
"""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

Key = tuple[int, int]  # (inode, incarnation)
Listing = dict[str, tuple[str, Key | None]]  # name → ("f", key) | ("d", None)
Image = dict[str, bytes | None]  # relative path → bytes (a file) or None (a folder)

SQLITE_PREFIX = "files.sqlite"


@dataclass
class CrashPoint:
    """A moment at which the power may fail, and the disks it could leave."""

    number: int
    label: str
    synced: Image
    renamed: Image


class CrashRecorder:
    """Records crash points of writes under `root` (use as a context manager;
    the writer runs inside, in this process)."""

    def __init__(self, root: Path):
        import pytest

        self.root = Path(root).resolve()
        self._mp = pytest.MonkeyPatch()
        self._incarnation: dict[int, int] = defaultdict(int)
        self._content: dict[Key, bytes] = {}  # durable bytes of each file incarnation
        self._dirs: dict[str, Listing] = {}  # durable listing of each folder
        self.points: list[CrashPoint] = []

    # --- set up -------------------------------------------------------------------

    def __enter__(self) -> "CrashRecorder":
        for folder, _, files in os.walk(self.root):  # the start is durable
            self._dirs[self._rel(folder)] = self._listing(folder)
            for name in files:
                path = os.path.join(folder, name)
                self._content[self._key(os.stat(path).st_ino)] = Path(path).read_bytes()
        self._wrap()
        return self

    def __exit__(self, *exc) -> None:
        self._mp.undo()
        self.point("end")

    def _wrap(self) -> None:
        real = {name: getattr(os, name) for name in
                ("fsync", "replace", "rename", "unlink", "remove", "mkdir", "rmdir")}

        def fsync(fd):
            if not self._inside(os.readlink(f"/proc/self/fd/{fd}")):
                return real["fsync"](fd)
            self.point("fsync " + self._rel(os.readlink(f"/proc/self/fd/{fd}")))
            result = real["fsync"](fd)
            self._synced(fd)
            return result

        def renaming(name):
            def rename(src, dst, *args, **kwargs):
                if not self._inside(dst):
                    return real[name](src, dst, *args, **kwargs)
                replaced = self._inode(dst)
                self.point(f"{name} {self._rel(src)} → {self._rel(dst)}")
                result = real[name](src, dst, *args, **kwargs)
                if replaced is not None:
                    self._incarnation[replaced] += 1
                return result
            return rename

        def unlinking(name):
            def unlink(path, *args, dir_fd=None, **kwargs):
                full = self._full(path, dir_fd)
                if not self._inside(full):
                    return real[name](path, *args, dir_fd=dir_fd, **kwargs)
                gone = self._inode(full)
                self.point(f"{name} {self._rel(full)}")
                result = real[name](path, *args, dir_fd=dir_fd, **kwargs)
                if gone is not None:
                    self._incarnation[gone] += 1
                return result
            return unlink

        def plain(name):
            def call(path, *args, dir_fd=None, **kwargs):
                if self._inside(self._full(path, dir_fd)):
                    self.point(f"{name} {self._rel(self._full(path, dir_fd))}")
                return real[name](path, *args, dir_fd=dir_fd, **kwargs)
            return call

        self._mp.setattr(os, "fsync", fsync)
        for name in ("replace", "rename"):
            self._mp.setattr(os, name, renaming(name))
        for name in ("unlink", "remove"):
            self._mp.setattr(os, name, unlinking(name))
        for name in ("mkdir", "rmdir"):
            self._mp.setattr(os, name, plain(name))
        from search.ingest.ledger import Ledger

        commit = Ledger.commit

        def ledger_commit(ledger):
            self.point("ledger commit")
            commit(ledger)
            self.point("ledger committed")

        self._mp.setattr(Ledger, "commit", ledger_commit)

    # --- recording ----------------------------------------------------------------

    def point(self, label: str) -> None:
        """Note a crash point: the disks the power failing now could leave."""
        self.points.append(CrashPoint(len(self.points), label,
                                      self._image(self._dirs.get),
                                      self._image(self._live_listing)))

    def _synced(self, fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if not self._inside(path) or path.endswith(" (deleted)"):
            return
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            self._dirs[self._rel(path)] = self._listing(path)
        else:
            self._content[self._key(st.st_ino)] = Path(path).read_bytes()

    def _image(self, listing_of) -> Image:
        image: Image = {}

        def walk(rel: str) -> None:
            for name, (kind, key) in (listing_of(rel) or {}).items():
                path = f"{rel}/{name}" if rel else name
                if kind == "d":
                    image[path] = None
                    walk(path)
                elif not name.startswith(SQLITE_PREFIX):
                    image[path] = self._content.get(key, b"")
            # The ledger as SQLite leaves it (see the module's docstring).
            live = self.root / rel
            if rel in image or rel == "":
                for entry in (live.iterdir() if live.is_dir() else ()):
                    if entry.name.startswith(SQLITE_PREFIX) and entry.is_file():
                        image[f"{rel}/{entry.name}" if rel else entry.name] = entry.read_bytes()

        walk("")
        return image

    # --- helpers ------------------------------------------------------------------

    def _key(self, inode: int) -> Key:
        return inode, self._incarnation[inode]

    def _listing(self, folder) -> Listing:
        listing: Listing = {}
        for entry in os.scandir(folder):
            st = entry.stat(follow_symlinks=False)
            listing[entry.name] = (("d", None) if stat.S_ISDIR(st.st_mode)
                                   else ("f", self._key(st.st_ino)))
        return listing

    def _live_listing(self, rel: str) -> Listing | None:
        folder = self.root / rel
        return self._listing(folder) if folder.is_dir() else None

    def _inode(self, path) -> int | None:
        try:
            st = os.stat(path, follow_symlinks=False)
        except (OSError, TypeError):
            return None
        return st.st_ino if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 else None

    def _full(self, path, dir_fd) -> str:
        if dir_fd is not None:
            return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), os.fspath(path))
        return os.path.abspath(os.fspath(path))

    def _inside(self, path) -> bool:
        return os.path.abspath(os.fspath(path)).startswith(str(self.root) + os.sep) or \
            os.path.abspath(os.fspath(path)) == str(self.root)

    def _rel(self, path) -> str:
        full = os.path.abspath(os.fspath(path))
        return "" if full == str(self.root) else os.path.relpath(full, self.root)


def materialize(image: Image, target: Path) -> Path:
    """Write a recorded disk to `target` (a new folder)."""
    target.mkdir(parents=True)
    for rel, data in sorted(image.items(), key=lambda item: item[0].count("/")):
        path = target / rel
        if data is None:
            path.mkdir(exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return target
