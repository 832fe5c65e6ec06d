"""The index directory on disk.

Layout::

    index/
      newssearch.json     manifest: format version, current generation, source roots
      gen-000001/         a complete Whoosh index (one generation)

The manifest names the live generation. `rebuild` writes a new generation
beside the live one and then replaces the manifest with ``os.replace``, which
is atomic: a reader (or a crash) sees either the old index or the new one,
never a mix. Old generations are deleted afterwards.

Durability (see `durable`, `toc`): a generation's folder and its files are
fsynced before the manifest names it, and the manifest is replaced by
write, fsync, rename, fsync of the folder. The manifest is validated: its
generation must be a ``gen-NNNNNN`` folder inside the index folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.util.filelock import FileLock, try_for

from . import durable, fixes, toc
from ...errors import (IndexDamagedError, IndexLockedError, IndexNotFoundError, IndexVersionError,
                     NewsSearchError)
from .schema import SCHEMA_VERSION, build_schema

MANIFEST = "newssearch.json"
FORMAT = "newssearch-index"
#: The lock a writer holds for the whole of a write (see writer_lock).
WRITER_LOCK = ".newssearch.lock"
#: What a generation folder is called; nothing else is one.
GENERATION = re.compile(r"gen-[0-9]{6,}")


@dataclass
class Manifest:
    """What `newssearch.json` records about an index."""

    generation: str
    schema_version: int = SCHEMA_VERSION
    roots: list[str] = field(default_factory=list)
    #: Per source folder, the field map it was read with (JSON/CSV columns).
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    created: str = ""
    updated: str = ""
    #: Per source folder, the defaults it was read with (--set FIELD=VALUE).
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Source folders read with --follow-links.
    follow_links: list[str] = field(default_factory=list)

    def read_options(self, root: str):
        """The ReadOptions `root` was last indexed with (for rebuild)."""
        from ...ingest.readers import ReadOptions

        return ReadOptions(field_map=dict(self.options.get(root, {})),
                           defaults=dict(self.defaults.get(root, {})),
                           follow_links=root in self.follow_links)

    def remember_options(self, root: str, options) -> bool:
        """Store `options` (ReadOptions) as `root`'s, replacing what it had
        (a run without --map forgets the old map); True if anything changed."""
        before = self.read_options(root)
        for table, value in ((self.options, options.field_map), (self.defaults, options.defaults)):
            if value:
                table[root] = dict(value)
            else:
                table.pop(root, None)
        if options.follow_links and root not in self.follow_links:
            self.follow_links.append(root)
        elif not options.follow_links and root in self.follow_links:
            self.follow_links.remove(root)
        return before != self.read_options(root)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "schema_version": self.schema_version,
                "generation": self.generation, "roots": self.roots,
                "options": self.options, "defaults": self.defaults,
                "follow_links": self.follow_links,
                "created": self.created, "updated": self.updated}


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def exists(path: Path) -> bool:
    """True if `path` holds a newssearch index."""
    return (path / MANIFEST).is_file()


def read_manifest(path: Path, *, check_version: bool = True) -> Manifest:
    """Load and check the manifest; a clear error if absent or incompatible
    (`check_version=False` is for rebuilding an index of an older version)."""
    try:
        return _read_manifest(path, check_version)
    except IndexDamagedError:
        # A rebuild may have swapped the manifest and deleted the generation
        # it named between our read and our check of that folder: a second
        # read sees the new generation. Damage that is real fails it again.
        return _read_manifest(path, check_version)


def _read_manifest(path: Path, check_version: bool) -> Manifest:
    try:
        data = json.loads((path / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index at {path}/ (build one with: newssearch index PATH --index {path})"
        ) from None
    except (OSError, ValueError) as exc:
        raise IndexNotFoundError(f"{path}/{MANIFEST} is unreadable ({exc})") from None
    if data.get("format") != FORMAT:
        raise IndexNotFoundError(f"{path}/ is not a newssearch index")
    if check_version and data.get("schema_version") != SCHEMA_VERSION:
        raise IndexVersionError(
            f"{path}/ was built by another version of newssearch "
            f"(schema {data.get('schema_version')}, this is {SCHEMA_VERSION}): "
            f"rebuild needed (newssearch rebuild --index {path})"
        )
    try:
        return Manifest(generation=_generation(path, data["generation"]),
                        roots=[str(r) for r in data.get("roots", [])],
                        options={str(k): dict(v) for k, v in data.get("options", {}).items()},
                        defaults={str(k): dict(v) for k, v in data.get("defaults", {}).items()},
                        follow_links=[str(r) for r in data.get("follow_links", [])],
                        created=str(data.get("created", "")), updated=str(data.get("updated", "")))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IndexDamagedError(MANIFEST, f"malformed ({type(exc).__name__}: {exc})") from None


def _generation(path: Path, name) -> str:
    """The manifest's generation, checked: a generation folder directly
    inside the index folder (not a path leading elsewhere)."""
    if not isinstance(name, str) or not GENERATION.fullmatch(name):
        raise IndexDamagedError(MANIFEST, f"generation {name!r} is not a generation folder name")
    folder = path / name
    if folder.is_symlink() or not folder.is_dir():
        raise IndexDamagedError(MANIFEST, f"generation folder {name}/ is missing")
    return name


def manifest_stat(manifest: str) -> tuple | None:
    """What changes whenever the manifest (at `manifest_path`: asked every
    search, joined once) is replaced: inode, size, times; None if it cannot
    be read."""
    try:
        st = os.stat(manifest)
    except OSError:
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def manifest_path(path: Path) -> str:
    """Where the manifest of the index folder `path` is."""
    return os.fspath(path / MANIFEST)


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically (write, fsync, rename)."""
    manifest.updated = now_iso()
    durable.write_file(path / MANIFEST, json.dumps(manifest.to_json(), indent=2).encode("utf-8"))


def create(path: Path) -> Manifest:
    """Create an empty index at `path` (the folder may exist, e.g. with .gitkeep)."""
    if path.exists() and not path.is_dir():
        raise NewsSearchError(f"{path} is a file, not an index directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NewsSearchError(f"cannot create an index at {path}/ ({exc.strerror or exc})") from None
    generation = new_generation(path)
    manifest = Manifest(generation=generation, created=now_iso())
    write_manifest(path, manifest)
    return manifest


def new_generation(path: Path) -> str:
    """Create an empty Whoosh index in a fresh generation folder, durably
    (its table of contents and its name in the index folder); return its name."""
    numbers = [int(p.name[4:]) for p in path.glob("gen-*") if p.name[4:].isdigit()]
    name = f"gen-{max(numbers, default=0) + 1:06d}"
    (path / name).mkdir()
    NewsFileIndex.create(FileStorage(str(path / name)), build_schema())
    durable.fsync_dir(path)
    return name


def open_whoosh(path: Path, manifest: Manifest) -> "NewsFileIndex":
    """Open the live generation's Whoosh index."""
    return NewsFileIndex(FileStorage(str(path / manifest.generation)))


class NewsFileIndex(FileIndex):
    """Whoosh's FileIndex reading and writing our table of contents (see
    `toc`): checksummed, durable, unpickled without running code. Opening
    also checks that every file the TOC lists is there at its size (a stat
    each: truncation, the usual damage of a power cut, is found at once;
    full checksums are `newssearch check`'s, see docs/reliability.md)."""

    def __init__(self, storage, schema=None, indexname: str = "MAIN", verify: bool = True):
        fixes.install()  # every search on this index runs on fixed Whoosh (create comes here too)
        self.storage, self._schema, self.indexname = storage, schema, indexname
        self._verify = verify  # False: for `check --repair`, which drops what is damaged
        self._read_toc()

    @classmethod
    def create(cls, storage, schema, indexname: str = "MAIN") -> "NewsFileIndex":
        toc.write_toc(storage, indexname, schema, [], 0, {})
        return cls(storage, indexname=indexname)

    def latest_generation(self) -> int:
        """The newest commit's generation. Every search asks (to follow
        commits made meanwhile), and Whoosh lists the folder to answer: the
        generation last found is still the newest while its TOC is there and
        the next one's is not (a commit writes the next TOC, then deletes
        every older one), two stats instead of the listing."""
        seen = getattr(self, "_seen_generation", None)
        if seen is not None:
            current, following = self._toc_paths
            if not os.path.exists(following) and os.path.exists(current):
                return seen
        seen = self._seen_generation = super().latest_generation()
        folder, name = self.storage.folder, self.indexname
        self._toc_paths = tuple(os.path.join(folder, toc.TOC._filename(name, generation))
                                for generation in (seen, seen + 1))
        return seen

    def writer(self, **kwargs):
        from .segment_writer import NewsSegmentWriter

        kwargs.pop("procs", None)
        return NewsSegmentWriter(self, **kwargs)

    def _read_toc(self):
        for _ in range(10):
            try:
                info = toc.read_toc(self.storage, self.indexname, schema=self._schema)
            except FileNotFoundError:
                if not os.path.isdir(self.storage.folder):
                    raise  # the generation is gone (a rebuild swapped it out)
                continue  # a commit replaced the TOC as we looked: read the new one
            problem = missing_file(self.storage, info) if self._verify else None
            if problem is None:
                return info
            if toc.TOC._latest_generation(self.storage, self.indexname) == info.generation:
                raise IndexDamagedError(*problem)
            # A newer commit deleted a file of this one meanwhile: read that.
        raise IndexDamagedError(toc.shown(self.storage, f"_{self.indexname}_*.toc"),
                                "keeps changing while read")


def missing_file(storage, info) -> tuple[str, str] | None:
    """(file, reason) for the first file of a TOC missing or of the wrong
    size; None if all are there."""
    for name, (size, _crc) in sorted((info.checksums or {}).items()):
        try:
            found = os.stat(os.path.join(storage.folder, name)).st_size
        except FileNotFoundError:
            return toc.shown(storage, name), "missing"
        if found != size:
            return toc.shown(storage, name), f"{found} bytes, the commit wrote {size}"
    return None


def remove_stale_generations(path: Path, keep: str) -> None:
    """Delete generation folders other than `keep` (left by a swap or a crash)."""
    for gen in path.glob("gen-*"):
        if gen.name != keep:
            shutil.rmtree(gen, ignore_errors=True)


@contextmanager
def writer_lock(path: Path, wait: float):
    """Hold the index's writer lock for a whole write: an `index` run with
    all its batch commits and its manifest update, a rebuild with its swap.
    Whoosh's own lock is let go at every commit, so without this a second
    writer slips in between two batches (and may fail the first one, or a
    rebuild swap generations under it). Like Whoosh's it is an flock, which
    the kernel drops when its holder dies: a killed writer leaves no stale lock."""
    lock = FileLock(str(path / WRITER_LOCK))
    if not try_for(lock.acquire, timeout=max(wait, 0.0), delay=0.05):
        raise IndexLockedError.after_waiting(path, wait)
    try:
        yield
    finally:
        lock.release()


def size_on_disk(path: Path) -> int:
    """Bytes used by the index folder."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except OSError:
                pass  # deleted by a writer's commit meanwhile
    return total
