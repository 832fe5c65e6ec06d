"""Handing memory a process has freed back to the system.

A long indexing run frees most of what it allocates (a batch's postings,
documents, the run's dicts each time they are written out), but glibc's
allocator keeps freed pages mapped for reuse, and a heap that other blocks
still pin in the middle never shrinks: the indexing process's resident size
then grows with the archive although what it holds does not. `trim` asks
glibc to give every whole free page back (``malloc_trim(0)``, which
releases pages inside the heap too, not only at its top). Elsewhere than
glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's malloc_trim, or None (another C library or system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl and others have none
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def trim() -> bool:
    """Give the process's free heap pages back to the system; True if any
    were (False also where there is no malloc_trim)."""
    release = _malloc_trim()
    return bool(release and release(0))
