"""The on-disk layout of a segment: flat posting blocks, rare terms inlined
in the term table, and stored fields compressed many documents at a time.

Whoosh's W3 codec pickles every posting block (ids, weights, values), zlibs
the pickle and frames it with a pickled header; a word seen in one article
still costs a header, two pickles and a pointer (W3's "inline" path never
runs: it calls a method that does not exist). Most terms of a news index
are rare (names, figures, ids, hashes), so that overhead dominated: on
Reuters-21578 the index was 8.6× the raw text. :class:`NewsCodec` keeps
Whoosh's block skipping and columns, and changes four things:

* the term table is a front-coded sorted dictionary (`termdict`) instead of
  Whoosh's hash file, whose overhead was ~36 bytes a term;

* posting blocks are flat arrays — id deltas and integer weights in the
  narrowest unsigned type, values as a length array plus one blob — written
  and read with C-speed ``array`` calls instead of pickling;
* posting lists of up to :data:`INLINE_LIMIT` postings live in the term's
  table entry, so a rare word costs no block and no seek;
* stored fields are pickled and compressed :data:`DOCS_PER_BLOCK` documents
  at a time: short articles share one compression window.

A new segment's full-text lists can also be encoded many at once, in numpy
(`inline_entries`, `posting_blocks`): the same bytes as one list at a time.

A segment remembers its codec (Whoosh pickles it into the TOC), so this
module's classes and encodings are part of the index format: changing them
needs a schema version bump.
"""

from __future__ import annotations

import pickle
import struct
import sys
import zlib
from array import array
from itertools import accumulate
from operator import sub

from whoosh.codec import whoosh3
from whoosh.codec.base import FieldCursor
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher
from whoosh.codec.whoosh3 import W3PerDocReader, W3PerDocWriter, W3TermInfo, W3TermsReader
from whoosh.columns import Column, ColumnReader, ColumnWriter
from whoosh.matching import ListMatcher
from whoosh.system import pack_int, pack_long, pack_ushort, unpack_int, unpack_long, unpack_ushort
from whoosh.util.numeric import _length_byte_cache as _LENGTH_BYTES
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import safepickle
from .segment_cache import LRU
from .termdict import TermDictReader, TermDictWriter
from . import term_expansion  # noqa: F401  (fast fuzzy expansion on any reader: see the module)

#: Posting lists this short are stored inside the term table entry.
INLINE_LIMIT = 6
#: Postings per block: the unit of skipping and of decoding.
BLOCK_LIMIT = 128
#: Blocks shorter than this are not worth a zlib call.
COMPRESS_MIN = 256
#: Stored-field documents compressed together (a lookup decompresses them all).
#: 16, not 32: a page of hits decompresses about one block per hit, and a
#: 32-article block cost 0.14 ms on Reuters, 0.30 ms on BBC (16: 0.08, 0.16);
#: with the dictionary below, halving the blocks added 2% to stored text.
DOCS_PER_BLOCK = 16
#: Decompressed stored-field blocks kept per segment (a page of hits, facets).
CACHED_BLOCKS = 32
#: Stored-field blocks sampled for the segment's preset zlib dictionary, the
#: bytes taken from each sampled article, and the dictionary's size.
DICT_BLOCKS = 16
DICT_SAMPLE = 512
DICT_BYTES = 32 * 1024
#: zlib level of stored-field blocks. Reuters-21578's stored articles at
#: level 6: 0.89 s, 8.48 MB; at 5: 0.63 s, 8.56 MB; at 4: 0.44 s, 8.80 MB;
#: at 3: 0.44 s, 9.01 MB. Since the indexing process writes every article
#: itself (see text_builder), their compression is on its critical path.
STORED_LEVEL = 4

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


#: Unsigned array codes by width, narrowest first (as `_narrowest` picks),
#: their bytes in a record, their widths and the first value too big for each.
_UINT_CODES = ("B", "H", "I", "Q")
_UINT_CODE_BYTES = tuple(code.encode("ascii") for code in _UINT_CODES)
_UINT_WIDTHS = tuple(array(code).itemsize for code in _UINT_CODES)
_UINT_LIMITS = tuple(1 << (8 * width) for width in _UINT_WIDTHS[:-1])


def inline_entries(np, ids, weights, sizes, blob: bytes, value_ends, lengths,
                   firsts, counts) -> list[bytes]:
    """The table entries of many short posting lists at once: for each list,
    exactly NewsTermInfo.inline_entry(df, min length, max length,
    encode_postings(ids, weights, PackedValues(sizes, values))), with the
    per-list work done in array operations (one list at a time, that was
    most of writing a segment's terms). Postings are numpy arrays, the lists
    end to end: ids (ascending within a list), weights (whole numbers, 1 or
    more), value sizes and field lengths; `blob` holds the values,
    `value_ends` where each posting's value ends in it; the lists start at
    `firsts` and hold `counts` postings (at most 255)."""
    if not len(firsts):
        return []
    if counts.max() > 255:  # the entry's df is a byte (inline_entry raises too)
        raise ValueError("inline posting lists hold at most 255 postings")
    lists = _EncodedLists(np, ids, weights, sizes, blob, value_ends, lengths, firsts, counts,
                          from_first=False)
    headers = np.stack([np.full(len(counts), NewsTermInfo._INLINE_MARK), counts,
                        lists.length_byte(lists.low, none_as=0),
                        lists.length_byte(lists.high)], axis=1).astype(np.uint8).tobytes()
    return [headers[4 * k:4 * k + 4] + record for k, record in enumerate(lists.records)]


def posting_blocks(np, ids, weights, sizes, blob: bytes, value_ends, lengths, firsts, counts,
                   limit: int) -> list[list[tuple]]:
    """The blocks of many long posting lists at once (arrays as for
    inline_entries): for each list, its blocks of up to `limit` postings as
    (record, count, first id, last id, weight sum, max weight, min length or
    None, max length), each record exactly encode_postings of the block's
    postings counted from its first id: what NewsPostingsWriter.add_list
    would write, for `add_blocks`."""
    if not len(firsts):
        return []
    per_list = (counts + limit - 1) // limit
    block_of = np.repeat(np.arange(len(firsts)), per_list)
    within = np.arange(int(per_list.sum())) - np.repeat(np.cumsum(per_list) - per_list, per_list)
    block_firsts = firsts[block_of] + within * limit
    block_counts = np.minimum(counts[block_of] - within * limit, limit)
    lists = _EncodedLists(np, ids, weights, sizes, blob, value_ends, lengths, block_firsts,
                          block_counts, from_first=True)
    low = np.where(lists.low == _NO_LENGTH, -1, lists.low).tolist()
    rows = zip(lists.records, block_counts.tolist(), lists.first.tolist(), lists.last.tolist(),
               lists.weight_sum.tolist(), lists.weight_max.tolist(), low, lists.high.tolist())
    blocks = [(record, count, first, last, weight, top, None if short < 0 else short, long_)
              for record, count, first, last, weight, top, short, long_ in rows]
    found, at = [], 0
    for n in per_list.tolist():
        found.append(blocks[at:at + n])
        at += n
    return found


#: Stands for "no posting has a length" in a list's shortest length.
_NO_LENGTH = 2 ** 63 - 1


class _EncodedLists:
    """encode_postings of many posting lists at once (see inline_entries),
    and each list's statistics: weight sum and maximum, shortest length
    (_NO_LENGTH if none has one) and longest, first and last id.
    `from_first`: ids counted from each list's first (a block's), else from 0."""

    def __init__(self, np, ids, weights, sizes, blob, value_ends, lengths, firsts, counts,
                 from_first: bool):
        self._np = np
        at = np.repeat(firsts, counts) + (np.arange(int(counts.sum()))
                                          - np.repeat(np.cumsum(counts) - counts, counts))
        starts = np.cumsum(counts) - counts  # each list's first posting, gathered
        ids, weights, sizes, lengths = ids[at], weights[at], sizes[at], lengths[at]
        deltas = ids.copy()
        deltas[1:] -= ids[:-1]
        deltas[starts] = 0 if from_first else ids[starts]
        self.first, self.last = ids[starts], ids[starts + counts - 1]
        self.weight_sum = np.add.reduceat(weights, starts)
        self.weight_max = np.maximum.reduceat(weights, starts)
        self.low = np.minimum.reduceat(np.where(lengths > 0, lengths, _NO_LENGTH), starts)
        self.high = np.maximum.reduceat(lengths, starts)

        all_one = ((self.weight_max == 1)
                   & (np.minimum.reduceat(weights, starts) == 1)).tolist()
        delta_codes = self._codes(np.maximum.reduceat(deltas, starts))
        weight_codes = self._codes(self.weight_max)
        size_codes = self._codes(np.maximum.reduceat(sizes, starts))
        delta_bytes = self._packed(deltas, delta_codes)
        weight_bytes = self._packed(weights, [c for c, one in zip(weight_codes, all_one)
                                              if not one])
        size_bytes = self._packed(sizes, size_codes)

        ends = value_ends[at].tolist()
        value_starts = (value_ends[at] - sizes).tolist()
        code_bytes, widths = _UINT_CODE_BYTES, _UINT_WIDTHS
        all_one_byte, integers_byte = bytes((_ALL_ONE,)), bytes((_INTEGERS,))
        values_byte, no_values_byte = bytes((_VALUES,)), bytes((_NO_VALUES,))
        self.records = records = []
        for k, (start, count) in enumerate(zip(starts.tolist(), counts.tolist())):
            stop = start + count
            dc, sc = delta_codes[k], size_codes[k]
            dw, sw = widths[dc], widths[sc]
            parts = [code_bytes[dc], delta_bytes[dc][start * dw:stop * dw]]
            if all_one[k]:
                parts.append(all_one_byte)
            else:
                wc = weight_codes[k]
                ww = widths[wc]
                parts += (integers_byte, code_bytes[wc], weight_bytes[wc][start * ww:stop * ww])
            first_value, last_value = value_starts[start], ends[stop - 1]
            if last_value > first_value:
                parts += (values_byte, code_bytes[sc], size_bytes[sc][start * sw:stop * sw],
                          blob[first_value:last_value])
            else:
                parts.append(no_values_byte)
            records.append(b"".join(parts))

    def _codes(self, maxima) -> list[int]:
        """The narrowest _UINT_CODES index holding each maximum (_narrowest)."""
        np = self._np
        return np.searchsorted(np.array(_UINT_LIMITS, dtype=np.uint64),
                               maxima.astype(np.uint64), side="right").tolist()

    def _packed(self, values, used) -> dict:
        """Each used width's little-endian bytes of all `values` (read back
        only for the lists whose largest value fits it)."""
        return {code: values.astype(f"<u{_UINT_WIDTHS[code]}").tobytes() for code in set(used)}

    def length_byte(self, lengths, none_as: int | None = None):
        """length_to_byte of each length (`none_as` for _NO_LENGTH): its
        place in Whoosh's table of byte lengths, the last byte for any longer."""
        np = self._np
        table = np.array(_LENGTH_BYTES, dtype=np.int64)
        found = np.minimum(np.searchsorted(table, lengths), len(_LENGTH_BYTES) - 1)
        if none_as is not None:
            found = np.where(lengths == _NO_LENGTH, none_as, found)
        return found


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


# --- term entries -----------------------------------------------------------

class NewsTermInfo(W3TermInfo):
    """Term statistics and, for short posting lists, the postings themselves.

    A long list's entry is W3's (flags, weight, df, min/max length, max
    weight, first/last id, then the postings' offset and length). A short
    list's entry is 4 bytes — a marker, df, min and max length — and the
    postings record, from which the rest is derived: W3's 26-byte header
    made up half of the term table, where most terms are rare."""

    _COMPACT = struct.Struct("<BBBB")
    _INLINE_MARK = 2  # W3 writes 0 (pointer) or 1 (pickled postings)

    def to_bytes(self) -> bytes:
        minlength = 0 if self._minlength is None else length_to_byte(self._minlength)
        if self.is_inlined():
            postings = self._inlined
            if isinstance(postings, DecodedPostings):  # read from disk
                record = encode_postings(postings.ids, list(postings.weights),
                                         list(postings.values()))
            else:
                record = encode_postings(*postings)
            return self.inline_entry(self._df, self._minlength, self._maxlength, record)
        minid = 0xFFFFFFFF if self._minid is None else self._minid
        maxid = 0xFFFFFFFF if self._maxid is None else self._maxid
        head = self._struct.pack(0, self._weight, self._df, minlength,
                                 length_to_byte(self._maxlength), self._maxweight,
                                 minid, maxid)
        return head + pack_long(self._offset) + pack_int(self._length)

    @classmethod
    def inline_entry(cls, df: int, minlength: int | None, maxlength: int,
                     record: bytes) -> bytes:
        """The stored entry of a short list: its postings' `record`
        (encode_postings) behind the 4-byte header."""
        return cls._COMPACT.pack(cls._INLINE_MARK, df,
                                 0 if minlength is None else length_to_byte(minlength),
                                 length_to_byte(maxlength)) + record

    @classmethod
    def from_bytes(cls, data: bytes) -> "NewsTermInfo":
        info = cls()
        if data[0] == cls._INLINE_MARK:
            _, df, minlen, maxlen = cls._COMPACT.unpack(data[:cls._COMPACT.size])
            postings = DecodedPostings(data[cls._COMPACT.size:], df)
            info._inlined = postings
            info._df, info._weight = df, float(sum(postings.weights))
            info._maxweight = float(max(postings.weights))
            info._minid, info._maxid = postings.ids[0], postings.ids[-1]
            info._minlength, info._maxlength = byte_to_length(minlen), byte_to_length(maxlen)
            return info
        size = cls._struct.size
        flags, weight, df, minlen, maxlen, maxweight, minid, maxid = cls._struct.unpack(
            data[:size])
        if flags:
            raise ValueError("W3's pickled inline postings are not a NewsCodec layout")
        info._weight, info._df, info._maxweight = weight, df, maxweight
        info._minlength, info._maxlength = byte_to_length(minlen), byte_to_length(maxlen)
        info._minid = None if minid == 0xFFFFFFFF else minid
        info._maxid = None if maxid == 0xFFFFFFFF else maxid
        info._offset = unpack_long(data[size:size + 8])[0]
        info._length = unpack_int(data[size + 8:size + 12])[0]
        return info

    @classmethod
    def shifted(cls, data: bytes, shift: int) -> bytes | None:
        """A stored entry with its inlined postings' ids moved up by `shift`
        (merging: the term's only postings, renumbered without decoding
        weights or values); None if the entry is not an inlined one."""
        if data[0] != cls._INLINE_MARK:
            return None
        head = cls._COMPACT.size
        deltas, end = _unpack_uints(data, head, data[1])
        numbers = deltas.tolist()
        numbers[0] += shift
        return data[:head] + _pack_uints(numbers) + data[end:]

    @classmethod
    def moved(cls, data: bytes, delta: int) -> bytes:
        """A stored entry with its postings' offset in the postings file
        moved by `delta` (an inlined entry has none: returned as it is)."""
        if data[0] == cls._INLINE_MARK:
            return data
        at = cls._struct.size
        return data[:at] + pack_long(unpack_long(data[at:at + 8])[0] + delta) + data[at + 8:]

    def add_block(self, block) -> None:
        """W3's, through add_figures (which a block encoded elsewhere uses)."""
        self.add_figures(sum(block._weights), len(block), block.min_length(),
                         block.max_length(), block.max_weight(), block.min_id(),
                         block.max_id())

    def add_figures(self, weight, count: int, minlength, maxlength: int, maxweight,
                    first: int, last: int) -> None:
        """Count a block of `count` postings into the term's statistics."""
        self._weight += weight
        self._df += count
        self._minlength = (minlength if self._minlength is None
                           else min(self._minlength, minlength))
        self._maxlength = max(self._maxlength, maxlength)
        self._maxweight = max(self._maxweight, maxweight)
        if self._minid is None:
            self._minid = first
        self._maxid = last

    def inlined_postings(self):
        postings = self._inlined
        if isinstance(postings, DecodedPostings):  # read from disk
            return postings.ids, postings.weights, postings
        return self._inlined


# --- writing postings ---------------------------------------------------------

class NewsPostingsWriter(whoosh3.W3PostingsWriter):
    """Buffers a term's postings; writes flat blocks, or inlines short lists."""

    def _new_block(self) -> None:
        self._ids, self._weights, self._values = [], [], []
        self._minlength, self._maxlength, self._maxweight = None, 0, 0

    def add_posting(self, id_, weight, vbytes, length=None) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        self._values.append(vbytes or b"")
        if weight > self._maxweight:
            self._maxweight = weight
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_list(self, ids, weights, values, lengths=None, bounds=None) -> None:
        """A whole posting list at once (ids ascending): whole blocks are
        cut with slices rather than built one posting at a time. Each
        posting's field length in `lengths`, or (merging, where only the
        merged terms' extremes are at hand) the (min, max) of them all in
        `bounds`: every block then claims those, which only makes score
        bounds looser, never wrong."""
        if self._ids:  # postings buffered by an earlier call go first
            self._write_block()
        count, limit = len(ids), self._blocklimit
        for start in range(0, count, limit):
            end = min(start + limit, count)
            self._ids, self._weights = list(ids[start:end]), list(weights[start:end])
            self._values = _plain_values(values[start:end])
            self._maxweight = max(self._weights)
            if lengths is not None:
                present = [n for n in lengths[start:end] if n]
                self._minlength = min(present) if present else None
                self._maxlength = max(present) if present else 0
            else:
                self._minlength, self._maxlength = bounds
            if end < count:
                self._write_block()

    def copy_blocks(self, postfile, info, shift: int, last: bool) -> None:
        """Append a merged segment's posting blocks of this term, its ids
        moved up by `shift`: frames rewritten, block data copied unread.
        Postings buffered before it are written first (ids stay ascending);
        `last`: nothing follows in this term."""
        if self._ids:
            self._write_block()
        pos = info.extent()[0]
        while True:
            (length, count, first, lastid, maxweight, minlen, maxlen,
             compressed) = _FRAME.unpack(postfile.get(pos, _FRAME.size))
            size = abs(length)
            final = length < 0
            self._postfile.write(_FRAME.pack(
                -size if final and last else size, count, first + shift, lastid + shift,
                maxweight, minlen, maxlen, compressed))
            self._postfile.write(postfile.get(pos + _FRAME.size, size + _INT - _FRAME.size))
            self._blockcount += 1
            pos += _INT + size
            if final:
                break
        mine = self._terminfo
        mine._weight += info.weight()
        mine._df += info.doc_frequency()
        mine._maxweight = max(mine._maxweight, info.max_weight())
        if info.min_length():
            mine._minlength = (info.min_length() if mine._minlength is None
                               else min(mine._minlength, info.min_length()))
        mine._maxlength = max(mine._maxlength, info.max_length() or 0)
        if mine._minid is None:
            mine._minid = info.min_id() + shift
        mine._maxid = info.max_id() + shift

    def finish_postings(self):
        terminfo = self._terminfo
        if not self.written() and len(self._ids) <= self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            terminfo.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        self._terminfo = None
        return terminfo

    def _write_block(self, last: bool = False) -> None:
        self._terminfo.add_block(self)
        self._write_frame(encode_postings(self._ids, self._weights, self._values, self._ids[0]),
                          len(self._ids), self._ids[0], self._ids[-1], self._maxweight,
                          self._minlength, self._maxlength, last)
        self._new_block()

    def add_blocks(self, blocks: list[tuple]) -> None:
        """A whole posting list as `posting_blocks` encoded it: the same
        blocks and term statistics add_list would have written."""
        for n, (record, count, first, last, weight, top, low, high) in enumerate(blocks):
            self._terminfo.add_figures(weight, count, low, high, top, first, last)
            self._write_frame(record, count, first, last, top, low, high,
                              n == len(blocks) - 1)

    def _write_frame(self, data: bytes, count: int, first: int, last_id: int, maxweight,
                     minlength, maxlength, last: bool) -> None:
        """One block: its frame, then its record (compressed if that pays)."""
        compressed = 0
        if self._compression and len(data) >= COMPRESS_MIN:
            packed = zlib.compress(data, self._compression)
            if len(packed) < len(data) * 0.9:
                data, compressed = packed, 1
        length = _FRAME.size - _INT + len(data)
        self._postfile.write(_FRAME.pack(
            -length if last else length, count, first, last_id, maxweight,
            length_to_byte(minlength or 0), length_to_byte(maxlength), compressed))
        self._postfile.write(data)
        self._blockcount += 1


class EntryList:
    """Stands in for a field writer's term table (NewsFieldWriter's
    `terms`): keeps its entries in a list, for another writer to list
    (see text_builder), rather than writing a table to read back."""

    def __init__(self):
        self.extras: dict = {}
        self.entries: list[tuple[bytes, bytes]] = []  # (field id + term, entry)

    def add(self, key: bytes, entry: bytes) -> None:
        self.entries.append((key, entry))

    def fields(self) -> list[tuple[str, list[tuple[bytes, bytes]]]]:
        """[(field, [(term, entry)])], fields in the order written."""
        found: dict[int, list] = {}
        for key, entry in self.entries:
            found.setdefault(unpack_ushort(key[:2])[0], []).append((key[2:], entry))
        names = {number: name for name, number in self.extras["fieldmap"].items()}
        return [(names[number], entries) for number, entries in found.items()]

    def close(self) -> None:
        pass


#: A one-posting list's entry, weight 1, no value or length: the header,
#: then (after the id) the record's ends (see NewsFieldWriter.add_term).
_ONE_POSTING = (NewsTermInfo.inline_entry(1, None, 0, b""), bytes((_ALL_ONE, _NO_VALUES)))


class NewsFieldWriter(W3FieldWriter):
    def __init__(self, codec, storage, segment, terms=None):
        # W3's, with the front-coded term dictionary for its hash table.
        # `terms`: where the term entries go instead (see EntryList).
        self._codec, self._storage, self._segment = codec, storage, segment
        self._fieldname = self._fieldid = self._btext = None
        self._fieldobj = self._format = None
        self._tindex = terms or TermDictWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def start_term(self, btext) -> None:
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, NewsTermInfo())

    def add_list(self, ids, weights, values, lengths=None, bounds=None) -> None:
        """The current term's whole posting list, or (merging) part of it."""
        self._postwriter.add_list(ids, weights, values, lengths, bounds)

    def copy_blocks(self, postfile, info, shift: int, last: bool) -> None:
        """Part of the current term's posting list: see NewsPostingsWriter."""
        self._postwriter.copy_blocks(postfile, info, shift, last)

    def add_blocks(self, btext: bytes, blocks: list[tuple]) -> None:
        """A whole term given as its encoded blocks (codec.posting_blocks)."""
        self.start_term(btext)
        self._postwriter.add_blocks(blocks)
        self.finish_term()

    def add_term(self, btext: bytes, ids, weights, values, lengths) -> None:
        """A whole term: its postings, each with its field length. A short
        list becomes its table entry directly, without the per-term objects
        of start_term/finish_term (the same bytes: most terms are short)."""
        if len(ids) > self._postwriter._inlinelimit:
            self.start_term(btext)
            self._postwriter.add_list(ids, weights, values, lengths)
            self.finish_term()
            return
        if len(ids) == 1 and weights[0] == 1 and not values[0] and not lengths[0]:
            # An identifier's term (an id, a text hash: one an article):
            # the entry's parts that never change made once.
            self.add_entry(btext, _ONE_POSTING[0] + _pack_uints(ids) + _ONE_POSTING[1])
            return
        present = [n for n in lengths if n]
        record = encode_postings(ids, weights, _plain_values(values))
        self.add_entry(btext, NewsTermInfo.inline_entry(
            len(ids), min(present, default=None), max(present, default=0), record))

    @property
    def inline_limit(self) -> int:
        """The longest posting list kept in its term's table entry."""
        return self._codec._inlinelimit

    @property
    def block_limit(self) -> int:
        """Postings a block of a longer list holds at most."""
        return self._codec._blocklimit

    def add_entry(self, btext: bytes, entry: bytes) -> None:
        """A whole term given as its stored entry (see NewsTermInfo.shifted)."""
        self._tindex.add(pack_ushort(self._fieldid) + btext, entry)


# --- reading postings ---------------------------------------------------------

class NewsLeafMatcher(W3LeafMatcher):
    """Walks a term's flat blocks; skipping reads only block frames."""

    def _read_header(self) -> None:
        self._baseoffset = self._startoffset

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        (length, self._blocklength, self._firstid, self._maxid, self._maxweight, minlen,
         maxlen, self._compression) = _FRAME.unpack(self._postfile.get(position, _FRAME.size))
        self._lastblock = length < 0
        self._nextoffset = position + _INT + abs(length)
        self._dataoffset = position + _FRAME.size
        self._minlength, self._maxlength = byte_to_length(minlen), byte_to_length(maxlen)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression:
            data = zlib.decompress(data)
        self._data = DecodedPostings(data, self._blocklength, self._firstid)
        self._ids, self._weights = self._data.ids, self._data.weights

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()

    _read_weights = _read_ids  # one decode sets both

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        self._values = self._data.values(_empty_value(self.format))


def posting_ids(matcher) -> list[int]:
    """Every document number of a raw (unfiltered) posting matcher, read a
    block at a time where the codec allows."""
    if isinstance(matcher, NewsLeafMatcher):
        ids: list[int] = []
        for block in _blocks(matcher):
            ids.extend(block.ids)
        return ids
    if isinstance(matcher, ListMatcher):
        return list(matcher._ids)
    return list(matcher.all_ids())


def read_postings(terms, terminfo, format_) -> tuple[list[int], list[float], tuple]:
    """A term's whole posting list — ids, weights, values — from a segment's
    terms reader and the term's entry: decoded a block at a time, for
    merging segments without re-filing one posting at a time."""
    empty = _empty_value(format_)
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        if isinstance(values, DecodedPostings):
            values = values.values(empty)
        return list(ids), list(weights), tuple(values)
    offset, length = terminfo.extent()
    ids: list[int] = []
    weights: list[float] = []
    values: list = []
    for block in _blocks(NewsLeafMatcher(terms._postfile, offset, length, format_)):
        ids.extend(block.ids)
        weights.extend(block.weights)
        values.extend(block.values(empty))
    return ids, weights, tuple(values)


def _blocks(matcher: NewsLeafMatcher):
    """Each block of a raw posting matcher's list, decoded, from its current
    one to the last."""
    while True:
        matcher._read_ids()
        yield matcher._data
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def term_doc_ids(reader, fieldname: str, btext: bytes) -> list[int]:
    """Every document number (deleted ones included) of an existing term in
    a segment reader, read a block at a time; any other reader (an empty
    index) through its ordinary postings."""
    terms = getattr(reader, "_terms", None)
    if terms is None:
        return list(reader.postings(fieldname, btext).all_ids())
    return posting_ids(terms.matcher(fieldname, btext, reader.schema[fieldname].format))


def term_postings(reader, fieldname: str, btext: bytes) -> tuple[list[int], list[float]]:
    """Document numbers and weights (term frequencies) of an existing term in
    a segment reader, deleted documents left out, read a block at a time
    (ranking reads whole lists: a posting at a time was most of its cost)."""
    terms = getattr(reader, "_terms", None)
    matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format) \
        if terms is not None else None
    if isinstance(matcher, NewsLeafMatcher):
        ids: list[int] = []
        weights: list[float] = []
        for block in _blocks(matcher):
            ids.extend(block.ids)
            weights.extend(block.weights)
    elif isinstance(matcher, ListMatcher) and matcher._weights is not None:
        ids, weights = list(matcher._ids), list(matcher._weights)
    else:
        return _walk_postings(reader.postings(fieldname, btext))
    if reader.has_deletions():
        deleted = frozenset(reader._perdoc.deleted_docs())  # (an iterator: read it once)
        kept = [i for i, docnum in enumerate(ids) if docnum not in deleted]
        ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
    return ids, weights


def _walk_postings(postings) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    while postings.is_active():
        ids.append(postings.id())
        weights.append(postings.weight())
        postings.next()
    return ids, weights


class NewsFieldCursor(FieldCursor):
    """Walks one field's terms in order (Whoosh's fuzzy and pattern
    queries use it)."""

    def __init__(self, tindex, fieldname, keycoder, fieldobj):
        self._tindex, self._fieldobj = tindex, fieldobj
        self._prefix = keycoder(fieldname, b"")
        self._items = iter(())
        self._text = self._entry = None
        self.first()

    def first(self):
        return self._start(self._prefix)

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        return self._start(self._prefix + term)

    def _start(self, key: bytes):
        self._items = self._tindex.items_from(key)
        return self.next()

    def next(self):
        for key, entry in self._items:
            if key.startswith(self._prefix):
                self._text = self._fieldobj.from_bytes(key[len(self._prefix):])
                self._entry = entry
                return self._text
            break
        self._items, self._text, self._entry = iter(()), None, None
        return None

    def text(self):
        return self._text

    def term_info(self):
        return None if self._entry is None else NewsTermInfo.from_bytes(self._entry)

    def is_valid(self) -> bool:
        return self._entry is not None


class NewsTermsReader(W3TermsReader):
    def __init__(self, codec, dbfile, length, postfile):
        # W3's, reading the front-coded term dictionary.
        self._codec, self._dbfile, self._postfile = codec, dbfile, postfile
        self._tindex = TermDictReader(dbfile, length)
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, number in self._fieldmap.items():
            self._fieldunmap[number] = fieldname

    def cursor(self, fieldname, fieldobj):
        return NewsFieldCursor(self._tindex, fieldname, self._keycoder, fieldobj)

    def field_entries(self, fieldname: str):
        """(term bytes, stored entry) of every term of a field, in term
        order, the entries undecoded (merging copies most of them as they
        are: see NewsTermInfo.shifted)."""
        if fieldname not in self._fieldmap:
            return
        prefix = self._keycoder(fieldname, b"")
        for key, entry in self._tindex.items_from(prefix):
            if not key.startswith(prefix):
                return
            yield key[len(prefix):], entry

    def items(self):
        decode = self._keydecoder
        return ((decode(k), NewsTermInfo.from_bytes(v)) for k, v in self._tindex.items())

    def items_from(self, fieldname, prefix):
        decode = self._keydecoder
        return ((decode(k), NewsTermInfo.from_bytes(v))
                for k, v in self._tindex.items_from(self._keycoder(fieldname, prefix)))

    # Not read at W3's fixed offsets: compact entries have none. A missing
    # term counts 0, as with W3.
    def frequency(self, fieldname, tbytes):
        value = self._tindex.get(self._keycoder(fieldname, tbytes))
        return NewsTermInfo.from_bytes(value).weight() if value is not None else 0

    def doc_frequency(self, fieldname, tbytes):
        value = self._tindex.get(self._keycoder(fieldname, tbytes))
        return NewsTermInfo.from_bytes(value).doc_frequency() if value is not None else 0

    def term_info(self, fieldname, tbytes):
        key = self._keycoder(fieldname, tbytes)
        try:
            return NewsTermInfo.from_bytes(self._tindex[key])
        except KeyError:
            from whoosh.reading import TermNotFound

            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None


# --- stored fields ------------------------------------------------------------

class StoredBlocksColumn(Column):
    """Per-document stored dicts, pickled and zlib-compressed in blocks of
    DOCS_PER_BLOCK documents, against a preset dictionary: the openings of
    articles sampled from the segment's first blocks (a 16-article block is
    shorter than zlib's window, so its first articles had nothing to refer
    back to; the dictionary took 8% off Reuters' stored text at no cost in
    reading; segments of fewer than DICT_BLOCKS blocks have none). Layout:
    the blocks, the dictionary, a table of the blocks' offsets (uint64, one
    more than there are blocks), then the dictionary's length and the block
    count (uint32 each)."""

    def writer(self, dbfile):
        return self.Writer(dbfile)

    @staticmethod
    def dictionary(pickles: list[bytes]) -> bytes:
        """The preset dictionary for documents whose stored dicts pickle to
        `pickles` (the first DICT_BLOCKS blocks' worth): the openings of a
        sample of them, DICT_BYTES at most."""
        docs = [doc for doc in pickles if doc]
        step = max(len(docs) * DICT_SAMPLE // DICT_BYTES, 1)
        return b"".join(doc[:DICT_SAMPLE] for doc in docs[::step])[-DICT_BYTES:]

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(ColumnWriter):
        def __init__(self, dbfile):
            self._dbfile = dbfile
            self._start = dbfile.tell()
            self._block: list = []
            self._offsets: list[int] = []
            self._count = 0
            self._zdict: bytes | None = None  # chosen once DICT_BLOCKS are in
            self._waiting: list[list[bytes]] = []  # blocks before it

        def add(self, docnum: int, value) -> None:
            while self._count < docnum:
                self._push(b"")
            # Each document pickled on its own: every read unpickles fresh
            # objects, so a caller changing a stored list changes no cache.
            self.add_pickled(docnum, pickle.dumps(value, 4) if value else b"")

        def add_pickled(self, docnum: int, data: bytes) -> None:
            """A document's stored dict as `Reader.pickled` gave it (merging:
            copied without unpickling and pickling it again)."""
            while self._count < docnum:
                self._push(b"")
            self._push(data)

        def _push(self, value) -> None:
            self._block.append(value)
            self._count += 1
            if len(self._block) == DOCS_PER_BLOCK:
                self._flush()

        def _flush(self) -> None:
            block, self._block = self._block, []
            if self._zdict is None:
                self._waiting.append(block)
                if len(self._waiting) == DICT_BLOCKS:
                    self._choose_dictionary()  # writes the waiting blocks
                return
            self._write(block)

        def _choose_dictionary(self) -> None:
            self._release(StoredBlocksColumn.dictionary(
                [doc for block in self._waiting for doc in block]))

        def preset(self, zdict: bytes) -> None:
            """Compress against `zdict` (see `dictionary`) rather than one
            chosen from this column's first blocks: segments built apart
            for one run share it, and their blocks merge without being
            compressed again (see `copy_blocks`). Before any document."""
            if self._count or self._zdict is not None:
                raise ValueError("the dictionary is set before the first document")
            self._zdict = zdict

        def copy_blocks(self, reader: "StoredBlocksColumn.Reader", docnum: int) -> bool:
            """Append a segment's whole stored column (`reader`) as documents
            `docnum` on, its compressed blocks copied as they are; False
            (nothing done) unless they fit: the same dictionary, and this
            column at a block's start. A column with nothing in it yet takes
            the reader's dictionary. The last block, if short, is unpacked
            (the next documents fill it up)."""
            while self._count < docnum:
                self._push(b"")
            if self._block or self._count % DOCS_PER_BLOCK:
                return False
            if not reader._zdict:
                return False
            if self._zdict is None and not self._count and not self._waiting:
                self._zdict = reader._zdict
            if self._zdict != reader._zdict:
                return False
            full, rest = divmod(len(reader), DOCS_PER_BLOCK)
            for number in range(full):
                self._offsets.append(self._dbfile.tell() - self._start)
                self._dbfile.write(reader.raw_block(number))
            self._count += full * DOCS_PER_BLOCK
            for data in (reader._block(full)[:rest] if rest else ()):
                self._push(data)
            return True

        def _release(self, zdict: bytes) -> None:
            """Settle the dictionary and write the blocks waiting for it."""
            self._zdict = zdict
            waiting, self._waiting = self._waiting, []
            for block in waiting:
                self._write(block)

        def _write(self, block: list[bytes]) -> None:
            self._offsets.append(self._dbfile.tell() - self._start)
            packer = (zlib.compressobj(STORED_LEVEL, zdict=self._zdict) if self._zdict
                      else zlib.compressobj(STORED_LEVEL))
            raw = pickle.dumps(block, 4)
            self._dbfile.write(packer.compress(raw) + packer.flush())

        def finish(self, doccount: int) -> None:
            while self._count < doccount:
                self._push(b"")
            if self._block:
                self._flush()
            if self._zdict is None:  # too few blocks to pay for a dictionary
                self._release(b"")
            self._dbfile.write(self._zdict)
            table = array("Q", [*self._offsets, self._dbfile.tell() - self._start
                                - len(self._zdict)])
            if _BIG_ENDIAN:
                table.byteswap()
            self._dbfile.write(table.tobytes())
            self._dbfile.write(struct.pack("<II", len(self._zdict), len(self._offsets)))

    class Reader(ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            self._dbfile, self._basepos, self._doccount = dbfile, basepos, doccount
            zlength, blocks = struct.unpack("<II", dbfile.get(basepos + length - 8, 8))
            table_at = basepos + length - 8 - 8 * (blocks + 1)
            table = array("Q")
            table.frombytes(dbfile.get(table_at, 8 * (blocks + 1)))
            if _BIG_ENDIAN:
                table.byteswap()
            self._offsets = table
            self._zdict = bytes(dbfile.get(table_at - zlength, zlength))
            self._blocks = LRU(CACHED_BLOCKS)  # block number → decompressed block

        def __len__(self) -> int:
            return self._doccount

        def _block(self, number: int) -> list:
            return self._blocks.get(number, lambda: self._decompress(number))

        def _decompress(self, number: int) -> list:
            data = self.raw_block(number)
            unpacker = (zlib.decompressobj(zdict=self._zdict) if self._zdict
                        else zlib.decompressobj())
            return safepickle.loads(unpacker.decompress(data) + unpacker.flush())

        def __getitem__(self, docnum: int):
            value = self.pickled(docnum)
            return safepickle.loads(value) if value else None

        def raw_block(self, number: int) -> bytes:
            """Block `number` as stored: compressed (see Writer.copy_blocks)."""
            start, end = self._offsets[number], self._offsets[number + 1]
            return bytes(self._dbfile.get(self._basepos + start, end - start))

        def pickled(self, docnum: int) -> bytes:
            """A document's stored dict, still pickled (b"" if it has none)."""
            return self._block(docnum // DOCS_PER_BLOCK)[docnum % DOCS_PER_BLOCK]

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]


STORED_BLOCKS = StoredBlocksColumn()


class NewsPerDocWriter(W3PerDocWriter):
    """W3's, with field-length bytes gathered per column and written once
    at the end (W3 files each through the column machinery: an eighth of
    building a segment)."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._length_bytes: dict[str, bytearray] = {}  # length column → bytes

    def add_column_value(self, fieldname, column, value) -> None:
        if column is not whoosh3.LENGTHS_COLUMN:
            super().add_column_value(fieldname, column, value)
            return
        self._lengths_up_to(fieldname, self._docnum).append(value)

    def add_length_bytes(self, fieldname: str, docnum: int, data: bytes) -> None:
        """Length bytes (LENGTHS_COLUMN's, one a document) of documents
        `docnum` on, all at once (a merge copies a segment's like this)."""
        self._lengths_up_to(fieldname, docnum).extend(data)

    def _lengths_up_to(self, fieldname: str, docnum: int) -> bytearray:
        """A length column's bytes, padded with zeros (no length) up to `docnum`."""
        lengths = self._length_bytes.get(fieldname)
        if lengths is None:
            lengths = self._length_bytes[fieldname] = bytearray()
        if len(lengths) < docnum:
            lengths.extend(bytes(docnum - len(lengths)))
        return lengths

    def close(self) -> None:
        for name, lengths in self._length_bytes.items():
            # What LENGTHS_COLUMN's writer makes of the same bytes, one by one.
            self._create_column(name, whoosh3.LENGTHS_COLUMN)
            self._colwriters[name]._dbfile.write(bytes(lengths))
            self._colwriters[name]._count = len(lengths)
        self._length_bytes = {}
        super().close()

    def _create_column(self, fieldname, column):
        if fieldname == "_stored":
            column = STORED_BLOCKS
        super()._create_column(fieldname, column)

    def preset_stored_dictionary(self, zdict: bytes) -> None:
        """Compress stored fields against `zdict` (StoredBlocksColumn.preset)."""
        self._colwriters["_stored"].preset(zdict)

    def copy_stored(self, reader: "StoredBlocksColumn.Reader", docnum: int) -> bool:
        """Another segment's stored fields as documents `docnum` on, blocks
        copied compressed if they fit (StoredBlocksColumn.Writer.copy_blocks)."""
        return self._colwriters["_stored"].copy_blocks(reader, docnum)

    def add_stored_pickle(self, data: bytes) -> None:
        """The current document's stored fields, as NewsPerDocReader.
        stored_pickle gave them (in place of add_field's stored values)."""
        self._colwriters["_stored"].add_pickled(self._docnum, data)


class NewsPerDocReader(W3PerDocReader):
    def stored_fields(self, docnum):
        return self._cached_reader("_stored", STORED_BLOCKS)[docnum] or {}

    def stored_column(self) -> "StoredBlocksColumn.Reader":
        return self._cached_reader("_stored", STORED_BLOCKS)

    def stored_pickle(self, docnum: int) -> bytes:
        """A document's stored fields, still pickled (merging copies them)."""
        return self.stored_column().pickled(docnum)


# --- the codec ----------------------------------------------------------------

class NewsCodec(W3Codec):
    """W3 with flat posting blocks, inlined rare terms and block-compressed
    stored fields. Pass to ``ix.writer(codec=NewsCodec())``; readers follow
    each segment's own codec."""

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = 1,
                 inlinelimit: int = INLINE_LIMIT):
        super().__init__(blocklimit=blocklimit, compression=compression,
                         inlinelimit=inlinelimit)

    def per_document_writer(self, storage, segment):
        return NewsPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return NewsPerDocReader(storage, segment)

    def field_writer(self, storage, segment):
        return NewsFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors keep W3's layout and its (working) settings
            return whoosh3.W3PostingsWriter(dbfile, blocklimit=self._blocklimit,
                                            byteids=True, compression=self._compression)
        return NewsPostingsWriter(dbfile, blocklimit=self._blocklimit,
                                  compression=self._compression,
                                  inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            if isinstance(values, DecodedPostings):
                values = values.values(_empty_value(format_))
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                               terminfo=terminfo)
        offset, length = terminfo.extent()
        return NewsLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def terms_reader(self, storage, segment):
        name = segment.make_filename(self.TERMS_EXT)
        return NewsTermsReader(self, storage.open_file(name), storage.file_length(name),
                               segment.open_file(storage, self.POSTS_EXT))
