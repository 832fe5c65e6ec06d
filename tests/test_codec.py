"""search.engine.whoosh.codec.NewsCodec against Whoosh's stock W3 codec as the oracle: the
same documents written with each codec must read back identically."""

from __future__ import annotations

import io
import pickle
import random
from datetime import datetime, timedelta

import pytest
from whoosh import fields, index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.matching import ListMatcher
from whoosh.qparser import QueryParser

from search.text.analysis import VALUE_SEPARATOR
from search.engine.whoosh.codec import (BLOCK_LIMIT, DICT_BLOCKS, DICT_BYTES, DICT_DOCS, DOCS_MAGIC,
                          DOCS_PER_BLOCK, INLINE_LIMIT, STORED, STORED_ZSTD_LEVEL,
                          StoredBlocksColumn, StoredDocsColumn,
                          DecodedPostings, STORED_BLOCKS,
                          NewsCodec, NewsLeafMatcher, NewsTermInfo, encode_postings)
from search.engine.whoosh.schema import build_schema

N = 3 * BLOCK_LIMIT + 70  # "everywhere": three full blocks and a partial one
VOCAB = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma".split()
RARE = {"solo": 1, "inlined": INLINE_LIMIT, "spilled": INLINE_LIMIT + 1}


def main_schema():
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),              # Existence, 1 posting
        body=fields.TEXT(stored=True),                       # Positions
        title=fields.TEXT(field_boost=1.5),                  # Positions, float weights
        kw=fields.KEYWORD(stored=True),                      # Frequency
        cat=fields.ID(field_boost=1.5),                      # Existence, float weights
        extra=fields.STORED())


def main_docs():
    rng = random.Random(7)
    holders = {w: set(rng.sample(range(N), k)) for w, k in RARE.items()}
    docs = []
    for i in range(N):
        words = [rng.choice(VOCAB) for _ in range(rng.randint(3, 12))]
        words += ["everywhere"] * rng.randint(1, 3) + [w for w in RARE if i in holders[w]]
        rng.shuffle(words)
        docs.append(dict(id=f"d{i}", body=" ".join(words),
                         title="gamma " * (i % 4 + 1) + rng.choice(["north", "south"]),
                         kw="red " * (i % 3 + 1) + "blue", cat=f"cat{i % 3}",
                         extra=[i, "x" * (i % 5)]))
    return docs


def build(path, schema, batches):
    """An index in `path` holding each (codec, docs) batch as its own segment."""
    path.mkdir()
    ix = index.create_in(str(path), schema)
    for codec, docs in batches:
        with ix.writer(codec=codec) as w:  # codec None: Whoosh's default (W3)
            w.merge = False
            for doc in docs:
                w.add_document(**doc)
    return ix


def walk(m):
    """[(id, weight, raw value, positions or None)] of a whole matcher."""
    rows, positions = [], m.supports("positions")
    while m.is_active():
        rows.append((m.id(), m.weight(), m.value(),
                     m.value_as("positions") if positions else None))
        m.next()
    return rows


def dump_postings(reader):
    """{(field, term): (doc freq, walk of its postings)} for every term."""
    return {(f, t): (reader.doc_frequency(f, t), walk(reader.postings(f, t)))
            for f, t in reader.all_terms()}


def assert_same_hits(ix, oracle, qtext, limit):
    q = QueryParser("body", ix.schema).parse(qtext)
    with ix.searcher() as s, oracle.searcher() as o:
        got, want = ([(h.docnum, h.score) for h in x.search(q, limit=limit)] for x in (s, o))
    assert want, qtext  # the query must find something to prove anything
    assert [d for d, _ in got] == [d for d, _ in want], (qtext, limit)
    assert [s for _, s in got] == pytest.approx([s for _, s in want]), (qtext, limit)


def blocks(m):
    """(last id, compressed flag) of each block a NewsLeafMatcher walks."""
    out = [(m.block_max_id(), m._compression)]
    while m.is_active():
        if m.next() and m.is_active():
            out.append((m.block_max_id(), m._compression))
    return out


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    base, docs = tmp_path_factory.mktemp("codec"), main_docs()
    return {name: build(base / name, main_schema(), [(codec, docs)])
            for name, codec in [("w3", None), ("news", NewsCodec()),
                                ("raw", NewsCodec(compression=0))]}


@pytest.mark.parametrize("name", ["news", "raw"])
def test_postings_identical_to_w3(indexes, name):
    with indexes["w3"].reader() as want, indexes[name].reader() as got:
        assert dump_postings(got) == dump_postings(want)
        for word, k in {**RARE, "everywhere": N}.items():
            assert got.doc_frequency("body", word) == k
            assert got.frequency("body", word) == pytest.approx(want.frequency("body", word))
        assert [got.term_info("body", w).is_inlined() for w in RARE] == [True, True, False]
        assert isinstance(got.postings("body", "inlined"), ListMatcher)
        assert isinstance(got.postings("body", "spilled"), NewsLeafMatcher)

        everywhere = blocks(got.postings("body", "everywhere"))
        assert [last for last, _ in everywhere] == [127, 255, 383, N - 1]
        flags = [flag for _, flag in everywhere + blocks(got.postings("cat", "cat1"))]
        assert any(flags) if name == "news" else not any(flags)

        red = walk(got.postings("kw", "red"))  # Frequency: freq = weight = i % 3 + 1
        assert [(i, w, got.schema["kw"].format.decode_frequency(v)) for i, w, v, _ in red] \
            == [(i, i % 3 + 1, i % 3 + 1) for i in range(N)]
        gamma = walk(got.postings("title", "gamma"))  # float weights, positions
        assert [(i, w, p) for i, w, _, p in gamma] == [
            (i, 1.5 * (i % 4 + 1), list(range(i % 4 + 1))) for i in range(N)]
        cat2 = walk(got.postings("cat", "cat2"))  # Existence, float weights
        assert cat2 == [(i, 1.5, None, None) for i in range(2, N, 3)]


@pytest.mark.parametrize("name", ["news", "raw"])
@pytest.mark.parametrize("limit", [None, 1, 3, 10])
@pytest.mark.parametrize("qtext", [
    "everywhere", "solo", "inlined OR spilled", '"alpha beta"', '"beta alpha gamma"',
    "alpha AND everywhere", "everywhere OR solo OR spilled", "title:gamma",
    "title:gamma OR title:north", "kw:red", "cat:cat1 OR everywhere", "id:d200",
    "alpha AND NOT beta",
])
def test_searches_identical_to_w3(indexes, name, limit, qtext):
    assert_same_hits(indexes[name], indexes["w3"], qtext, limit)


def test_skip_to_and_skip_to_quality_across_blocks(indexes):
    with indexes["w3"].searcher() as s, indexes["news"].searcher() as t:
        for field, term in [("body", "everywhere"), ("cat", "cat1"), ("body", "alpha")]:
            scorer = s.weighting.scorer(s, field, term)
            last = max(s.reader().postings(field, term).all_ids())
            w3, news = (x.reader().postings(field, term, scorer=scorer) for x in (s, t))
            for target in [0, 1, 100, 127, 128, 129, 260, 383, 384, N - 2, N - 1, N]:
                w3.skip_to(target)
                news.skip_to(target)
                assert news.is_active() == w3.is_active() == (target <= last)
                if not w3.is_active():
                    break
                assert news.id() == w3.id() >= target
                assert news.weight() == w3.weight()
                assert news.block_max_id() == w3.block_max_id()
                assert news.block_max_weight() == pytest.approx(w3.block_max_weight())
                if field == "body":
                    assert news.value_as("positions") == w3.value_as("positions")

            w3, news = (x.reader().postings(field, term, scorer=scorer) for x in (s, t))
            while w3.is_active():
                assert news.block_quality() == pytest.approx(w3.block_quality())
                quality = w3.block_quality()
                assert news.skip_to_quality(quality) == w3.skip_to_quality(quality)
                assert news.is_active() == w3.is_active()
                if w3.is_active():
                    assert news.id() == w3.id()
                    w3.skip_to(w3.block_max_id() + 1)
                    news.skip_to(news.block_max_id() + 1)


def test_term_info_round_trips(indexes):
    # Regression: at HEAD, to_bytes() of a term info read from disk raised
    # TypeError (it unpacked DecodedPostings), and extent() held a 1-tuple.
    with indexes["news"].reader() as r:
        for term in ("solo", "inlined", "spilled", "everywhere"):
            info = r.term_info("body", term)
            again = NewsTermInfo.from_bytes(info.to_bytes())  # re-encode what was read
            assert again.to_bytes() == info.to_bytes()
            assert (again.doc_frequency(), again.max_id(), again.is_inlined()) == (
                info.doc_frequency(), info.max_id(), info.is_inlined())
            if info.is_inlined():
                ids, weights, values = again.inlined_postings()
                assert [(i, w, v) for i, w, v, _ in walk(r.postings("body", term))] == \
                    list(zip(ids, weights, values.values()))
            else:  # an (offset, length) pair of ints
                assert [type(x) for x in again.extent()] == [int, int] and again.extent()[1]


def test_news_segment_writer_add_list_identical_to_w3(indexes, tmp_path):
    """NewsSegmentWriter hands the codec whole posting lists (add_list)."""
    segment_writer = pytest.importorskip("search.engine.whoosh.segment_writer")
    ix = index.create_in(str(tmp_path), main_schema())
    w = segment_writer.NewsSegmentWriter(ix)
    for doc in main_docs():
        w.add_document(**doc)
    w.commit()
    assert isinstance(ix._segments()[0].codec(), NewsCodec)
    with ix.reader() as got, indexes["w3"].reader() as want:
        assert dump_postings(got) == dump_postings(want)
        assert list(got.all_stored_fields()) == list(want.all_stored_fields())
    for qtext in ["everywhere", "inlined OR spilled", '"alpha beta"', "cat:cat1 OR everywhere"]:
        for limit in (None, 3):
            assert_same_hits(ix, indexes["w3"], qtext, limit)


# --- stored fields ------------------------------------------------------------

NO_STORED = {0, DOCS_PER_BLOCK - 1, DOCS_PER_BLOCK, 2 * DOCS_PER_BLOCK + 1}
STORED_N = 2 * DOCS_PER_BLOCK + 7


def stored_docs():  # NO_STORED and the last doc (padding at finish) store nothing
    return [dict(plain=f"nothing stored here {i}") if i in NO_STORED or i == STORED_N - 1
            else dict(id=f"s{i}", body=f"Zürich 東京 😀 naïve café {i}", plain="not stored",
                      blob=bytes([i, 0, 255]) * i, tags=[f"t{i}", i, "ß"], num=i * 10 ** 12)
            for i in range(STORED_N)]


def stored_schema():
    return fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(stored=True),
                         plain=fields.TEXT(), blob=fields.STORED(),
                         tags=fields.STORED(), num=fields.STORED())


@pytest.fixture(scope="module")
def stored_pair(tmp_path_factory):
    base, docs = tmp_path_factory.mktemp("stored"), stored_docs()
    return (build(base / "w3", stored_schema(), [(None, docs)]),
            build(base / "news", stored_schema(), [(NewsCodec(), docs)]))


def test_stored_fields_identical_to_w3(stored_pair):
    w3, news = stored_pair
    with w3.searcher() as want, news.searcher() as got:
        assert got.doc_count_all() == STORED_N
        for n in range(STORED_N):
            assert got.stored_fields(n) == want.stored_fields(n), n
        assert list(got.reader().all_stored_fields()) == list(
            want.reader().all_stored_fields())
        for n in NO_STORED | {STORED_N - 1}:
            assert got.stored_fields(n) == {}
        doc = got.stored_fields(5)
        assert doc["body"] == "Zürich 東京 😀 naïve café 5"
        assert doc["blob"] == bytes([5, 0, 255]) * 5 and doc["tags"] == ["t5", 5, "ß"]
        assert got.stored_fields(STORED_N - 2)["num"] == (STORED_N - 2) * 10 ** 12
        for n in (1, DOCS_PER_BLOCK + 1, 2 * DOCS_PER_BLOCK + 2, 0):
            changed = got.stored_fields(n)
            changed.pop("body", None)
            changed["id"], changed["new"] = "changed", 1
            assert got.stored_fields(n) == want.stored_fields(n)


# Regression: at HEAD, StoredBlocksColumn.Reader returned a *shallow* copy of
# its cached block's dict, so changing a stored list in place changed what
# every later stored_fields() call returned for that doc (W3 unpickles afresh).
def test_mutating_a_stored_list_does_not_leak(stored_pair):
    w3, news = stored_pair
    with w3.searcher() as want, news.searcher() as got:
        got.stored_fields(1)["tags"].append("leaked")
        assert got.stored_fields(1) == want.stored_fields(1)


# --- merging ------------------------------------------------------------------

def project_docs(count):
    """Documents for build_schema(), keeping only the fields it (still) has."""
    rng, start, names = random.Random(11), datetime(2020, 1, 1), build_schema().names()
    docs = [dict(id=f"p{i}", title=f"Markets {rng.choice(VOCAB)} report {i}",
                 body=" ".join(rng.choice(VOCAB) for _ in range(rng.randint(5, 30)))
                 + (" unusual" if i % 37 == 0 else ""),
                 tags=VALUE_SEPARATOR.join(["Oil", f"T{i % 7}"]),
                 _stored_tags=["Oil", f"T{i % 7}"], published=start + timedelta(days=i),
                 related=[f"p{i - 1}"] if i % 2 else [], minbands=f"b{i % 5} b{i % 9}")
            for i in range(count)]
    return [{k: v for k, v in d.items() if k.removeprefix("_stored_") in names}
            for d in docs]


GONE = {"p0", "p3", "p37", "p149", "p150", "p222", "p299"}


def merged(path, first, second, final):
    """Two 150-doc segments (codecs `first`, `second`), GONE deleted, then
    optimized by a writer with codec `final`."""
    docs = project_docs(300)
    ix = build(path, build_schema(), [(first, docs[:150]), (second, docs[150:])])
    with ix.writer() as w:
        w.merge = False
        for doc_id in GONE:
            w.delete_by_term("id", doc_id)
    assert [type(s.codec()) for s in ix._segments()] == [
        type(c or W3Codec()) for c in (first, second)]
    ix.writer(codec=final).commit(optimize=True)
    return ix


def test_optimize_merges_w3_and_news_segments_with_deletions(tmp_path):
    ix = merged(tmp_path / "mixed", None, NewsCodec(), NewsCodec())
    [segment] = ix._segments()
    assert isinstance(segment.codec(), NewsCodec)
    kept = [d for d in project_docs(300) if d["id"] not in GONE]
    fresh = build(tmp_path / "fresh", build_schema(), [(None, kept)])
    with ix.reader() as got, fresh.reader() as want:
        assert got.doc_count_all() == got.doc_count() == len(kept)
        assert dump_postings(got) == dump_postings(want)
        assert list(got.all_stored_fields()) == list(want.all_stored_fields())
        assert [f["id"] for f in got.all_stored_fields()] == [d["id"] for d in kept]
        assert got.stored_fields(0)["tags"] == ["Oil", "T1"]  # p0 is gone
        assert not any(got.doc_frequency("id", doc_id) for doc_id in GONE)
    # Merging stores field lengths as Whoosh's length bytes, so scores differ
    # a little from a fresh index: the oracle is the same merge done by W3.
    oracle = merged(tmp_path / "oracle", None, None, None)
    for qtext in ["unusual", "alpha", '"alpha beta"', "title:markets", "tags:oil",
                  "alpha OR unusual"]:
        for limit in (None, 5):
            assert_same_hits(ix, oracle, qtext, limit)


# --- term vectors -------------------------------------------------------------

# Regression: at HEAD, NewsCodec.postings_writer(byteids=True) gave term
# vectors a W3PostingsWriter with inlinelimit=INLINE_LIMIT, which takes W3's
# broken inline path (W3TermInfo.set_inline does not exist): add_document
# raised AttributeError for any vector of fewer than INLINE_LIMIT terms.
def test_term_vectors_identical_to_w3(tmp_path):
    schema = lambda: fields.Schema(t=fields.TEXT(vector=True))  # noqa: E731
    docs = [dict(t="hello world"), dict(t="one two three four five six seven eight")]
    oracle = build(tmp_path / "w3", schema(), [(None, docs)])
    ix = build(tmp_path / "news", schema(), [(NewsCodec(), docs)])
    with ix.searcher() as got, oracle.searcher() as want:
        for n in range(len(docs)):
            assert (list(got.vector_as("weight", n, "t"))
                    == list(want.vector_as("weight", n, "t")))


# --- the flat record helpers ----------------------------------------------------

def test_encode_postings_round_trips_or_raises():
    ids = [0, 1, 255, 2 ** 16 + 3, 2 ** 16 + 3 + 2 ** 32, 2 ** 40]  # deltas > 2**32-1
    cases = [([1, 1, 1, 1, 1, 1], [b""] * 6),
             ([1, 3, 70000, 2, 0, 1], [b"a", b"", b"bcd", b"\x00", b"", b"e" * 300]),
             ([0.5, 1, 2.25, 1e6, -3, 1], [b""] * 6)]
    for weights, values in cases:
        record = DecodedPostings(encode_postings(ids, weights, values), len(ids))
        assert record.ids == ids
        assert list(record.weights) == [float(w) for w in weights]
        want = tuple(values) if any(values) else (None,) * len(ids)
        assert record.values(None) == want
    assert DecodedPostings(encode_postings(ids, [1] * 6, [b""] * 6), 6).values() == (
        b"",) * 6
    # Narrowest types: 10 small deltas or integer weights take a byte each (+1
    # for the type code); all-one weights and no values are one kind byte each.
    assert len(encode_postings(list(range(10)), [1] * 10, [b""] * 10)) == 1 + 10 + 1 + 1
    assert len(encode_postings(list(range(10)), [2] * 10, [b""] * 10)) == 11 + 1 + 11 + 1
    empty = DecodedPostings(encode_postings([], [], []), 0)
    assert empty.ids == [] and list(empty.weights) == [] and empty.values() == ()
    with pytest.raises(OverflowError):  # ids must ascend: a negative delta
        encode_postings([5, 3], [1, 1], [b"", b""])
    with pytest.raises(OverflowError):  # a delta beyond uint64
        encode_postings([0, 2 ** 64], [1, 1], [b"", b""])


# --- the stored column's preset dictionary --------------------------------------

@pytest.mark.parametrize("count", [0, 1, DOCS_PER_BLOCK * DICT_BLOCKS - 1,
                                   DOCS_PER_BLOCK * DICT_BLOCKS,
                                   DOCS_PER_BLOCK * DICT_BLOCKS + 1, 700])
def test_stored_column_round_trips_around_the_dictionary(count):
    """Blocks wait until DICT_BLOCKS are in to choose the dictionary: every
    count before, at and after that point reads back in order."""
    from whoosh.filedb.structfile import BufferFile

    docs = [{"id": f"d{i}", "body": f"story {i} " * (i % 7)} if i % 5 else None
            for i in range(count)]
    data = _stored_column(docs)
    reader = STORED_BLOCKS.reader(BufferFile(memoryview(data)), 0, len(data), count)
    assert [reader[i] for i in range(count)] == docs
    assert list(reader) == docs


def _stored_column(docs: list) -> bytes:
    from whoosh.filedb.structfile import StructFile

    class Kept(io.BytesIO):
        def close(self):
            pass

    out = Kept()
    writer = STORED_BLOCKS.writer(StructFile(out))
    for docnum, doc in enumerate(docs):
        if doc is not None:  # (left out: the writer fills the gap)
            writer.add(docnum, doc)
    writer.finish(len(docs))
    return out.getvalue()


def test_the_dictionary_makes_blocks_smaller_and_small_segments_skip_it():
    """Articles sharing their openings (a wire's boilerplate): blocks that
    may refer to the dictionary compress better than on their own; a segment
    too small to pay for a dictionary has none."""
    import struct
    import zlib

    rng = random.Random(4)
    words = ["grain", "export", "tonnes", "ministry", "said", "wheat", "prices"]
    docs = [{"title": f"WHEAT EXPORTS {i}", "source": "Reuters wire service",
             "body": "LONDON, March 3 - " + " ".join(rng.choices(words, k=40))}
            for i in range(DOCS_PER_BLOCK * (DICT_BLOCKS + 4))]
    data = _stored_column(docs)
    zlength, blocks = struct.unpack("<II", data[-8:])
    assert 0 < zlength <= DICT_BYTES and blocks == DICT_BLOCKS + 4
    block_bytes = len(data) - 8 - 8 * (blocks + 1) - zlength
    plain = sum(len(zlib.compress(pickle.dumps([pickle.dumps(d, 4) for d in
                                                docs[i:i + DOCS_PER_BLOCK]], 4), 6))
                for i in range(0, len(docs), DOCS_PER_BLOCK))
    assert block_bytes < 0.9 * plain
    small = _stored_column(docs[:DOCS_PER_BLOCK * (DICT_BLOCKS - 1)])
    assert struct.unpack("<II", small[-8:]) == (0, DICT_BLOCKS - 1)


# --- merging stored columns: blocks copied still compressed -----------------------

def _column_reader(data: bytes, count: int):
    from whoosh.filedb.structfile import BufferFile

    return STORED_BLOCKS.reader(BufferFile(memoryview(data)), 0, len(data), count)


def _merged_column(parts: list[tuple[list, bytes | None]], own: list | None = None,
                   zdict: bytes | None = None):
    """A column (with preset dictionary `zdict`, if any) of `own` documents
    (written one by one), then each part's
    column — written with that preset dictionary, or its own if None —
    merged in with copy_blocks where it fits, else document by document as
    a merge does. Returns (column bytes, which parts were copied)."""
    from whoosh.filedb.structfile import StructFile

    class Kept(io.BytesIO):
        def close(self):
            pass

    out = Kept()
    writer = STORED_BLOCKS.writer(StructFile(out))
    if zdict is not None:
        writer.preset(zdict)
    docnum = 0
    for doc in own or []:
        writer.add(docnum, doc)
        docnum += 1
    copied = []
    for docs, zdict in parts:
        source = Kept()
        part = STORED_BLOCKS.writer(StructFile(source))
        if zdict is not None:
            part.preset(zdict)
        for n, doc in enumerate(docs):
            part.add(n, doc)
        part.finish(len(docs))
        reader = _column_reader(source.getvalue(), len(docs))
        copied.append(writer.copy_blocks(reader, docnum))
        if not copied[-1]:
            for n in range(len(docs)):
                writer.add_pickled(docnum + n, reader.pickled(n))
        docnum += len(docs)
    writer.finish(docnum)
    return out.getvalue(), copied


def _wire_docs(start: int, count: int) -> list[dict]:
    return [{"id": f"w{i}", "body": f"LONDON, March {i % 28 + 1} - wheat tonnes {i} " * 3}
            for i in range(start, start + count)]


def test_merged_columns_copy_blocks_that_share_the_dictionary():
    import zlib

    run = STORED_BLOCKS.dictionary([pickle.dumps(d, 4) for d in _wire_docs(0, 256)])
    block = DOCS_PER_BLOCK * DICT_BLOCKS  # a builder's chunk at the least
    first, second, third = _wire_docs(0, 2 * block), _wire_docs(10**5, block + 5), _wire_docs(
        2 * 10**5, 40)
    data, copied = _merged_column([(first, run), (second, run), (third, None)])
    # The first two are the run's: copied. The second ends in a short block,
    # unpacked for the third to follow it, which (no dictionary) is re-packed.
    assert copied == [True, True, False]
    everything = first + second + third
    reader = _column_reader(data, len(everything))
    assert [reader[i] for i in range(len(everything))] == everything
    # Copied blocks are the builders' bytes: what the merge did not compress.
    source = _stored_column_preset(first, run)
    assert _column_reader(source, len(first)).raw_block(7) == reader.raw_block(7)
    assert zlib.decompressobj(zdict=run).decompress(reader.raw_block(7))


def _stored_column_preset(docs: list, zdict: bytes) -> bytes:
    from whoosh.filedb.structfile import StructFile

    class Kept(io.BytesIO):
        def close(self):
            pass

    out = Kept()
    writer = STORED_BLOCKS.writer(StructFile(out))
    writer.preset(zdict)
    for n, doc in enumerate(docs):
        writer.add(n, doc)
    writer.finish(len(docs))
    return out.getvalue()


def test_merged_columns_recompress_what_does_not_fit():
    run = STORED_BLOCKS.dictionary([pickle.dumps(d, 4) for d in _wire_docs(0, 256)])
    other = STORED_BLOCKS.dictionary([pickle.dumps(d, 4) for d in _wire_docs(500, 256)])
    block = DOCS_PER_BLOCK * DICT_BLOCKS
    cases = {
        # another run's dictionary than the one the column took first
        "dictionary": ([(_wire_docs(0, block), run), (_wire_docs(900, block), other)], None,
                       None, [True, False]),
        # the column's own documents (the same dictionary) end mid-block
        "mid-block": ([(_wire_docs(0, block), run)], _wire_docs(700, 3), run, [False]),
        # ... or wait for a dictionary of their own
        "own first": ([(_wire_docs(0, block), run)], _wire_docs(700, 3), None, [False]),
        # a part with no dictionary at all
        "none": ([(_wire_docs(0, 20), None)], None, None, [False]),
    }
    for name, (parts, own, zdict, expected) in cases.items():
        data, copied = _merged_column(parts, own, zdict)
        assert copied == expected, name
        everything = (own or []) + [doc for docs, _ in parts for doc in docs]
        reader = _column_reader(data, len(everything))
        assert [reader[i] for i in range(len(everything))] == everything, name


def test_preset_dictionary_comes_before_the_documents():
    from whoosh.filedb.structfile import StructFile

    writer = STORED_BLOCKS.writer(StructFile(io.BytesIO()))
    writer.add(0, {"id": "a"})
    with pytest.raises(ValueError):
        writer.preset(b"late")


# --- stored documents a zstd frame each (StoredDocsColumn, what is written now) ------

class _Kept(io.BytesIO):
    """A file whose bytes outlive the writer closing it."""

    def close(self):
        pass


def _docs_column(docs: list, zdict: bytes | None = None, column=STORED) -> bytes:
    from whoosh.filedb.structfile import StructFile

    out = _Kept()
    writer = column.writer(StructFile(out))
    if zdict is not None:
        writer.preset(zdict)
    for docnum, doc in enumerate(docs):
        if doc is not None:  # (left out: the writer fills the gap)
            writer.add(docnum, doc)
    writer.finish(len(docs))
    return out.getvalue()


def _read(data: bytes, count: int):
    from whoosh.filedb.structfile import BufferFile

    return STORED.reader(BufferFile(memoryview(data)), 0, len(data), count)


@pytest.mark.parametrize("count", [0, 1, DICT_DOCS - 1, DICT_DOCS, DICT_DOCS + 1, 700])
def test_stored_documents_round_trip_around_the_dictionary(count):
    docs = [{"id": f"d{i}", "body": f"story {i} " * (i % 7)} if i % 5 else None
            for i in range(count)]
    data = _docs_column(docs)
    assert data.endswith(DOCS_MAGIC)
    reader = _read(data, count)
    assert isinstance(reader, StoredDocsColumn.Reader)
    assert [reader[i] for i in range(count)] == docs
    assert list(reader) == docs


def test_columns_written_in_blocks_are_still_read():
    """Segments written before StoredDocsColumn hold zlib blocks: the same
    reader reads them, told apart by the column's last bytes."""
    docs = _wire_docs(0, DICT_DOCS + 21)
    reader = _read(_docs_column(docs, column=STORED_BLOCKS), len(docs))
    assert isinstance(reader, StoredBlocksColumn.Reader)
    assert [reader[i] for i in range(len(docs))] == docs


def test_a_stored_document_is_decompressed_alone_and_the_dictionary_pays():
    import zstandard

    docs = _wire_docs(0, DICT_DOCS + 40)
    data = _docs_column(docs)
    reader = _read(data, len(docs))
    start, end = reader._offsets[200], reader._offsets[201]
    frame = data[start:end]  # one article's bytes, decompressed on their own
    unpacker = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(
        reader._zdict, dict_type=zstandard.DICT_TYPE_RAWCONTENT))
    assert pickle.loads(unpacker.decompress(frame)) == docs[200]
    alone = sum(len(zstandard.ZstdCompressor(level=STORED_ZSTD_LEVEL).compress(
        pickle.dumps(d, 4))) for d in docs)
    assert reader._offsets[-1] < 0.6 * alone
    # Too few documents to pay for a dictionary: none.
    assert _read(_docs_column(docs[:DICT_DOCS - 1]), DICT_DOCS - 1)._zdict == b""


def test_stored_documents_read_from_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    docs = _wire_docs(0, 900)
    reader = _read(_docs_column(docs), len(docs))
    order = list(range(len(docs))) * 4
    random.Random(2).shuffle(order)
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(reader.__getitem__, order)) == [docs[i] for i in order]


def test_merged_stored_documents_copy_the_frames_that_share_the_dictionary():
    from whoosh.filedb.structfile import StructFile

    run = STORED.dictionary([pickle.dumps(d, 4) for d in _wire_docs(0, 256)])
    other = STORED.dictionary([pickle.dumps(d, 4) for d in _wire_docs(500, 256)])
    own = _wire_docs(700, 3)  # the column's own first: no block to align with now
    parts = [(_wire_docs(0, 300), run, True), (_wire_docs(10**5, 7), run, True),
             (_wire_docs(900, 300), other, False), (_wire_docs(2000, 20), None, False)]
    out = _Kept()
    writer = STORED.writer(StructFile(out))
    writer.preset(run)
    for n, doc in enumerate(own):
        writer.add(n, doc)
    docnum, copied = len(own), []
    for docs, zdict, _ in parts:
        reader = _read(_docs_column(docs, zdict), len(docs))
        copied.append(writer.copy_blocks(reader, docnum))
        if not copied[-1]:
            for n in range(len(docs)):
                writer.add_pickled(docnum + n, reader.pickled(n))
        docnum += len(docs)
    old = _read(_docs_column(_wire_docs(3000, 30), run, STORED_BLOCKS), 30)
    assert not writer.copy_blocks(old, docnum)  # zlib blocks: unpacked, re-packed
    for n in range(30):
        writer.add_pickled(docnum + n, old.pickled(n))
    writer.finish(docnum + 30)
    assert copied == [expected for _, _, expected in parts]
    everything = own + [doc for docs, _, _ in parts for doc in docs] + _wire_docs(3000, 30)
    merged = _read(out.getvalue(), len(everything))
    assert [merged[i] for i in range(len(everything))] == everything
    # Copied frames are the part's bytes: the merge compressed nothing again.
    part = _docs_column(parts[0][0], run)
    source = _read(part, 300)
    start = source._offsets[5]
    assert part[start:source._offsets[6]] in out.getvalue()


# --- short lists' entries made a segment at a time ----------------------------------

def test_inline_entries_are_those_of_one_list_at_a_time():
    """codec.inline_entries builds many short lists' table entries in array
    operations: each must be byte for byte NewsTermInfo.inline_entry of
    encode_postings, across every width of ids, weights and value sizes,
    lengths past the last length byte, missing lengths and empty values."""
    import numpy as np

    from search.engine.whoosh.codec import NewsTermInfo, PackedValues, encode_postings, inline_entries

    rng = random.Random(12)
    lists = []
    for n in range(600):
        count = rng.randint(1, INLINE_LIMIT)
        top = rng.choice([200, 70_000, 5 * 2 ** 32])
        ids = sorted(rng.sample(range(top), count))
        weights = [rng.choice([1, 1, 2, 300, 70_000]) for _ in ids] if n % 3 else [1] * count
        values = [bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 3, 300])))
                  for _ in ids] if n % 7 else [b""] * count
        lengths = [rng.choice([0, 1, 57, 5_000, 200_000]) for _ in ids]
        lists.append((ids, weights, values, lengths))
    flat = [posting for lst in lists for posting in zip(*lst)]
    ids, weights, values, lengths = (list(column) for column in zip(*flat))
    sizes = np.array([len(v) for v in values], dtype=np.int64)
    counts = np.array([len(lst[0]) for lst in lists], dtype=np.int64)
    got = inline_entries(np, np.array(ids, dtype=np.int64), np.array(weights, dtype=np.int64),
                         sizes, b"".join(values), np.cumsum(sizes),
                         np.array(lengths, dtype=np.int64), np.cumsum(counts) - counts, counts)
    for entry, (ids_, weights_, values_, lengths_) in zip(got, lists, strict=True):
        present = [n for n in lengths_ if n]
        record = encode_postings(ids_, weights_, PackedValues([len(v) for v in values_],
                                                               b"".join(values_)))
        assert entry == NewsTermInfo.inline_entry(len(ids_), min(present, default=None),
                                                  max(present, default=0), record)
    assert inline_entries(np, *(np.zeros(0, dtype=np.int64),) * 3, b"",
                          *(np.zeros(0, dtype=np.int64),) * 4) == []


@pytest.mark.parametrize("docnum", [0, 5, 300, 70_000, 2**33])
def test_an_identifier_term_is_the_entry_of_its_one_posting(tmp_path, docnum):
    """A one-posting list (an id's term) is written by a shortcut: the same
    entry as the general route's, which reads back as that posting."""
    from whoosh.filedb.filestore import FileStorage

    from search.engine.whoosh.codec import NewsCodec, NewsFieldWriter, NewsTermInfo, encode_postings

    entries = []

    class Recording(NewsFieldWriter):
        def add_entry(self, btext, entry):
            entries.append(entry)

    codec, storage = NewsCodec(), FileStorage(str(tmp_path))
    writer = Recording(codec, storage, codec.new_segment(storage, "T"))
    writer.start_field("id", fields.ID(stored=True))
    writer.add_term(b"x", [docnum], [1.0], [b""], [0])
    writer.add_term(b"y", [docnum], [1], [None], [0])
    writer.finish_field()
    writer.close()
    general = NewsTermInfo.inline_entry(1, None, 0, encode_postings([docnum], [1.0], [b""]))
    assert entries == [general, general]
    info = NewsTermInfo.from_bytes(entries[0])
    assert (info.doc_frequency(), info.min_id(), info.max_id()) == (1, docnum, docnum)
