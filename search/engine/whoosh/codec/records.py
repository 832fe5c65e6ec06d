"""Posting records as flat arrays: ids, weights and values of one posting
list (or one block of it) in the narrowest unsigned types, written and read
with C-speed ``array`` calls; and the format's shared limits and block frame."""

from __future__ import annotations

import struct
import sys
from array import array
from itertools import accumulate
from operator import sub

#: Posting lists this short are stored inside the term table entry.
INLINE_LIMIT = 6
#: Postings per block: the unit of skipping and of decoding.
BLOCK_LIMIT = 128
#: Blocks shorter than this are not worth a zlib call.
COMPRESS_MIN = 256
_BIG_ENDIAN = sys.byteorder == "big"
#: Block frame: length of what follows (negative on the last block), posting
#: count, first and last id, max weight, min and max field length bytes,
#: compressed flag. Ids in the block are counted from its first: a merge
#: renumbers a block by rewriting its frame alone (see `copy_blocks`).
_FRAME = struct.Struct("<iHIIfBBB")
_INT = struct.calcsize("<i")

# --- flat arrays ------------------------------------------------------------

def _narrowest(largest: int) -> str:
    for code in ("B", "H", "I", "Q"):
        if largest < 1 << (8 * array(code).itemsize):
            return code
    raise OverflowError(f"value too large for a posting: {largest}")


def _pack_uints(numbers) -> bytes:
    code = _narrowest(max(numbers, default=0))
    packed = array(code, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return code.encode("ascii") + packed.tobytes()


def _unpack_uints(data: bytes, pos: int, count: int) -> tuple[array, int]:
    code = chr(data[pos])
    numbers = array(code)
    end = pos + 1 + count * numbers.itemsize
    numbers.frombytes(data[pos + 1:end])
    if _BIG_ENDIAN:
        numbers.byteswap()
    return numbers, end


# Section kinds for weights and values.
_ALL_ONE, _INTEGERS, _FLOATS = 0, 1, 2
_NO_VALUES, _VALUES = 0, 1


class PackedValues:
    """Posting values given end to end: one byte string and each value's
    size. Builders that make a whole segment's values at once (see
    `text_postings`) hand them over like this, so that writing a block
    slices the string instead of joining one small bytes object per posting.
    Behaves as a read-only sequence of bytes."""

    __slots__ = ("sizes", "blob", "_ends")

    def __init__(self, sizes: list[int], blob: bytes):
        self.sizes, self.blob = sizes, blob
        self._ends = None

    def _bounds(self, index: int) -> tuple[int, int]:
        if self._ends is None:
            self._ends = list(accumulate(self.sizes))
        end = self._ends[index]
        return end - self.sizes[index], end

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self.sizes))
            if step != 1:
                raise ValueError("PackedValues slices must be contiguous")
            if stop <= start:
                return PackedValues([], b"")
            return PackedValues(self.sizes[start:stop],
                                self.blob[self._bounds(start)[0]:self._bounds(stop - 1)[1]])
        start, end = self._bounds(index if index >= 0 else len(self.sizes) + index)
        return self.blob[start:end]

    def __iter__(self):
        at = 0
        for size in self.sizes:
            yield self.blob[at:at + size]
            at += size


def _plain_values(values):
    """Values as encode_postings takes them: PackedValues as they are,
    otherwise a list with b"" for a missing value (Whoosh hands None)."""
    return values if isinstance(values, PackedValues) else [v or b"" for v in values]


def encode_postings(ids: list[int], weights: list[float], values,
                    base: int = 0) -> bytes:
    """ids (ascending, counted from `base`), weights and values of some
    postings, as one flat record."""
    # (map and list methods rather than generators: this runs for every
    # block and short list written, and every merged one.)
    deltas = [ids[0] - base, *map(sub, ids[1:], ids)] if len(ids) else []
    parts = [_pack_uints(deltas)]
    weights = list(weights)
    rounded = list(map(int, weights))
    if rounded == weights and rounded.count(1) == len(rounded):
        parts.append(bytes((_ALL_ONE,)))
    elif rounded == weights and min(rounded) >= 0:
        parts.append(bytes((_INTEGERS,)) + _pack_uints(rounded))
    else:
        floats = array("f", weights)
        if _BIG_ENDIAN:
            floats.byteswap()
        parts.append(bytes((_FLOATS,)) + floats.tobytes())
    if isinstance(values, PackedValues):
        if values.blob:
            parts += (bytes((_VALUES,)), _pack_uints(values.sizes), values.blob)
        else:
            parts.append(bytes((_NO_VALUES,)))
    elif any(values):
        parts.append(bytes((_VALUES,)) + _pack_uints([len(v) for v in values]))
        parts.extend(values)
    else:
        parts.append(bytes((_NO_VALUES,)))
    return b"".join(parts)

class DecodedPostings:
    """A flat record read back: ids and weights at once (cheap), values on
    demand (only phrase matching and highlighting need them)."""

    __slots__ = ("ids", "weights", "_data", "_values_at")

    def __init__(self, data: bytes, count: int, base: int = 0):
        deltas, pos = _unpack_uints(data, 0, count)
        self.ids = list(accumulate(deltas, initial=base))[1:] if base else list(accumulate(deltas))
        kind = data[pos]
        if kind == _ALL_ONE:
            self.weights, pos = [1.0] * count, pos + 1
        elif kind == _INTEGERS:
            weights, pos = _unpack_uints(data, pos + 1, count)
            self.weights = array("f", weights)
        else:
            self.weights = array("f")
            self.weights.frombytes(data[pos + 1:pos + 1 + 4 * count])
            if _BIG_ENDIAN:
                self.weights.byteswap()
            pos += 1 + 4 * count
        self._data, self._values_at = data, pos

    def values(self, empty=b"") -> tuple:
        """The values; `empty` stands in when the postings carry none."""
        data, pos, count = self._data, self._values_at, len(self.ids)
        if data[pos] == _NO_VALUES:
            return (empty,) * count
        lengths, pos = _unpack_uints(data, pos + 1, count)
        out = []
        for n in lengths:
            out.append(data[pos:pos + n])
            pos += n
        return tuple(out)


def _empty_value(format_):
    # Whoosh hands formats without values (Existence) None, others b"".
    return None if format_ is not None and format_.fixed_value_size() == 0 else b""
