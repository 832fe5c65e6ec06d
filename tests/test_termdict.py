"""The front-coded term dictionary (search/engine/whoosh/termdict.py), alone and in an index."""

from __future__ import annotations

import io
import random

import pytest
from whoosh.filedb.structfile import BufferFile, StructFile

from search import Article, NewsIndex
from search.engine.whoosh.termdict import BLOCK_TERMS, TermDictReader, TermDictWriter


class _Kept(io.BytesIO):
    def close(self) -> None:  # the writer closes its file; keep the bytes
        pass


def written(pairs: list[tuple[bytes, bytes]], extras: dict | None = None) -> TermDictReader:
    out = _Kept()
    writer = TermDictWriter(StructFile(out))
    for key, value in pairs:
        writer.add(key, value)
    writer.extras.update(extras or {})
    writer.close()
    data = out.getvalue()
    return TermDictReader(BufferFile(memoryview(data)), len(data))


def random_keys(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    keys = {bytes(rng.choice(b"abcde\x00\xff") for _ in range(rng.randint(1, 9)))
            for _ in range(n)}
    return sorted(keys)


def test_round_trip_lookups_and_order():
    keys = random_keys(3000)
    reader = written([(k, k[::-1] * 3) for k in keys], {"fieldmap": {"body": 0}})
    assert reader.extras == {"fieldmap": {"body": 0}}
    assert len(reader) == len(keys) > 10 * BLOCK_TERMS
    assert all(reader[k] == k[::-1] * 3 for k in keys)
    assert list(reader.keys()) == keys
    assert list(reader.items())[:3] == [(k, k[::-1] * 3) for k in keys[:3]]


def test_long_keys_and_values_round_trip():
    """Prefixes, suffixes and values of 128 bytes or more: varints of two
    bytes and more, beside the one-byte ones read inline."""
    rng = random.Random(9)
    stem = bytes(rng.randrange(256) for _ in range(300))
    keys = sorted({stem[:rng.choice((0, 5, 127, 128, 200, 300))]
                   + bytes(rng.randrange(256) for _ in range(rng.choice((1, 127, 128, 400))))
                   for _ in range(400)})
    values = [bytes([len(k) % 256]) * rng.choice((0, 1, 127, 128, 20_000)) for k in keys]
    reader = written(list(zip(keys, values)))
    assert all(reader[k] == v for k, v in zip(keys, values))
    assert list(reader.items()) == list(zip(keys, values))


@pytest.mark.parametrize("probe", [b"", b"a", b"c\x00", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
                                   b"bcd", b"e"])
def test_items_from_starts_at_the_first_key_at_or_after(probe):
    keys = random_keys(1000, seed=2)
    reader = written([(k, b"v") for k in keys])
    assert list(reader.keys_from(probe)) == [k for k in keys if k >= probe]
    for key in keys[::97]:  # present keys: included
        assert next(reader.keys_from(key)) == key


def test_missing_keys_and_empty_dictionary():
    reader = written([(b"m", b"1"), (b"n", b"")])
    assert reader.get(b"a") is None and b"z" not in reader and b"mm" not in reader
    assert reader[b"n"] == b"" and b"n" in reader  # an empty entry is still an entry
    with pytest.raises(KeyError):
        reader[b"o"]
    empty = written([])
    assert len(empty) == 0 and list(empty.items()) == [] and empty.get(b"x") is None


def test_lookups_read_a_block_only_to_the_key_and_agree_with_decoded_blocks():
    """A lookup scans its block up to the key (no block decoded and kept);
    present keys, absent ones between them, before and after them all
    answer as a decoded block does, asked once or again."""
    keys = random_keys(2000, seed=5)
    present = dict((k, k * 2) for k in keys)
    absent = sorted({k + b"\x00" for k in keys} | {k[:-1] for k in keys} | {b"", b"\xff" * 12}
                    - set(keys))
    scanned = written(list(present.items()))
    for key in keys + absent:
        assert scanned.get(key) == present.get(key) and scanned.get(key) == present.get(key)
    assert len(scanned._cache) == 0  # nothing decoded whole for lookups
    decoded = written(list(present.items()))
    list(decoded.items())  # every block decoded (as iterating leaves them)
    assert all(decoded.get(key) == present.get(key) for key in keys + absent)


def test_keys_must_ascend():
    writer = TermDictWriter(StructFile(_Kept()))
    writer.add(b"b", b"")
    for bad in (b"a", b"b"):
        with pytest.raises(ValueError, match="ascend"):
            writer.add(bad, b"")


def test_an_index_searches_through_it(tmp_path):
    """Exact, prefix, wildcard and fuzzy queries (the last three walk the
    dictionary with a cursor) find what the articles hold."""
    words = [f"zeta{i:03d}" for i in range(200)]
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(Article(id=f"a{i}", title=f"Story {w}", body=f"The {w} report.")
               for i, w in enumerate(words))
        assert ix.search("zeta123").total == 1
        assert ix.search("zeta12*").total == 10
        assert ix.search("zeta1?0").total == 10
        assert {h.id for h in ix.search("zetx123~1", limit=50).hits} == {"a123"}
        assert ix.search("title:story").total == 200 and ix.search("zeta999").total == 0


def test_opening_makes_no_object_per_block():
    """Opening keeps the blocks' first keys in their one blob (found by where
    each ends): no bytes object per block, which on a million articles cost
    every process 40 ms before its first search. Per block, opening holds
    the block's offset and key end (8 bytes each) and its key length (4)
    read; a bytes object alone takes 33 bytes and its list slot 8 more."""
    import tracemalloc

    keys = random_keys(40_000, seed=4)
    out = _Kept()
    writer = TermDictWriter(StructFile(out))
    for key in keys:
        writer.add(key, b"v")
    writer.close()
    data = out.getvalue()
    blocks = -(-len(keys) // BLOCK_TERMS)
    dbfile = BufferFile(memoryview(data))
    tracemalloc.start()
    try:
        reader = TermDictReader(dbfile, len(data))
        opened = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    first_keys = sum(len(k) for k in keys[::BLOCK_TERMS])  # the blob, read once
    assert opened - first_keys < 32 * blocks
    assert reader._block_of(keys[0]) == 0 and reader._block_of(b"") == -1
    assert all(reader[k] == b"v" for k in keys[::101]) and reader[keys[-1]] == b"v"
