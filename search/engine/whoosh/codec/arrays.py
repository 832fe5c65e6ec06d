"""A term's whole posting list as numpy arrays, decoded block by block and
kept per segment.

Counting, faceting and ranking all read whole posting lists (see
querying/docsets and querying/ranking): each used to decode them into
Python lists, and one search decoded each of its words up to four times
(its matches in the title and body, then its scores). Here a list is read
straight into arrays — every block's ids and weights cut from its bytes with
``numpy.frombuffer``, the ids' deltas summed in one ``cumsum`` over all the
blocks — and kept in an LRU bounded by the postings it holds, so a search
decodes each list once and a server's repeated words not at all.
"""

from __future__ import annotations

import zlib
from typing import Callable

import numpy as np
from whoosh.reading import TermNotFound

from ..segment_cache import SegmentCache, segment_key
from .records import _ALL_ONE, _FRAME, _INT, _INTEGERS

#: Postings kept decoded across all segments (16 bytes each: ~64 MB).
CACHED_POSTINGS = 4_000_000
_cache = SegmentCache(4096, budget=CACHED_POSTINGS, weigh=lambda arrays: len(arrays[0]))

_NO_IDS = np.zeros(0, dtype=np.int64)
#: Little-endian unsigned dtypes by their type code byte (B, H, I, Q).
_DTYPES: dict[int, np.dtype] = {}
_NO_WEIGHTS = np.zeros(0)
#: Weights of a block whose every frequency is 1, sliced (read-only, shared).
_ONES = np.ones(1024)
_ONES.flags.writeable = False


def posting_arrays(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers (ascending, int64; deleted documents included) and
    weights (term frequencies, float64) of a term in a segment reader; empty
    arrays for a term it does not have. Read-only: callers share them."""
    if segment_key(reader) is None:
        return decoded(reader, fieldname, btext)
    return _cache.get(reader, ("postings", fieldname, btext),
                      lambda: decoded(reader, fieldname, btext))


def kept(reader, key: tuple, build: Callable[[], tuple]) -> tuple:
    """A value derived from a segment's posting lists (a word's documents
    in several fields), kept beside them in the same LRU and budget:
    `build` gives a tuple whose first item is an array of postings, which
    it is weighed by."""
    return _cache.get(reader, key, build)


def decoded(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """posting_arrays, not kept: for lists read once (building a segment's
    facet arrays), which would only push out the ones searches reuse."""
    terms = getattr(reader, "_terms", None)
    if terms is None or reader.is_closed:  # (a closed reader raises ReaderClosed here)
        if (fieldname, btext) not in reader:
            return _NO_IDS, _NO_WEIGHTS
        return _walked(reader, fieldname, btext)
    try:  # (one lookup, not a membership test and then another)
        info = terms.term_info(fieldname, btext)
    except TermNotFound:
        return _NO_IDS, _NO_WEIGHTS
    return _decoded(terms, info)


def _decoded(terms, info) -> tuple[np.ndarray, np.ndarray]:
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return _frozen(np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64))
    offset, _length = info.extent()
    postfile = terms._postfile
    deltas, weights, firsts, counts = [], [], [], []
    position = offset
    while True:
        (length, count, first, _last, _top, _low, _high,
         compressed) = _FRAME.unpack(postfile.get(position, _FRAME.size))
        start, end = position + _FRAME.size, position + _INT + abs(length)
        data = bytes(postfile.get(start, end - start))
        if compressed:
            data = zlib.decompress(data)
        block_deltas, at = _uints(data, 0, count)
        deltas.append(block_deltas)
        weights.append(_weights(data, at, count))
        firsts.append(first)
        counts.append(count)
        if length < 0:  # the last block
            break
        position = end
    if len(deltas) == 1:  # most words: one block, nothing to join
        ids = deltas[0].astype(np.int64)
        ids[0] += first  # (each block's first delta is 0)
        return _frozen(ids.cumsum(out=ids), weights[0])
    return _frozen(_ids(deltas, firsts, counts), np.concatenate(weights))


def _ids(deltas: list[np.ndarray], firsts: list[int], counts: list[int]) -> np.ndarray:
    """Every block's ids from its deltas (counted from the block's first id,
    so each block's first delta is 0): one running sum over all blocks,
    each block's sum before it taken off and its first id put on."""
    summed = np.concatenate(deltas).astype(np.int64)
    summed.cumsum(out=summed)
    starts = np.array([0] + counts[:-1]).cumsum()
    shift = np.asarray(firsts, dtype=np.int64) - summed[starts]
    return summed + shift.repeat(counts)


def _uints(data: bytes, pos: int, count: int) -> tuple[np.ndarray, int]:
    """records._unpack_uints into an array: a type code, then the numbers."""
    code = data[pos]
    dtype = _DTYPES.get(code)
    if dtype is None:  # (made once, not once a block)
        dtype = _DTYPES[code] = np.dtype(chr(code)).newbyteorder("<")
    return np.frombuffer(data, dtype=dtype, count=count, offset=pos + 1), \
        pos + 1 + count * dtype.itemsize


def _weights(data: bytes, pos: int, count: int) -> np.ndarray:
    kind = data[pos]
    if kind == _ALL_ONE:
        return _ONES[:count] if count <= len(_ONES) else np.ones(count)
    if kind == _INTEGERS:  # (read back as 32-bit floats, as DecodedPostings does)
        counts = _uints(data, pos + 1, count)[0]
        if counts.itemsize <= 2:  # (every 16-bit count is exact as a float32)
            return counts.astype(np.float64)
        return counts.astype(np.float32).astype(np.float64)
    return np.frombuffer(data, dtype="<f4", count=count, offset=pos + 1).astype(np.float64)


def _walked(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Any other reader (an empty index): its raw postings a posting at a time."""
    postings = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format) \
        if getattr(reader, "_terms", None) is not None else reader.postings(fieldname, btext)
    ids, weights = [], []
    while postings.is_active():
        ids.append(postings.id())
        weights.append(postings.weight())
        postings.next()
    return _frozen(np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64))


def _frozen(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids.flags.writeable = False
    weights.flags.writeable = False
    return ids, weights
