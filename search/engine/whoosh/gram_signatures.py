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
numpy over a few hundred blocks at a time when the dictionary is written.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Bits in a block's signature: with Reuters' 16 words a block, about 15%
#: of them are set (256 bits let through twice the blocks for ``rian``).
BITS = 512
#: Bytes a block's signature takes in the file.
SIGNATURE_BYTES = BITS // 8
_SHIFT = np.uint64(64 - (BITS.bit_length() - 1))
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits mix every byte
_RUNS = (2, 3)


def signatures(blocks: list[list[bytes]]) -> bytes:
    """The signatures of `blocks` (each a block's keys), SIGNATURE_BYTES
    each, in order."""
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
        bit = _hashed(data, n, starts)[within]
        bits[block_of_key[key_of_byte[:starts][within]], bit] = True
    return np.packbits(bits, axis=1, bitorder="little").tobytes()


def _hashed(data: np.ndarray, n: int, starts: int) -> np.ndarray:
    """The bit of each run of `n` bytes in `data` (the run's length is
    hashed too: ``ab`` and ``\\0ab`` are different runs)."""
    code = np.full(starts, n, np.uint64)
    for offset in range(n):
        code = (code << np.uint64(8)) | data[offset:offset + starts]
    return ((code * _GOLDEN) >> _SHIFT).astype(np.intp)


@lru_cache(maxsize=1024)
def mask(text: bytes) -> tuple[tuple[int, np.uint64], ...] | None:
    """The signature bits every key holding `text` sets, as (word, bits)
    for each 64-bit word of a signature they fall in; None for a string
    shorter than the shortest run (it would pass every block). Kept: a
    wildcard asks once for each segment and field."""
    if len(text) < _RUNS[0]:
        return None
    words = np.frombuffer(signatures([[text]]), np.uint64)
    return tuple((int(i), words[i]) for i in np.flatnonzero(words))


def holding(packed: bytes, wanted: tuple[tuple[int, np.uint64], ...]) -> np.ndarray:
    """The indexes of the signatures in `packed` (SIGNATURE_BYTES each) that
    set every bit of `wanted` (a `mask`), ascending."""
    words = np.frombuffer(packed, np.uint64).reshape(-1, BITS // 64)
    (word, bits), *rest = wanted
    found = np.flatnonzero((words[:, word] & bits) == bits)
    for word, bits in rest:  # (on the blocks left: a word or two leave few)
        found = found[(words[found, word] & bits) == bits]
    return found
