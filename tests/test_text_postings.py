"""search.engine.whoosh.text_postings: full-text postings built a segment at a time must be
exactly those built document by document — every file of the segment, byte
for byte — and a search must find the same articles in either."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from search import Article, NewsIndex
from search.engine.whoosh.codec import NewsCodec, PackedValues, encode_postings
from search.engine.whoosh.schema import to_document
from search.engine.whoosh import segment_writer
from search.engine.whoosh.segment_writer import NewsSegmentWriter
from search.engine.whoosh.text_builder import TextBuilder
from search.engine.whoosh.text_postings import TextPostings

ARTICLES = Path(__file__).parent / "fixtures" / "articles"

# Words that exercise the analyzer's corners: compounds (joined form plus
# parts), possessives, accents, a compound whose joined stem equals a part
# ("run-s" → run, s; "runs" → run), numbers, apostrophes, repeats.
TRICKY = ("S-400 YPG/PKK al-Sham U.S. AT&T O'Gara Turkey’s Élysée Straße run-s runs "
          "1,655.8 1986/87 it's the the the Idlib Idlib-based co-op re-run x-x a.b.c.d")


class PerDocumentWriter(NewsSegmentWriter):
    """The reference: every posting filed document by document."""

    whole_segment_text = False


def corpus_documents() -> list[dict]:
    rng = random.Random(11)
    vocabulary = TRICKY.split() + [f"w{i}" for i in range(400)]
    docs = []
    for i in range(700):
        n = rng.choice([0, 1, 3, 40, 200])
        body = " ".join(rng.choice(vocabulary) for _ in range(n))
        if i % 97 == 5:
            # Positions past 16,383 need three-byte varints.
            body = " ".join(rng.choice(vocabulary) for _ in range(20_000))
        title = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 8)))
        article = Article(id=f"a{i}", title=title, body=body, source="Wire",
                          tags=["x", f"t{i % 5}"])
        docs.append(to_document(article))
    for path in sorted(ARTICLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        docs.append(to_document(Article(id=path.stem, title=path.stem, body=text)))
    return docs


def build(folder: Path, writer_class, docs: list[dict], streamed: bool = False,
          builders: int = 1, **codec) -> dict[str, bytes]:
    """Write `docs` as one segment (with NewsCodec(**codec); `streamed`:
    its full-text fields by a TextBuilder's `builders` processes); returns
    its files by extension, and under "decoded" its terms read back."""
    with NewsIndex.create(folder):
        pass
    generation = next(folder.glob("gen-*"))
    storage = FileStorage(str(generation))
    ix = storage.open_index("MAIN")
    writer = writer_class(ix, _lk=False, codec=NewsCodec(**codec))
    if streamed:
        writer.text_builder = TextBuilder(str(generation), "MAIN", builders)
    for doc in docs:
        writer.add_document(**doc)
    segment = writer._finalize_segment()
    if streamed:
        writer.text_builder.close()
        # Its scratch files (postings, builders' shards) were appended or
        # joined, and removed: only the segment is left.
        assert sorted(p.suffix for p in generation.glob("MAIN_*")) == [".seg"]
    return {**files_of(storage, segment), "decoded": decoded(storage, ix.schema, segment)}


def decoded(storage, schema, segment) -> dict:
    """Every term of the segment, with its statistics and postings read back."""
    from whoosh.reading import SegmentReader

    found = {}
    with SegmentReader(storage, schema, segment) as reader:
        for field, term in reader.all_terms():
            info = reader.term_info(field, term)
            matcher = reader.postings(field, term)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            found[(field, term)] = (info.weight(), info.doc_frequency(), info.min_length(),
                                    info.max_length(), info.max_weight(), postings)
    return found


def files_of(storage, segment) -> dict[str, bytes]:
    compound = CompoundStorage(storage.open_file(segment.make_filename(".seg")), use_mmap=False)
    files = {}
    for name in compound.list():
        handle = compound.open_file(name)
        files[name.split(".", 1)[1]] = handle.read()
        handle.close()
    compound.close()
    return files


@pytest.mark.parametrize("codec", [{}, {"blocklimit": 8, "inlinelimit": 2}])
def test_segment_is_byte_for_byte_the_per_document_one(tmp_path, codec):
    """Short lists (entries) and long ones (blocks) are encoded a segment at
    a time; the codec's limits hold for both."""
    docs = corpus_documents()
    reference = build(tmp_path / "per-doc", PerDocumentWriter, docs, **codec)
    whole = build(tmp_path / "whole", NewsSegmentWriter, docs, **codec)
    assert sorted(whole) == sorted(reference)
    assert {"pst", "trm", "_body_len.col", "_title_len.col"} <= set(whole)
    assert any(field == "body" for field, _ in whole["decoded"])
    for name in reference:
        assert whole[name] == reference[name], name


@pytest.mark.parametrize("run_words", [7, 997, 20_000])
def test_postings_sorted_in_runs_are_those_sorted_at_once(tmp_path, monkeypatch, run_words):
    """A segment's words are turned into postings a run at a time as they
    come (the runs then merged): the same bytes whatever the run size,
    down to runs of a document or two, and a long body alone in one."""
    docs = corpus_documents()
    reference = build(tmp_path / "per-doc", PerDocumentWriter, docs)
    monkeypatch.setattr("search.engine.whoosh.text_postings.RUN_WORDS", run_words)
    assert build(tmp_path / "runs", NewsSegmentWriter, docs) == reference


def boosted_documents() -> list[dict]:
    """corpus_documents(), the first 50 with boosts."""
    docs = corpus_documents()
    for i, doc in enumerate(docs[:50]):
        doc["_boost"] = 1.0 + (i % 3) * 0.25
    return docs


def assert_same_but_layout(streamed: dict, reference: dict) -> None:
    """A segment whose full-text postings were appended (they come last in
    its files) holds the same as one written in one go, once read back."""
    layout = ("pst", "trm")
    assert streamed["decoded"] == reference["decoded"]
    assert ({k: v for k, v in streamed.items() if k not in layout}
            == {k: v for k, v in reference.items() if k not in layout})
    assert len(streamed["pst"]) == len(reference["pst"])


@pytest.mark.parametrize("writers", [1, 2, 3])
def test_fields_streamed_to_a_text_builder_are_written_the_same(tmp_path, monkeypatch,
                                                                writers):
    """Title and body analysed and written in a TextBuilder's process, its
    terms shared between `writers` processes (the worker and forked
    copies), then appended with their lengths: byte for byte the segment
    written here, boosts, lengths and all."""
    docs = boosted_documents()
    reference = build(tmp_path / "here", NewsSegmentWriter, docs)
    monkeypatch.setattr("search.engine.whoosh.text_builder.WRITERS", writers)
    monkeypatch.setattr("search.engine.whoosh.text_builder.CHUNK", 64)
    monkeypatch.setattr("search.engine.whoosh.text_postings.RUN_WORDS", 5_000)
    streamed = build(tmp_path / "streamed", NewsSegmentWriter, docs, streamed=True)
    assert_same_but_layout(streamed, reference)


@pytest.mark.parametrize("builders, chunk", [(2, 64), (3, 64), (3, 5_000), (4, 1)])
def test_texts_shared_by_several_builders_are_written_the_same(tmp_path, monkeypatch,
                                                               builders, chunk):
    """Chunks of texts analysed by several builders in turn, their parts
    joined by the first and written by as many processes, each sorting its
    own run of terms: byte for byte the segment written by one process
    (a builder may get no chunk at all: 5,000 texts are all of them; chunks
    of one text split a document's fields between builders)."""
    docs = boosted_documents()
    reference = build(tmp_path / "here", NewsSegmentWriter, docs)
    monkeypatch.setattr("search.engine.whoosh.text_builder.CHUNK", chunk)
    monkeypatch.setattr("search.engine.whoosh.text_postings.RUN_WORDS", 5_000)
    started = set()  # the builders (processes) that were given texts
    start = TextBuilder._start
    monkeypatch.setattr(TextBuilder, "_start",
                        lambda self, i: (started.add(i), start(self, i))[1])
    streamed = build(tmp_path / "streamed", NewsSegmentWriter, docs, streamed=True,
                     builders=builders)
    # (Under 5,000 texts in all: one chunk, for the first builder alone.)
    assert started == ({0} if chunk == 5_000 else set(range(builders)))
    assert_same_but_layout(streamed, reference)


def test_a_field_of_one_term_streamed_to_two_writers(tmp_path, monkeypatch):
    """A title of one term: one of the two processes writing the terms has
    none of the title's (the flush once lost track of the fields)."""
    docs = [to_document(Article(id=f"a{i}", title="Wheat", body=f"grain prices rose {i} points"))
            for i in range(3)]
    reference = build(tmp_path / "here", NewsSegmentWriter, docs)
    monkeypatch.setattr("search.engine.whoosh.text_builder.WRITERS", 2)
    streamed = build(tmp_path / "streamed", NewsSegmentWriter, docs, streamed=True)
    assert streamed["decoded"] == reference["decoded"]
    assert ("title", b"wheat") in streamed["decoded"]


def test_boosted_documents_keep_their_weights(tmp_path):
    docs = corpus_documents()[:120]
    for i, doc in enumerate(docs):
        doc["_boost"] = 1.0 + (i % 3) * 0.25
    reference = build(tmp_path / "per-doc", PerDocumentWriter, docs)
    whole = build(tmp_path / "whole", NewsSegmentWriter, docs)
    assert whole == reference


def test_fields_report_the_same_length_as_the_analyzer():
    from search.text.analysis import NewsAnalyzer

    analyzer = NewsAnalyzer()
    postings = TextPostings(analyzer.terms_of)
    for docnum, text in enumerate(["", TRICKY, "!!! ---", "one two two"]):
        expected = sum(len(p) for p in analyzer.term_positions(text).values())
        assert postings.add(docnum, text) == expected
    assert len(postings) == 2  # the documents holding a term


def test_terms_come_in_byte_order_with_positions():
    from search.text.analysis import NewsAnalyzer
    from search.engine.whoosh.postings import CompactPositions

    analyzer = NewsAnalyzer()
    texts = ["b a b", "", "ä a-b c", "a " * 5]
    postings = TextPostings(analyzer.terms_of)
    for docnum, text in enumerate(texts):
        postings.add(docnum, text)
    got = list(postings.postings())
    terms = [term for term, _ in got]
    assert terms == sorted(terms) and len(set(terms)) == len(terms)
    fmt = CompactPositions()
    for term, (ids, weights, values, lengths) in got:
        for docnum, weight, value in zip(ids, weights, values):
            positions = analyzer.term_positions(texts[docnum])[term.decode()]
            assert fmt.decode_positions(value) == positions
            assert weight == len(positions)


def test_packed_values_encode_like_a_list():
    values = [b"\x01\x05", b"\x02\x00\x03", b"\x01\x7f"]
    packed = PackedValues([len(v) for v in values], b"".join(values))
    assert list(packed) == values and packed[1] == values[1] and packed[-1] == values[-1]
    assert list(packed[1:3]) == values[1:3] and len(packed[3:]) == 0
    ids, weights = [3, 9, 40], [1, 2, 1]
    assert encode_postings(ids, weights, packed) == encode_postings(ids, weights, values)
    assert encode_postings(ids[:2], weights[:2], packed[0:2], 3) == encode_postings(
        ids[:2], weights[:2], values[:2], 3)


def test_search_finds_the_same_articles(tmp_path, monkeypatch):
    docs = corpus_documents()
    articles = [Article(id=d["id"], title=d["title"], body=d["body"]) for d in docs]
    monkeypatch.setenv("NEWSSEARCH_BATCH_SIZE", "10000")
    results = {}
    for name, writer_class in (("reference", PerDocumentWriter), ("whole", NewsSegmentWriter)):
        monkeypatch.setattr("search.engine.whoosh.writer.NewsSegmentWriter", writer_class)
        with NewsIndex.create(tmp_path / name) as ix:
            ix.add(articles)
            results[name] = [
                [(hit.id, round(hit.score, 6)) for hit in ix.search(q, limit=20).hits]
                for q in ('"s 400"', "S400", "runs", "title:idlib", "ypg", '"the the"', "w7 w8")]
    assert results["whole"] == results["reference"]
    assert any(results["whole"])


# --- a run's final merge, with the body merged in a helper process ------------

class InProcess:
    """A helper that runs the call here (the Future-like result at once)."""

    def __init__(self):
        self.calls = 0

    def call(self, fn, *args):
        from concurrent.futures import Future

        self.calls += 1
        future = Future()
        future.set_result(fn(*args))
        return future


def merged_segment(folder: Path, docs: list[dict], helper, delete: str | None):
    """`docs` built as three segments (one article of the second deleted
    when `delete` names it), then merged into one; returns its reader."""
    from whoosh.reading import SegmentReader

    with NewsIndex.create(folder):
        pass
    storage = FileStorage(str(next(folder.glob("gen-*"))))
    ix = storage.open_index("MAIN")
    parts = [docs[:300], docs[300:550], docs[550:]]
    segments = []
    for part in parts:
        writer = NewsSegmentWriter(ix, _lk=False)
        for doc in part:
            writer.add_document(**doc)
        segments.append(writer._finalize_segment())
    if delete:
        reader = SegmentReader(storage, ix.schema, segments[1])
        segments[1].delete_document(reader.first_id("id", delete))
        reader.close()
    writer = NewsSegmentWriter(ix, _lk=False)
    writer.merge_segments(segments, helper=helper)
    merged = writer._finalize_segment()
    return SegmentReader(storage, ix.schema, merged), storage


def readable(reader) -> dict:
    fields = {}
    for name in reader.indexed_field_names():
        fields[name] = {term: _walk(reader.postings(name, term))
                        for term, _ in reader._terms.field_entries(name)}
    stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
    return {"fields": fields, "stored": stored,
            "lengths": {n: reader.field_length(n) for n in ("title", "body")}}


def _walk(matcher) -> list:
    postings = []
    while matcher.is_active():
        postings.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return postings


@pytest.mark.parametrize("delete", [None, "a400"])
def test_body_merged_by_a_helper_reads_like_one_merged_here(tmp_path, delete):
    docs = corpus_documents()
    helper = InProcess()
    here, _ = merged_segment(tmp_path / "here", docs, None, delete)
    there, storage = merged_segment(tmp_path / "there", docs, helper, delete)
    assert helper.calls == len(segment_writer.PARALLEL_FIELDS)
    expected, got = readable(here), readable(there)
    assert got["fields"]["body"] and got["fields"].keys() == expected["fields"].keys()
    for name in expected["fields"]:
        assert got["fields"][name] == expected["fields"][name], name
    assert got["stored"] == expected["stored"] and got["lengths"] == expected["lengths"]
    assert len(got["stored"]) == len(docs) - (1 if delete else 0)
    # The helper's scratch files are gone once copied in.
    assert not [n for n in storage.list() if n.endswith((".pst", ".trm"))]
    here.close(), there.close()


@pytest.mark.parametrize("value", ["", "a1", " spaced id ", "Élysée/Straße#3", "12345678" * 8])
def test_identifier_terms_are_those_whoosh_makes(tmp_path, value):
    """An ID field's one term is made without Whoosh's tokenizer (a fast
    path): it must be exactly what the field itself gives."""
    with NewsIndex.create(tmp_path / "ix"):
        pass
    storage = FileStorage(str(next((tmp_path / "ix").glob("gen-*"))))
    writer = NewsSegmentWriter(storage.open_index("MAIN"), _lk=False)
    try:
        ids = [name for name, field in writer.schema.items() if segment_writer._plain_id(field)]
        assert {"id", "text_hash", "url"} <= set(ids)
        for name in ids:
            field = writer.schema[name]
            assert writer._index(name, field, value) == list(field.index(value))
    finally:
        writer.cancel()
