"""Values derived from one index segment, built once and kept.

A segment never changes once written, so what a search derives from it —
facet value lists, the sorted date column — can be built on first use and
reused by every later search. Keys are segment ids (random, never reused)
with the index folder; a merge or a rebuild makes new segments, and old
entries age out of a bounded LRU. The same LRU keeps a segment reader's
decoded blocks (term dictionary, stored articles).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, TypeVar

T = TypeVar("T")


class LRU:
    """A thread-safe map of at most `entries` values, each built on first
    use; the least recently used goes first. (Two threads missing the same
    key may both build it: values are pure, so either will do.)"""

    def __init__(self, entries: int, *, budget: int | None = None,
                 weigh: Callable[[object], int] = lambda value: 0):
        self.entries = entries
        #: Most total weight kept (`weigh` of each value: e.g. postings
        #: held), besides the entry count; None: no limit.
        self.budget, self._weigh = budget, weigh
        self._weight = 0
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def peek(self, key):
        """The value of `key` if kept (None if not), without building it or
        making it recently used."""
        with self._lock:
            return self._values.get(key)

    def recall(self, key):
        """The value of `key` if kept, made recently used; None if not (and
        nothing built)."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def get(self, key, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = build()
        weight = self._weigh(value)
        if self.budget is not None and weight > self.budget:
            return value  # bigger than the whole budget: not kept
        with self._lock:
            if key in self._values:
                self._weight -= self._weigh(self._values.pop(key))
            self._values[key] = value
            self._weight += weight
            while len(self._values) > self.entries or (
                    self.budget is not None and self._weight > self.budget):
                _, dropped = self._values.popitem(last=False)
                self._weight -= self._weigh(dropped)
        return value


class SegmentCache(LRU):
    """An LRU of per-segment values, keyed by segment and name."""

    def get(self, reader, name: str, build: Callable[[], T]) -> T:
        """The value `name` of the segment `reader` reads, built if missing.
        Readers that are not one segment (an empty index) are not cached."""
        key = segment_key(reader)
        if key is None:
            return build()
        return super().get(key + (name,), build)

    def peek_segment(self, reader, name: str):
        """The value `name` of the segment `reader` reads if kept, else None."""
        key = segment_key(reader)
        return None if key is None else self.peek(key + (name,))

    def recall(self, reader, name: str):
        """As peek_segment, the value made recently used (as `get` would)."""
        key = segment_key(reader)
        return None if key is None else super().recall(key + (name,))


def segment_key(reader) -> tuple | None:
    """(index folder, segment id) of a segment reader; None for other readers."""
    # (Kept on the reader: a search asks some twenty times, and a reader
    # reads one segment for its whole life.)
    key = getattr(reader, "_news_segment_key", _UNKNOWN)
    if key is _UNKNOWN:
        segment = getattr(reader, "_segment", None)
        storage = getattr(reader, "_storage", None)
        key = None if segment is None or storage is None else (
            getattr(storage, "folder", id(storage)), segment.segment_id())
        try:
            reader._news_segment_key = key
        except AttributeError:  # (a reader with slots: asked each time)
            pass
    return key


_UNKNOWN = object()


def leaves(reader) -> list:
    """(segment reader, document offset) pairs of any reader."""
    return reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
