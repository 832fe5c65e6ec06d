"""A segment's term dictionary: every (field, term) key in order with its
entry (a `codec.NewsTermInfo`), front-coded in small blocks.

Whoosh's OrderedHashWriter keeps a hash table beside the sorted keys: with
its slots, positions and length fields that is about 36 bytes per term
before the key and entry themselves. Most terms of a news index are rare
(names, figures, ids), so on Reuters-21578 the term table was the largest
file of the index (60 bytes a term). Here keys are sorted, each written as
the length of the prefix it shares with the previous key plus the rest, in
blocks of :data:`BLOCK_TERMS`; the first key of every block and the block
offsets are kept in memory, so a lookup is a binary search and a scan of one
(cached) block.

Layout: magic, the blocks, the block offsets (uint64, one more than there
are blocks), the first keys (uint32 lengths, then the bytes), the blocks'
signatures (`gram_signatures`: which strings a block can hold, for
wildcards), the pickled extras (Whoosh's field map), then a footer locating
those sections. Files written before signatures (magic ``NTD1``) are read
as before; their wildcards read every block.
"""

from __future__ import annotations

import pickle
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Iterator

from . import gram_signatures, safepickle
from .segment_cache import LRU

MAGIC = b"NTD2"
#: The magic of dictionaries written without signatures (read as ever).
MAGIC_UNSIGNED = b"NTD1"
#: Keys per block: the unit of front coding and of decoding on a lookup.
BLOCK_TERMS = 16
#: Every this many blocks, a first key kept as bytes for lookups' bisect
#: (a million articles: 13,000 of them, ~2 ms to cut on the first lookup).
SAMPLE_EVERY = 16
#: Decoded blocks kept per reader (a query's words, a merge's cursor).
CACHED_BLOCKS = 256
#: Looked-up keys kept per reader, with their values.
CACHED_KEYS = 4096
#: Blocks' keys (without their values) kept per reader, for walks and the
#: jumps of fuzzy and wildcard words, apart from the blocks lookups keep.
CACHED_KEY_BLOCKS = 64
#: Blocks whose signatures are computed together (numpy's per-call cost
#: spread over ~4,000 keys; their keys are all the writer holds).
SIGNED_TOGETHER = 256

# offsets, block count, first keys, signatures, extras, end, magic
_FOOTER = struct.Struct("<QQQQQQ4s")
_FOOTER_UNSIGNED = struct.Struct("<QQQQQ4s")  # (no signatures)
_BIG_ENDIAN = sys.byteorder == "big"


def _varint(n: int) -> bytes:
    if n < 0x80:
        return _ONE_BYTE[n]  # nearly every prefix, suffix and entry length
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_ONE_BYTE = [bytes((n,)) for n in range(0x80)]


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _read_block(data: bytes, until: bytes | None = None,
                values: list | None = None) -> tuple[list[bytes], bytes | None]:
    """The keys of a front-coded block, in order (each value appended to
    `values` if given); with `until`, read only as far as the first key at
    or after it, whose value comes back too. One loop, varints of one byte
    (nearly all of them) read inline: every first lookup of a word, and
    every key a pattern walks, passes here."""
    keys = []
    key, pos, size = b"", 0, len(data)
    while pos < size:
        shared = data[pos]
        if shared < 0x80:
            pos += 1
        else:
            shared, pos = _read_varint(data, pos)
        rest = data[pos]
        if rest < 0x80:
            pos += 1
        else:
            rest, pos = _read_varint(data, pos)
        key = key[:shared] + data[pos:pos + rest]
        pos += rest
        length = data[pos]
        if length < 0x80:
            pos += 1
        else:
            length, pos = _read_varint(data, pos)
        keys.append(key)
        if values is not None:
            values.append(data[pos:pos + length])
        pos += length
        if until is not None and key >= until:
            return keys, data[pos - length:pos]
    return keys, None


def _shared_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _after_prefix(prefix: bytes) -> bytes | None:
    """The least key after every key starting with `prefix` (None: no key
    is, for an empty prefix or one of 0xff bytes only)."""
    stem = prefix.rstrip(b"\xff")
    return stem[:-1] + bytes((stem[-1] + 1,)) if stem else None


def _array(code: str, numbers) -> bytes:
    packed = array(code, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def _unarray(code: str, data: bytes) -> array:
    numbers = array(code)
    numbers.frombytes(data)
    if _BIG_ENDIAN:
        numbers.byteswap()
    return numbers


class TermDictWriter:
    """Writes keys (ascending, each once) and their entries to `dbfile`;
    ``extras`` is saved with them (Whoosh keeps its field map there)."""

    def __init__(self, dbfile):
        self._file = dbfile
        self.extras: dict = {}
        self._start = dbfile.tell()
        dbfile.write(MAGIC)
        self._parts: list[bytes] = []
        self._in_block = 0
        self._offsets: list[int] = []
        self._first_keys: list[bytes] = []
        self._previous: bytes | None = None
        self._block_keys: list[bytes] = []
        self._unsigned: list[list[bytes]] = []  # blocks written, not yet signed
        self._signatures = bytearray()

    def add(self, key: bytes, value: bytes) -> None:
        previous = self._previous
        if previous is not None and key <= previous:
            raise ValueError(f"term keys must ascend: {key!r} after {previous!r}")
        if self._in_block == BLOCK_TERMS:
            self._flush()
        if self._in_block == 0:
            self._first_keys.append(key)
            shared = 0
        else:
            shared = _shared_prefix(previous, key)
        self._parts += (_varint(shared), _varint(len(key) - shared), key[shared:],
                        _varint(len(value)), value)
        self._block_keys.append(key)
        self._in_block += 1
        self._previous = key

    def _flush(self) -> None:
        self._offsets.append(self._file.tell() - self._start)
        self._file.write(b"".join(self._parts))
        self._parts, self._in_block = [], 0
        self._unsigned.append(self._block_keys)
        self._block_keys = []
        if len(self._unsigned) == SIGNED_TOGETHER:
            self._sign()

    def _sign(self) -> None:
        if self._unsigned:
            self._signatures += gram_signatures.signatures(self._unsigned)
            self._unsigned = []

    def close(self) -> None:
        if self._in_block:
            self._flush()
        self._sign()
        f, start = self._file, self._start
        offsets_at = f.tell() - start
        f.write(_array("Q", [*self._offsets, offsets_at]))
        keys_at = f.tell() - start
        f.write(_array("I", [len(k) for k in self._first_keys]))
        f.write(b"".join(self._first_keys))
        signatures_at = f.tell() - start
        f.write(self._signatures)
        extras_at = f.tell() - start
        f.write(pickle.dumps(self.extras, 4))
        end = f.tell() - start
        f.write(_FOOTER.pack(offsets_at, len(self._offsets), keys_at, signatures_at, extras_at,
                             end, MAGIC))
        f.close()


class TermDictReader:
    """Reads a TermDictWriter's file: lookups, and ordered iteration from
    any key. Safe to share between threads."""

    def __init__(self, dbfile, length: int):
        self.dbfile = dbfile
        magic = dbfile.get(length - len(MAGIC), len(MAGIC)) if length >= len(MAGIC) else b""
        if magic not in (MAGIC, MAGIC_UNSIGNED) or dbfile.get(0, len(MAGIC)) != magic:
            raise ValueError("not a newssearch term dictionary")
        if magic == MAGIC:
            footer = dbfile.get(length - _FOOTER.size, _FOOTER.size)
            offsets_at, blocks, keys_at, signatures_at, extras_at, end, _ = _FOOTER.unpack(footer)
            self._signatures_at: int | None = signatures_at
        else:
            footer = dbfile.get(length - _FOOTER_UNSIGNED.size, _FOOTER_UNSIGNED.size)
            offsets_at, blocks, keys_at, extras_at, end, _ = _FOOTER_UNSIGNED.unpack(footer)
            self._signatures_at = signatures_at = None
        self._offsets = _unarray("Q", dbfile.get(offsets_at, 8 * (blocks + 1)))
        # The blocks' first keys stay in their one blob, found by where each
        # ends: a bytes object per block (205,000 on a million articles) took
        # 40 ms of every process's first search; the ends take a tenth of it.
        lengths = _unarray("I", dbfile.get(keys_at, 4 * blocks))
        self._blocks = blocks
        keys_end = extras_at if signatures_at is None else signatures_at
        self._key_blob = dbfile.get(keys_at + 4 * blocks, keys_end - keys_at - 4 * blocks)
        self._key_ends = array("Q", accumulate(lengths, initial=0))
        self.extras = safepickle.loads(dbfile.get(extras_at, end - extras_at))
        self._samples: list[bytes] | None = None  # see _block_of; made on first use
        self._cache = LRU(CACHED_BLOCKS)  # block number → decoded block
        self._found = LRU(CACHED_KEYS)  # key → value (None: absent), of lookups
        self._key_blocks = LRU(CACHED_KEY_BLOCKS)  # block number → its keys

    def __len__(self) -> int:  # blocks are full but the last
        blocks = self._blocks
        return 0 if not blocks else (blocks - 1) * BLOCK_TERMS + len(self._block(blocks - 1)[0])

    # --- blocks ------------------------------------------------------------------

    def _block(self, number: int) -> tuple[list[bytes], list[bytes], dict]:
        """(keys, values, key → value) of block `number`, decoded once."""
        return self._cache.get(number, lambda: self._decode(number))

    def _decode(self, number: int) -> tuple[list[bytes], list[bytes], dict]:
        values: list[bytes] = []
        keys, _ = _read_block(self._data(number), values=values)
        return keys, values, dict(zip(keys, values))

    def _data(self, number: int) -> bytes:
        start = self._offsets[number]
        return self.dbfile.get(start, self._offsets[number + 1] - start)

    def _scan(self, number: int, wanted: bytes):
        """The value of `wanted` in block `number` (None if absent), reading
        the block only as far as that key: a search's words are each looked
        up in a block read for nothing else (half a block, not a whole one
        decoded and kept)."""
        keys, value = _read_block(self._data(number), wanted)
        return value if keys and keys[-1] == wanted else None

    def _first_key(self, number: int) -> bytes:
        ends = self._key_ends
        return self._key_blob[ends[number]:ends[number + 1]]

    def _block_of(self, key: bytes) -> int:
        """The block that would hold `key` (-1: before every key): a bisect
        over every SAMPLE_EVERY-th block's first key (kept as bytes: a bisect
        in C), then over the first keys of the blocks between two samples
        (cut from their blob, one call each)."""
        samples = self._samples
        if samples is None:
            samples = self._samples = [self._first_key(n) for n in
                                       range(0, self._blocks, SAMPLE_EVERY)]
        sampled = bisect_right(samples, key) - 1
        if sampled < 0:
            return -1
        low = sampled * SAMPLE_EVERY
        high = min(low + SAMPLE_EVERY, self._blocks)
        return bisect_right(range(low, high), key, key=self._first_key) - 1 + low

    # --- lookups -----------------------------------------------------------------

    def get(self, key: bytes, default=None):
        # A query looks its words up several times (matching, scores,
        # suggestions): each key's answer is kept, so its block is found
        # (a bisect over the first keys) and read once, not its whole
        # block decoded and kept.
        value = self._found.get(key, lambda: self._lookup(key))
        return default if value is None else value

    def _lookup(self, key: bytes) -> bytes | None:
        number = self._block_of(key)
        if number < 0:
            return None
        block = self._cache.peek(number)
        if block is not None:  # (iterating or merging decoded it)
            return block[2].get(key)
        return self._scan(number, key)

    def __getitem__(self, key: bytes) -> bytes:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: bytes) -> bool:
        return self.get(key) is not None

    # --- iteration ---------------------------------------------------------------

    def items_from(self, key: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs from the first key at or after `key`, in order."""
        number = max(self._block_of(key), 0)
        first = True
        for n in range(number, self._blocks):
            keys, values, _ = self._block(n)
            start = bisect_right(keys, key) if first else 0
            if first and start and keys[start - 1] == key:
                start -= 1
            first = False
            yield from zip(keys[start:], values[start:])

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        return self.items_from(b"")

    def keys_from(self, key: bytes) -> Iterator[bytes]:
        """Keys from the first at or after `key`, in order. Walks (a field's
        whole vocabulary for `*companies`) decode keys only and go around
        the block cache: values are not needed, and thousands of blocks
        would evict the ones lookups keep using."""
        number = max(self._block_of(key), 0)
        for n in range(number, self._blocks):
            keys = self._keys(n)
            yield from (keys[bisect_left(keys, key):] if n == number else keys)

    def seek(self, key: bytes) -> tuple[int, int, list[bytes], bool]:
        """Where the first key at or after `key` is: (block number, index
        in the block, the block's keys, whether those are all of them); the
        index may be past the keys (the key is then the next block's
        first). A block not decoded yet is read only as far as that key:
        the jumps of fuzzy and wildcard words land in a new block nearly
        every time, and read one key or two there."""
        number = max(self._block_of(key), 0)
        keys = self._kept_keys(number)
        if keys is not None:
            return number, bisect_left(keys, key), keys, True
        keys, _ = _read_block(self._data(number), key)
        whole = not keys or keys[-1] < key  # (read to the block's end)
        return number, bisect_left(keys, key), keys, whole

    def block_keys(self, number: int) -> list[bytes] | None:
        """The keys of block `number`, None past the last block."""
        return self._keys(number, keep=True) if number < self._blocks else None

    def first_key_after(self, number: int) -> bytes | None:
        """The first key of the block after `number` (None after the last):
        a key before it that is not before block `number` is in that block."""
        return self._first_key(number + 1) if number + 1 < self._blocks else None

    def _keys(self, number: int, keep: bool = False) -> list[bytes]:
        """The keys of block `number`, kept among the key blocks if `keep`
        (a cursor's: its jumps land in the same blocks again)."""
        keys = self._kept_keys(number)
        if keys is not None:
            return keys
        if keep:
            return self._key_blocks.get(number, lambda: self._decode_keys(number))
        return self._decode_keys(number)

    def _kept_keys(self, number: int) -> list[bytes] | None:
        """The keys of block `number` if decoded and kept (with its values,
        or alone), else None."""
        cached = self._cache.peek(number)
        return cached[0] if cached is not None else self._key_blocks.peek(number)

    def _decode_keys(self, number: int) -> list[bytes]:
        return _read_block(self._data(number))[0]

    def keys(self) -> Iterator[bytes]:
        return self.keys_from(b"")

    def blocks_holding(self, prefix: bytes, text: bytes) -> list[int] | None:
        """The blocks that can hold a key starting with `prefix` and holding
        `text` (every block that does, and those their signatures do not
        tell apart), in order: for a wildcard's walk (`*companies`), which
        then reads only those. None when the file has no signatures or
        `text` is too short to tell blocks apart by."""
        if self._signatures_at is None or not self._blocks:
            return None
        wanted = gram_signatures.mask(text)
        if wanted is None:
            return None
        first = max(self._block_of(prefix), 0)
        end = _after_prefix(prefix)
        last = self._blocks - 1 if end is None else max(self._block_of(end), 0)
        size = gram_signatures.SIGNATURE_BYTES
        packed = self.dbfile.get(self._signatures_at + first * size, (last - first + 1) * size)
        return [first + n for n in gram_signatures.holding(packed, wanted)]

    def walk_keys(self, number: int) -> list[bytes]:
        """The keys of block `number`, for a walk (not kept: see keys_from)."""
        return self._keys(number)

    def close(self) -> None:
        self.dbfile.close()
