"""The on-disk posting format of the full-text fields.

Whoosh's own ``Positions`` format stores each posting's positions as a
*pickled* Python list plus a 4-byte count: about 13 bytes for a word seen
once, and a pickle call per posting when indexing. :class:`CompactPositions`
stores the count and the position deltas as varints (2 bytes for a word seen
once), and builds the postings of a field straight from the analyzer's
(term, position) pairs, without Whoosh's per-token objects. Both made a
measured difference (see docs/performance-history.md).

Like the analyzer, this class is pickled into the index's schema: renaming
it or changing the encoding needs a schema version bump.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from whoosh import formats
from whoosh.formats import tokens


def encode_varints(numbers) -> bytes:
    out = bytearray()
    for n in numbers:
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
    return bytes(out)


#: Varints of 0 … _SMALL - 1, precomputed: encoding by lookup is 3× faster.
_SMALL = 1 << 14


@lru_cache(maxsize=1)
def _small_varints() -> list[bytes]:
    return [encode_varints((n,)) for n in range(_SMALL)]  # built on first index write


def decode_varints(data: bytes) -> list[int]:
    numbers, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            numbers.append(value)
            value, shift = 0, 0
    return numbers


def _first_varint(data: bytes) -> int:
    value, shift = 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7
    return value


class CompactPositions(formats.Positions):
    """Positions as varints: [count, delta1, delta2, …]."""

    def word_values(self, value, analyzer, **kwargs):
        fast = getattr(analyzer, "term_positions", None)
        if fast is not None and kwargs.get("mode", "index") == "index":
            poses = fast(value, kwargs.get("language"))  # (per-language analysis)
        else:
            poses = defaultdict(list)
            kwargs["positions"] = True
            for t in tokens(value, analyzer, kwargs):
                poses[t.text].append(t.pos)
        boost = self.field_boost
        for word, poslist in poses.items():
            yield word, len(poslist), len(poslist) * boost, self.encode(poslist)

    def encode(self, poslist):
        small = _small_varints()
        if len(poslist) == 1 and poslist[0] < _SMALL:  # most words, most articles
            return small[1] + small[poslist[0]]
        deltas = [len(poslist)]
        base = 0
        for pos in poslist:
            deltas.append(pos - base)
            base = pos
        if max(deltas) < _SMALL:
            return b"".join([small[d] for d in deltas])
        return encode_varints(deltas)

    def decode_positions(self, valuestring):
        numbers = decode_varints(valuestring)
        positions, position = [], 0
        for delta in numbers[1:]:
            position += delta
            positions.append(position)
        return positions

    def decode_frequency(self, valuestring):
        return _first_varint(valuestring)

    def decode_weight(self, valuestring):
        return _first_varint(valuestring) * self.field_boost
