"""Corrections to Whoosh 2.7.4 bugs that change search results, and one
that made opening a large index copy all of it into memory.

Each fix is a small replacement of one Whoosh method, tested in
tests/test_whoosh_fixes.py against the wrong result (or the copy) it prevents. Nothing is
replaced on import: :func:`install` applies them, and the engine calls it
whenever it opens or creates an index (`directory.NewsFileIndex`), so every
search runs on fixed Whoosh. It checks first that each method it replaces
is the Whoosh 2.7.4 one the fix was written against: a Whoosh release that
changed one is refused with a clear error, rather than silently patched
with a fix for code that is no longer there.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from typing import Callable

from whoosh.filedb import structfile
from whoosh.matching import binary, mcore, wrappers


def _wrapping_replace(self, minquality=0):
    """WrappingMatcher.replace with the child's bound on the child's scale.

    A boosted term (``title:oil^2.5``) is a wrapper scoring child × boost.
    When the top-N collector's minimum score rises it asks the matcher tree
    to drop parts that cannot reach it; Whoosh's wrapper passed the minimum
    to its child unchanged, so a child whose boosted score would have made
    the top N was dropped because its unboosted one would not. (Whoosh's
    own ``skip_to_quality`` divides by the boost; ``replace`` forgot.)
    (The bound only bites on short, inlined posting lists: the only
    leaves whose ``replace`` drops themselves.)"""
    boost = getattr(self, "boost", 1.0)
    if minquality and boost != 1.0:
        minquality = minquality / boost if boost > 0 else 0
    replacement = self.child.replace(minquality)
    return self if replacement is self.child else self._replacement(replacement)



def _and_maybe_skip_to(self, id):
    """AndMaybeMatcher.skip_to keeping the optional side on the required
    side's document.

    ``title:oil ANDMAYBE body:oil`` (what a top-N search turns ``title:oil
    OR body:oil`` into once only the title can lift an article into the top
    N) is skipped to an id inside an intersection; the required side lands
    on the next article at or after it, but Whoosh moved the optional side
    only to the id asked for, so an article found further on lost its body
    score. Found on Reuters-21578: "oil prices" lost its second-best
    article (31.1 scored as 25.9) once ten others had been seen."""
    if not self.a.is_active():
        raise mcore.ReadTooFar
    moved_a = self.a.skip_to(id)
    moved_b = False
    if self.a.is_active() and self.b.is_active():
        moved_b = self.b.skip_to(self.a.id())
    return moved_a or moved_b


class _MemoryStream:
    """A read-only file over a buffer (a memoryview of the mapped segment
    file), without copying it: read, readline, seek and tell as BytesIO's."""

    def __init__(self, buf):
        self._buf, self._at = buf, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(self._at + size, len(self._buf))
        data = bytes(self._buf[self._at:end])
        self._at = max(self._at, end)
        return data

    def readline(self, size: int = -1) -> bytes:
        # A chunk at a time: copying the rest of the buffer for each line
        # made reading a file line by line quadratic.
        end = len(self._buf) if size is None or size < 0 else min(self._at + size, len(self._buf))
        line = b""
        while self._at < end:
            chunk = bytes(self._buf[self._at:min(self._at + 4096, end)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                chunk = chunk[:newline + 1]
            line += chunk
            self._at += len(chunk)
            if newline >= 0:
                break
        return line

    def __iter__(self):
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._at, 2: len(self._buf)}[whence]
        self._at = max(base + offset, 0)
        return self._at

    def tell(self) -> int:
        return self._at

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._buf = b""


def _buffer_file_init(self, buf, name=None, onclose=None):
    """BufferFile.__init__ reading its buffer in place.

    Whoosh opens every file of a segment as a BufferFile over the mapped
    segment, and its __init__ made a BytesIO of the buffer: a copy of the
    whole file, read from disk, on every open. On a million articles
    (six segments, 1.5 GB) opening a reader took 0.9 s and as much memory
    as the index; `stats` and `serve` waited for it."""
    self._buf = buf
    self._name = name
    self.file = _MemoryStream(buf)
    self.onclose = onclose

    self.is_real = False
    self.is_closed = False


@dataclass(frozen=True)
class Fix:
    """One Whoosh method replaced: where, by what, and the 2.7.4 original
    it was written against (its source's digest), so that a Whoosh whose
    method differs is refused rather than silently patched."""

    owner: type
    name: str
    replacement: Callable
    original_digest: str


FIXES = (
    Fix(wrappers.WrappingMatcher, "replace", _wrapping_replace, "8f4d49d13adb2a72"),
    Fix(binary.AndMaybeMatcher, "skip_to", _and_maybe_skip_to, "368654204d096219"),
    Fix(structfile.BufferFile, "__init__", _buffer_file_init, "92f1c0a5b1a2fd70"),
)


class WhooshFixError(RuntimeError):
    """A Whoosh method a fix replaces is not the 2.7.4 one it was written for."""


def source_digest(function: Callable) -> str:
    """The first 16 hex digits of the SHA-256 of a function's source (source
    rather than bytecode: bytecode differs between Python versions)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError) as exc:
        raise WhooshFixError(f"cannot read the source of {function.__qualname__} "
                             f"to check it before replacing it ({exc})") from None
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def install() -> None:
    """Apply every fix; a second call changes nothing. Checks first, for all
    fixes, so a mismatch leaves Whoosh untouched rather than half-fixed."""
    pending = [fix for fix in FIXES if vars(fix.owner).get(fix.name) is not fix.replacement]
    for fix in pending:
        _check(fix)
    for fix in pending:
        setattr(fix.owner, fix.name, fix.replacement)


def _check(fix: Fix) -> None:
    current = vars(fix.owner).get(fix.name)
    where = f"{fix.owner.__module__}.{fix.owner.__qualname__}.{fix.name}"
    if current is None:
        raise WhooshFixError(f"{where} is not defined: search/engine/whoosh/fixes.py "
                             "was written for Whoosh 2.7.4")
    digest = source_digest(current)
    if digest != fix.original_digest:
        raise WhooshFixError(f"{where} is not Whoosh 2.7.4's (source digest {digest}, "
                             f"expected {fix.original_digest}): check whether its bug is "
                             "fixed there before updating search/engine/whoosh/fixes.py")
