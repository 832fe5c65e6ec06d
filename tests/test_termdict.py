"""The front-coded term dictionary (search/engine/whoosh/termdict.py), alone and in an index."""

from __future__ import annotations

import io
import pickle
import random
from unittest.mock import patch

import pytest
from whoosh.filedb.structfile import BufferFile, StructFile

from search import Article, NewsIndex
from search.engine.whoosh import termdict
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


# --- signatures: which blocks can hold a string ------------------------------------


def words(n: int, seed: int) -> list[bytes]:
    """Word-like keys (letters of unequal frequency, some non-ASCII) under
    two field prefixes, sorted."""
    rng = random.Random(seed)
    letters = "eeeeaaiioonnrrsstlcdumpgbwyhkvé"
    made = {prefix + "".join(rng.choice(letters) for _ in range(rng.randint(1, 12))).encode()
            for prefix in (b"\x00\x01", b"\x00\x02") for _ in range(n)}
    return sorted(made)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_signatures_keep_every_block_that_holds_a_string(seed):
    """blocks_holding is exact where it matters: every block with a key
    starting with the prefix and holding the string is among the blocks it
    gives (strings cut from keys, so most are held somewhere); and it tells
    blocks apart: a string of five letters leaves a few of the blocks."""
    keys = words(3000, seed)
    reader = written([(k, b"v") for k in keys])
    blocks = [keys[i:i + BLOCK_TERMS] for i in range(0, len(keys), BLOCK_TERMS)]
    rng = random.Random(seed)
    fewer = []
    for _ in range(300):
        key = rng.choice([k for k in keys if len(k) >= 4])
        at = rng.randrange(2, len(key) - 1)
        text = key[at:at + rng.randint(2, 6)]
        prefix = rng.choice([b"\x00\x01", b"\x00\x02", key[:3], key[:2] + b"e", b""])
        holding = {n for n, block in enumerate(blocks)
                   if any(k.startswith(prefix) and text in k[len(prefix):] for k in block)}
        found = reader.blocks_holding(prefix, text)
        assert holding <= set(found), (prefix, text)
        assert found == sorted(found)
        if len(text) >= 5:
            fewer.append(len(found) / len(blocks))
    assert fewer and max(fewer) < 0.1


def test_strings_too_short_and_unmatched_prefixes():
    keys = words(500, 4)
    reader = written([(k, b"v") for k in keys])
    assert reader.blocks_holding(b"\x00\x01", b"e") is None  # (one letter: every block)
    assert reader.blocks_holding(b"\x00\x09", b"ee") == []  # (no key has the prefix)
    assert reader.blocks_holding(b"\x00\x01", b"zqxzqx") == []  # (no key holds it)
    assert written([]).blocks_holding(b"", b"ab") is None


class UnsignedWriter(TermDictWriter):
    """The writer as it was before signatures: magic NTD1, no signature
    section (an index of older segments is built with it)."""

    def __init__(self, dbfile):
        with patch.object(termdict, "MAGIC", termdict.MAGIC_UNSIGNED):
            super().__init__(dbfile)

    def _sign(self) -> None:
        self._unsigned = []

    def close(self) -> None:
        if self._in_block:
            self._flush()
        f, start = self._file, self._start
        offsets_at = f.tell() - start
        f.write(termdict._array("Q", [*self._offsets, offsets_at]))
        keys_at = f.tell() - start
        f.write(termdict._array("I", [len(k) for k in self._first_keys]))
        f.write(b"".join(self._first_keys))
        extras_at = f.tell() - start
        f.write(pickle.dumps(self.extras, 4))
        end = f.tell() - start
        f.write(termdict._FOOTER_UNSIGNED.pack(offsets_at, len(self._offsets), keys_at,
                                               extras_at, end, termdict.MAGIC_UNSIGNED))
        f.close()


def unsigned(pairs: list[tuple[bytes, bytes]]) -> TermDictReader:
    """A dictionary as written before signatures."""
    out = _Kept()
    writer = UnsignedWriter(StructFile(out))
    for key, value in pairs:
        writer.add(key, value)
    writer.close()
    data = out.getvalue()
    return TermDictReader(BufferFile(memoryview(data)), len(data))


def test_a_dictionary_written_before_signatures_reads_as_before():
    keys = random_keys(3000)
    reader = unsigned([(k, k[::-1]) for k in keys])
    assert reader._signatures_at is None and reader.dbfile.get(0, 4) == b"NTD1"
    assert all(reader[k] == k[::-1] for k in keys) and list(reader.keys()) == keys
    assert reader.blocks_holding(b"", b"abc") is None  # (walks read every block)


def test_a_cursor_finds_the_first_term_at_or_after_any_target(tmp_path):
    """A field's cursor (what fuzzy and ? words jump with) lands where a
    sorted list says, for jumps within its block (it goes on from where it
    is), into the next block and far ahead, and for targets between terms."""
    rng = random.Random(7)
    words = sorted({"".join(rng.choice("abcdeé") for _ in range(rng.randint(1, 7)))
                    for _ in range(1500)})
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(Article(id=f"a{i}", title="t", body=" ".join(words[i::40]))
               for i in range(40))
        with ix._searching() as searcher:
            reader = searcher.reader()
            leaf = reader if reader.is_atomic() else reader.leaf_readers()[0][0]
            terms = sorted(t.decode() for t in leaf.lexicon("body_words"))
            for _ in range(20):
                cursor = leaf.cursor("body_words")
                at = cursor.text()
                assert at == terms[0]
                while at is not None:
                    step = rng.choice([1, 2, 5, 17, 40, 300])
                    index = terms.index(at) + rng.randint(1, step)
                    target = terms[index] if index < len(terms) else "ééééééééé"
                    if rng.random() < 0.4:  # between two terms
                        target += "a"
                    at = cursor.find(target)
                    expected = next((t for t in terms if t >= target), None)
                    assert at == expected == cursor.text(), target


def test_a_search_computes_a_strings_bits_as_the_writer_does():
    """The writer hashes runs with numpy, a search without (so that a cold
    query does not import it): both give the same bits, for any bytes."""
    from search.engine.whoosh import gram_signatures as signatures

    rng = random.Random(11)
    for _ in range(300):
        text = bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
        packed = signatures.signatures([[text]])
        written = {n for n in range(signatures.BITS) if packed[n >> 3] >> (n & 7) & 1}
        assert written == signatures._bits(text), text
