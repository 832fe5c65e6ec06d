"""Many short posting lists encoded at once, in numpy: a new segment's
full-text lists (`text_postings`) get the same bytes `records.encode_postings`
gives one list at a time, as table entries (`inline_entries`) or blocks
(`posting_blocks`)."""

from __future__ import annotations

from array import array

from whoosh.util.numeric import _length_byte_cache as _LENGTH_BYTES

from .records import _ALL_ONE, _INTEGERS, _NO_VALUES, _VALUES
from .terms import NewsTermInfo

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
