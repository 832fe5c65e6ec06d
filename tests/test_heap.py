"""heap.trim gives freed memory back: glibc keeps a heap's free pages
resident when blocks still in use pin it (the indexing process grew with
the archive so); after trim they are the system's again."""

from __future__ import annotations

import os
import platform
import sys

import pytest

from search.engine import heap

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_trim_returns_free_pages_pinned_inside_the_heap():
    # 2 KiB blocks come from malloc's heap (Python's own allocator takes
    # only blocks of 512 bytes or less); one kept in every 64 pins the heap
    # so that freeing the rest gives nothing back by itself.
    blocks = [bytes(2048) for _ in range(60_000)]  # ~120 MB
    kept = blocks[::64]
    del blocks
    before = resident_mb()
    assert heap.trim() is True
    after = resident_mb()
    assert before - after > 50, (before, after)
    assert len(kept) == 938  # (held to the end: the pins)


def test_trim_is_harmless_anywhere():
    assert heap.trim() in (True, False)
    assert heap.trim() in (True, False)  # nothing left to give: still fine
