"""Which blocks of a term dictionary can hold a string: a signature per
block of the byte pairs and triples its keys hold.

A wildcard with a star before its letters (`*companies`) can match a term
anywhere in a field's vocabulary, so it used to read every key of every
segment: ~0.6 µs a key, 50 ms for Reuters-21578's 78,000 words, and 2.8×
that on ten segments, which hold 2.8× the keys between them. Each block of
the term dictionary now carries a 512-bit signature: every 2- and 3-byte
run of its keys, hashed to one bit. A term holding ``companies`` holds its
runs (``co``, ``com``, ``om``, ...), so a block whose signature lacks one of
their bits holds no such term and is passed over unread. On Reuters the
signatures of `body_words` leave 3 of 3,697 blocks for ``companies``, 20
for ``nister`` (10 of them hold it).

The filter is exact by construction: a block is skipped only when one of
the string's runs is in none of its keys. Hash collisions only let through
blocks that are then read and matched as before.

Signatures are 64 bytes a block of 16 keys (4 bytes a key), computed with
numpy over a few hundred blocks at a time when the dictionary is written,
and tested without it when a wildcard is searched (a cold `newssearch
query` would pay numpy's import, 50 ms, ten times a wildcard's walk).
"""

from __future__ import annotations

from functools import lru_cache

#: Bits in a block's signature: with Reuters' 16 words a block, about 15%
#: of them are set (256 bits let through twice the blocks for ``rian``).
BITS = 512
#: Bytes a block's signature takes in the file.
SIGNATURE_BYTES = BITS // 8
_SHIFT = 64 - (BITS.bit_length() - 1)
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: the top bits mix every byte
_RUNS = (2, 3)


def signatures(blocks: list[list[bytes]]) -> bytes:
    """The signatures of `blocks` (each a block's keys), SIGNATURE_BYTES
    each, in order: bit b of a signature is bit b % 8 of its byte b // 8."""
    import numpy as np  # (writing only: a search reads signatures without it, see mask)

    keys = [key for block in blocks for key in block]
    data = np.frombuffer(b"".join(keys), np.uint8).astype(np.uint64)
    key_of_byte = np.repeat(np.arange(len(keys)), [len(key) for key in keys])
    block_of_key = np.repeat(np.arange(len(blocks)), [len(block) for block in blocks])
    bits = np.zeros((len(blocks), BITS), bool)
    for n in _RUNS:
        if len(data) < n:
            continue
        starts = len(data) - n + 1
        within = key_of_byte[:starts] == key_of_byte[n - 1:]  # (runs across two keys: none)
        code = np.full(starts, n, np.uint64)  # (the run's length hashed too: ab is not \0ab)
        for offset in range(n):
            code = (code << np.uint64(8)) | data[offset:offset + starts]
        bit = ((code * np.uint64(_GOLDEN)) >> np.uint64(_SHIFT)).astype(np.intp)[within]
        bits[block_of_key[key_of_byte[:starts][within]], bit] = True
    return np.packbits(bits, axis=1, bitorder="little").tobytes()


def _bits(text: bytes) -> set[int]:
    """The bits `signatures` sets for a key `text`, computed as it does
    without numpy (a cold search must not import it: 50 ms)."""
    found = set()
    for n in _RUNS:
        for at in range(len(text) - n + 1):
            code = n
            for byte in text[at:at + n]:
                code = (code << 8) | byte
            found.add(((code * _GOLDEN) & 0xFFFF_FFFF_FFFF_FFFF) >> _SHIFT)
    return found


@lru_cache(maxsize=1024)
def mask(text: bytes) -> tuple[tuple[int, int], ...] | None:
    """The signature bits every key holding `text` sets, as (byte, bits)
    for each byte of a signature they fall in, the bytes with most bits
    first (they pass fewest blocks); None for a string shorter than the
    shortest run (it would pass every block). Kept: a wildcard asks once
    for each segment and field."""
    if len(text) < _RUNS[0]:
        return None
    by_byte: dict[int, int] = {}
    for bit in _bits(text):
        by_byte[bit >> 3] = by_byte.get(bit >> 3, 0) | 1 << (bit & 7)
    return tuple(sorted(by_byte.items(), key=lambda item: -bin(item[1]).count("1")))


def holding(packed: bytes, wanted: tuple[tuple[int, int], ...]) -> list[int]:
    """The indexes of the signatures in `packed` (SIGNATURE_BYTES each) that
    set every bit of `wanted` (a `mask`), ascending."""
    (at, bits), *rest = wanted
    # One byte of every signature, in one slice: most blocks fail there.
    found = [n for n, byte in enumerate(packed[at::SIGNATURE_BYTES]) if byte & bits == bits]
    for at, bits in rest:
        found = [n for n in found if packed[n * SIGNATURE_BYTES + at] & bits == bits]
    return found
