"""Route files to readers: walk the given paths and decide, per file, which
reader reads it or why it is skipped."""

from __future__ import annotations

import importlib
import os
import stat
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from ..article import Article
from . import ReadOptions

Reader = Callable[[Path, Path, "ReadOptions | None"], "list[Article]"]


class LazyReader:
    """A reader module's `read`, imported on first use: the HTML reader pulls
    in BeautifulSoup and lxml, which a search never needs."""

    def __init__(self, module: str):
        self.module = module

    @property
    def function(self) -> Reader:
        return getattr(importlib.import_module(f"{__package__}.{self.module}"), "read")

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)


#: File extension → reader. Files without an extension are read as text.
READERS: dict[str, LazyReader] = {
    ".txt": LazyReader("text"),
    ".text": LazyReader("text"),
    "": LazyReader("text"),
    ".jsonl": LazyReader("jsonl"),
    ".ndjson": LazyReader("jsonl"),
    ".json": LazyReader("jsonl"),
    ".csv": LazyReader("csvfile"),
    ".tsv": LazyReader("csvfile"),
    ".rss": LazyReader("feeds"),
    ".atom": LazyReader("feeds"),
    ".xml": LazyReader("feeds"),  # feeds only: other XML is refused by feeds.read with a reason
    ".sgm": LazyReader("reuters"),
    ".html": LazyReader("html"),
    ".htm": LazyReader("html"),
    ".xhtml": LazyReader("html"),
    # Archives keep pages compressed: "page.html.gz" (see suffix_of).
    ".html.gz": LazyReader("html"),
    ".htm.gz": LazyReader("html"),
    ".xhtml.gz": LazyReader("html"),
}

#: Files that sit beside articles in corpora but are not articles.
NOT_ARTICLES = {"readme", "license", "licence", "provenance", "changelog", "copying"}


@dataclass(frozen=True)
class Candidate:
    """A file found under a root, with the reader to use (None: skip it)."""

    path: Path
    root: Path
    reader: Reader | None
    skip_reason: str = ""
    #: True when the path itself is a problem (missing, unreadable), not just
    #: a file we do not read.
    failed: bool = False
    #: Size and modification time when found (a regular file): the indexer's
    #: "unchanged since the last run?" test and its task sizes use them
    #: instead of asking the file system again.
    size: int | None = None
    mtime_ns: int | None = None


def discover(paths: list[Path]) -> Iterator[Candidate]:
    """Yield every file under `paths` (files or folders), in a stable order.

    A folder is its own root (ids are relative to it); a single file's root is
    its parent folder. Hidden files and folders are left out.
    """
    for given in paths:
        if given.is_dir():
            root = given
            for path in walk(given):
                yield regular(path, root)
        elif given.exists() or given.is_symlink():
            yield regular(given, given.parent)
        else:
            yield Candidate(given, given.parent, None, "no such file or folder", failed=True)


def walk(folder: Path) -> Iterator[Path]:
    """Files under `folder`, sorted, skipping hidden entries and symlink loops."""
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def regular(path: Path, root: Path) -> Candidate:
    """classify() a path that is a regular file; refuse the others with their
    reason (reading a FIFO would wait for ever for a writer)."""
    try:
        st = path.stat()
    except OSError as exc:  # a broken symlink, a symlink loop
        return Candidate(path, root, None, f"cannot read ({exc.strerror or exc})", failed=True)
    if not stat.S_ISREG(st.st_mode):
        return Candidate(path, root, None, "not a regular file (a pipe, socket or device)")
    return replace(classify(path, root), size=st.st_size, mtime_ns=st.st_mtime_ns)


def classify(path: Path, root: Path) -> Candidate:
    """Pick the reader for one file from its extension."""
    suffix = suffix_of(path)
    if path.stem.lower() in NOT_ARTICLES:
        return Candidate(path, root, None, "not an article (corpus documentation)")
    if suffix != ".sgm" and _beside_reuters(path.parent):
        # The Reuters-21578 distribution ships category lists, a DTD and notes
        # next to its .sgm files: the stories are only in the .sgm files.
        return Candidate(path, root, None, "not an article (Reuters-21578 support file)")
    reader = READERS.get(suffix)
    if reader is None:
        return Candidate(path, root, None, f"unsupported file type {suffix!r}")
    return Candidate(path, root, reader.function)


def suffix_of(path: Path) -> str:
    """The extension that picks the reader: ``.html.gz`` for a compressed
    page, else the last suffix, lower-cased."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if len(suffixes) == 2 and suffixes[1] == ".gz" and "".join(suffixes) in READERS:
        return "".join(suffixes)
    return path.suffix.lower()


@lru_cache(maxsize=256)
def _beside_reuters(folder: Path) -> bool:
    return any(folder.glob("reut2-*.sgm"))


def format_of(reader: Reader | None) -> str:
    """A reader's format name, from its module: ``text``, ``html``, ``jsonl``…"""
    return reader.__module__.rsplit(".", 1)[-1] if reader else "unknown"
