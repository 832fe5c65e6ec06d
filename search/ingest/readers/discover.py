"""Route files to readers: walk the given paths and decide, per file, which
reader reads it or why it is skipped."""

from __future__ import annotations

import importlib
import os
import stat
from fnmatch import fnmatch
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from ...article import Article
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
#: JSON files that describe something else (a package, a page): never articles.
METADATA_JSON = {"package", "package-lock", "composer", "tsconfig", "manifest", "metadata",
                 "expected-metadata"}
METADATA_SUFFIXES = ("-metadata", "_metadata", ".metadata", ".meta", ".info")
#: Why a symbolic link out of the indexed folder is skipped.
LEAVES_ROOT = "symbolic link out of the folder being indexed (--follow-links follows it)"
#: The support files of Reuters-21578 (category lists, its DTD, a data file).
REUTERS_SUPPORT = ("all-*-strings.lc.txt", "cat-descriptions*.txt", "feldman-cia-worldfactbook-data.txt",
                   "lewis.dtd")


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


def discover(paths: list[Path], follow_links: bool = False) -> Iterator[Candidate]:
    """Yield every file under `paths` (files or folders), in a stable order.

    A folder is its own root (ids are relative to it); a single file's root is
    its parent folder. Hidden files and folders are left out, and so are
    symbolic links that lead out of the folder, unless `follow_links` (a
    link to /etc or to a whole disk must not be indexed by surprise).
    """
    for given in paths:
        if given.is_dir():
            root = given
            for path, leaves in walk(given, follow_links):
                yield (Candidate(path, root, None, LEAVES_ROOT) if leaves
                       else regular(path, root))
        elif given.exists() or given.is_symlink():
            yield regular(given, given.parent)
        else:
            yield Candidate(given, given.parent, None, "no such file or folder", failed=True)


def walk(folder: Path, follow_links: bool = False) -> Iterator[tuple[Path, bool]]:
    """(path, leaves the folder) for the files under `folder`, sorted,
    skipping hidden entries and symlink loops. Without `follow_links`, a
    symbolic link whose target lies outside `folder` is yielded once with
    True (a folder so linked is not entered)."""
    seen: set[tuple[int, int]] = set()
    inside = os.path.realpath(folder)
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        entered = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            if not follow_links and _leaves(os.path.join(dirpath, name), inside):
                yield Path(dirpath) / name, True
            else:
                entered.append(name)
        dirnames[:] = entered
        for name in sorted(filenames):
            if not name.startswith("."):
                path = os.path.join(dirpath, name)
                yield Path(path), not follow_links and _leaves(path, inside)


def _leaves(path: str, inside: str) -> bool:
    """A symbolic link whose target is outside the folder `inside` (a
    dangling one is not: it is reported as failing, for what it is)."""
    if not os.path.islink(path) or not os.path.exists(path):
        return False
    target = os.path.realpath(path)
    return target != inside and not target.startswith(inside.rstrip(os.sep) + os.sep)


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
    if is_reuters_support(path):
        return Candidate(path, root, None, "not an article (Reuters-21578 support file)")
    if suffix == ".json" and is_metadata_json(path):
        return Candidate(path, root, None, "not an article (a metadata file, by its name)")
    reader = READERS.get(suffix)
    if reader is None:
        return Candidate(path, root, None, f"unsupported file type {suffix!r}")
    return Candidate(path, root, reader.function)


def is_metadata_json(path: Path) -> bool:
    """package.json, expected-metadata.json, story.meta.json: metadata of
    something else, by name. (A sidecar with another name, story.json beside
    story.html, is read and skipped by the JSON reader: it has no body.)"""
    stem = path.stem.lower()
    return stem in METADATA_JSON or stem.endswith(METADATA_SUFFIXES)


def is_reuters_support(path: Path) -> bool:
    """One of the category lists, DTD and notes the Reuters-21578
    distribution ships beside its .sgm files (by name, and only beside them:
    other files in that folder are read as usual)."""
    name = path.name.lower()
    return (any(fnmatch(name, pattern) for pattern in REUTERS_SUPPORT)
            and _beside_reuters(path.parent))


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
