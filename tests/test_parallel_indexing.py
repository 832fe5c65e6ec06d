"""Indexing on two cores: full-text fields streamed to a text builder
process (search.engine.whoosh.text_builder.py), one segment per batch, the run's segments
merged at its end with helper processes, and the tiered merge policy
(search/engine/whoosh/segment_writer.py): real files, real indexes, jobs=1 as the oracle."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest


from search import Article, NewsIndex
from search.engine.whoosh import directory
from search.engine.whoosh.text_builder import TextBuilder
from search.ingest.indexer import BATCH_SIZE_ENV, BatchWriter, add_articles
from search.results import IndexReport
from search.engine.whoosh import segment_writer

from .crashkit import SYLLABLES, make_corpus


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def news_corpus(root: Path):
    """186 articles to index (in batches of 40: four full, 26 more), plus
    5 exact duplicates (case and spacing changed) and 4 near-duplicate pairs."""
    corpus = make_corpus(root, text_files=120, jsonl_files=1, per_jsonl=58)
    (root / "dups").mkdir()
    for i, article_id in enumerate(corpus.order[:5]):  # alpha/…, sorted before dups/
        title, body, _ = corpus.expected[article_id]
        (root / "dups" / f"{i}.txt").write_text(f"{title.upper()}\n\n{body.replace(' ', '  ')}!\n")
    rng = random.Random(3)
    (root / "near").mkdir()
    for k in range(4):
        body = words(rng, 60)
        (root / "near" / f"{k}a.txt").write_text(f"Story {k} first\n\n{' '.join(body)}\n")
        body[30] = "changed"
        (root / "near" / f"{k}b.txt").write_text(f"Story {k} again\n\n{' '.join(body)}\n")
    return corpus


def segments(ix: NewsIndex) -> list:
    return ix._ix._segments()  # the Whoosh TOC of the live generation


def check_seg_files(ix: NewsIndex, strict: bool = False) -> None:
    """Every .seg file (strict: every segment file) belongs to a TOC segment."""
    live = {s.segment_id() for s in segments(ix)}
    names = [p.name for p in (ix.path / ix._manifest.generation).iterdir()]
    found = [n for n in names if n.endswith(".seg") or (strict and n.startswith("MAIN_")
                                                        and n != "MAIN_WRITELOCK")]
    assert {n.split(".")[0] for n in found} <= live, sorted(found)
    if strict:
        assert "MAIN.tmp" not in names


def check_lengths(ix: NewsIndex) -> None:
    """Every live article's title and body length, as its segment keeps it
    (one lossy byte), is that of its stored text's terms."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    from search.text.analysis import analyze

    with ix._ix.reader() as reader:
        checked = 0
        for docnum, fields in reader.iter_docs():
            for name in ("title", "body"):
                terms = len(analyze(fields.get(name) or "", index=True))
                expected = byte_to_length(length_to_byte(terms))
                assert reader.doc_field_length(docnum, name) == expected, (fields["id"], name)
            checked += 1
    assert checked == len(ix)


def scored(ix: NewsIndex, query: str, **kw):
    res = ix.search(query, limit=1000, **kw)
    assert res.total == len(res.hits)
    return res.total, {h.id: h.score for h in res.hits}, [h.score for h in res.hits]


def stored(ix: NewsIndex, drop: str = "") -> dict:
    return {a.id: {k: v for k, v in a.to_dict().items() if k != drop} for a in ix.articles()}


# --- 1. jobs=1 and jobs=2 give the same index -----------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("same")
    corpus = news_corpus(root / "news")
    indexes, reports = {}, {}
    finished: list[str] = []  # segments whose texts a text builder wrote
    finish = TextBuilder.finish
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(BATCH_SIZE_ENV, "40")
        mp.setattr(TextBuilder, "finish",
                   lambda self, key, fields: (finished.append(key), finish(self, key, fields))[1])
        for jobs in (1, 2):
            indexes[jobs] = NewsIndex.create(root / f"ix{jobs}")
            reports[jobs] = indexes[jobs].index_paths([root / "news"], jobs=jobs)
    reports["finished"] = finished
    yield corpus, indexes, reports
    for ix in indexes.values():
        ix.close()


def test_jobs_2_builds_the_same_index_as_jobs_1(built):
    corpus, ix, reports = built
    one, two = reports[1], reports[2]
    assert (one.added, len(one.duplicates), one.failed) == (186, 5, [])
    assert (two.added, two.duplicates, two.failed) == (one.added, one.duplicates, [])
    assert len(ix[1]) == len(ix[2]) == 186
    assert stored(ix[1]) == stored(ix[2])  # ids, every stored field, clusters
    clusters = [a.cluster for a in ix[2].articles()]
    assert sum(clusters.count(c) == 2 for c in set(clusters)) == 4  # the near pairs
    rng = random.Random(5)
    bodies = [corpus.expected[i][1].split() for i in rng.sample(corpus.order, 3)]
    queries = ["report", "wire", "changed", "section:bravo", f'"{" ".join(bodies[0][:3])}"',
               " OR ".join(b[1].strip(".") for b in bodies), "story OR first OR again"]
    for q in queries:
        total, by_id, scores = scored(ix[1], q)
        assert total > 0, q
        assert scored(ix[2], q) == (total, pytest.approx(by_id), pytest.approx(scores)), q
    assert scored(ix[1], '"changed"')[0] == 4
    collapsed = [ix[j].search("story", collapse=True, limit=50) for j in (1, 2)]
    assert [h.similar for h in collapsed[0].hits] == [1] * 4
    assert ({h.id: h.similar for h in collapsed[0].hits}
            == {h.id: h.similar for h in collapsed[1].hits})
    facets = [ix[j].search("", facets=["section", "source"]).facets for j in (1, 2)]
    assert facets[0] == facets[1] and facets[0]["section"]
    # jobs=2 really had its texts written by a text builder: a segment
    # each batch, five in all. The run's segments end merged.
    assert len(set(reports["finished"])) == len(reports["finished"]) == 5
    assert [s.doc_count() for s in segments(ix[1])] == [186]
    assert [s.doc_count() for s in segments(ix[2])] == [186]
    check_seg_files(ix[2], strict=True)


def test_tie_order_and_index_order_do_not_depend_on_jobs(built):
    _, ix, _ = built  # five batches, merged
    assert [a.id for a in ix[1].articles()] == [a.id for a in ix[2].articles()]
    for q in ("", "wire"):  # all hits tie
        assert [h.id for h in ix[1].search(q, limit=500).hits] == [
            h.id for h in ix[2].search(q, limit=500).hits]


# --- 1b. several text builders build the same index as one process --------------

def every_posting(ix: NewsIndex) -> dict:
    """Every term of the index, with its statistics and postings read back."""
    with ix._ix.reader() as reader:
        found = {}
        for field, term in reader.all_terms():
            info = reader.term_info(field, term)
            matcher, postings = reader.postings(field, term), []
            while matcher.is_active():  # document, weight, encoded positions
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            found[(field, term)] = (info.weight(), info.doc_frequency(), info.min_length(),
                                    info.max_length(), info.max_weight(), postings)
        return found


@pytest.fixture(scope="module")
def built_by_builders(tmp_path_factory):
    """The corpus above indexed in one process (jobs=1), and through the CLI
    with ``--jobs 3``: three parse workers and three text builders taking
    chunks of 16 texts in turn, in batches of 40 articles (five segments,
    merged at the end). Records each TextBuilder's builder count and which
    of its builders were given texts."""
    from typer.testing import CliRunner

    from search.cli import app
    from search.engine.whoosh import text_builder

    root = tmp_path_factory.mktemp("builders")
    corpus = news_corpus(root / "news")
    made, given = [], set()
    init, start = TextBuilder.__init__, TextBuilder._start
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(BATCH_SIZE_ENV, "40")
        mp.setattr(text_builder, "CHUNK", 16)
        mp.setattr(TextBuilder, "__init__", lambda self, *a, **k: (
            init(self, *a, **k), made.append(self.builders))[0])
        mp.setattr(TextBuilder, "_start", lambda self, i: (given.add(i), start(self, i))[1])
        one = NewsIndex.create(root / "ix1")
        assert one.index_paths([root / "news"], jobs=1).added == 186
        assert made == [] and given == set()  # (one process: no text builder)
        done = CliRunner().invoke(app, ["index", "--index", str(root / "ix3"), "--jobs", "3",
                                        str(root / "news")], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    three = NewsIndex.open(root / "ix3")
    yield corpus, one, three, made, given
    one.close()
    three.close()


def test_several_text_builders_build_the_same_index_as_one_process(built_by_builders):
    corpus, one, three, made, given = built_by_builders
    assert made == [3] and given == {0, 1, 2}  # --jobs 3: three builders, each with texts
    assert len(three) == len(one) == 186
    assert stored(three) == stored(one)  # ids, every stored field, clusters
    assert [a.id for a in three.articles()] == [a.id for a in one.articles()]
    assert [s.doc_count() for s in segments(three)] == [186]
    postings = every_posting(one)
    assert any(field == "body_words" for field, _ in postings)
    assert every_posting(three) == postings  # every term, its statistics, positions
    check_lengths(three)
    rng = random.Random(7)
    bodies = [corpus.expected[i][1].split() for i in rng.sample(corpus.order, 3)]
    for q in ["report", "wire", "changed", "story OR first OR again", "",
              f'"{" ".join(bodies[0][:3])}"', " OR ".join(b[1].strip(".") for b in bodies)]:
        hits = [[(h.id, h.score, h.title) for h in ix.search(q, limit=500).hits]
                for ix in (one, three)]
        assert hits[0] and hits[1] == hits[0], q  # the same hits, scores and order
    check_seg_files(three, strict=True)


# --- 2. a failing text builder cancels only its batch -------------------------------

def run_with_poison(ix: NewsIndex, before: int, after: int) -> None:
    """A BatchWriter on 2 cores (the writer lock held, as NewsIndex does) adds
    `before` articles, one whose body the text builder fails on, and `after`
    more."""
    articles = [Article(id=f"n{i}", title=f"Bulletin {i}", body=f"Plain text item{i}")
                for i in range(before + after + 1)]
    articles[before].body = "poison"
    with directory.writer_lock(ix.path, 1):
        with BatchWriter(ix._ix, 1, str(ix.path), IndexReport(), jobs=2) as batch:
            add_articles(batch, articles)


def poisoned(add):
    def add_or_fail(self, docnum, text, boost=1.0, language=None):
        if text == "poison":
            raise ValueError("cannot analyse this")
        return add(self, docnum, text, boost, language)
    return add_or_fail


def more(start: int, n: int) -> list[Article]:
    return [Article(id=f"m{i}", title=f"Later {i}", body=f"Other words m{i}")
            for i in range(start, start + n)]


@pytest.mark.parametrize("before, after, kept", [
    (100, 20, 80),   # in batch 3 of 4: fails mid-run
    (120, 38, 120),  # in the last batch: the final commit fails
])
def test_failing_text_builder_cancels_only_its_batch(tmp_path, monkeypatch, before, after,
                                                     kept):
    from search.engine.whoosh.text_postings import TextPostings

    monkeypatch.setenv(BATCH_SIZE_ENV, "40")
    monkeypatch.setattr(TextPostings, "add", poisoned(TextPostings.add))  # (forked with it)
    ix = NewsIndex.create(tmp_path / "ix")
    with pytest.raises(ValueError, match="cannot analyse this") as failure:
        run_with_poison(ix, before, after)
    assert "_add" in str(failure.value.__cause__)  # raised in the text builder
    assert {a.id for a in ix.articles()} == {f"n{i}" for i in range(kept)}
    assert ix.search("bulletin").total == kept and ix.search(f"item{kept - 1}").total == 1
    check_seg_files(ix)
    # The writer was released: the next write gets in, and cleans up.
    monkeypatch.undo()
    assert ix.add(more(0, 45), wait=1).added == 45 and len(ix) == kept + 45
    check_seg_files(ix, strict=True)
    ix.close()


def test_failing_term_writer_process_cancels_its_batch(tmp_path, monkeypatch):
    """A forked copy of the text builder writing a run of terms fails: the
    batch is not committed, and nothing of it is left."""
    from search.engine.whoosh import text_builder

    write_part = text_builder._write_part

    def failing(storage, indexname, texts, fields, part):
        if part[0] == 1:
            raise OSError("disk full")
        return write_part(storage, indexname, texts, fields, part)

    monkeypatch.setenv(BATCH_SIZE_ENV, "40")
    ix = NewsIndex.create(tmp_path / "ix")
    assert ix.add(more(0, 50)).added == 50
    monkeypatch.setattr(text_builder, "_write_part", failing)
    with pytest.raises(RuntimeError, match="writing full-text terms failed"):
        ix.add(more(100, 30))
    assert len(ix) == 50 and ix.search("m100").total == 0
    check_seg_files(ix)
    monkeypatch.undo()
    assert ix.add(more(100, 30)).added == 30 and ix.search("m100").total == 1
    check_seg_files(ix, strict=True)
    ix.close()


# --- 3. merge_tiers -------------------------------------------------------------

PARTS = ("pa", "pb", "pc", "pd")


def tiered(tmp_path: Path, gone: list[str]):
    """jobs=1 and jobs=2 indexes of 48 articles added by 4 runs of 12, in batches
    of 6 (jobs=2: 16 segments of 3 written, each run's merged into one),
    deleting gone[k] after run k + 2. MERGE_FACTOR is 3 (callers patch it):
    the first commit after run 3 merges the three runs' segments."""
    src = make_corpus(tmp_path / "src", text_files=48, jsonl_files=0, sections=PARTS)
    indexes = {}
    for jobs in (1, 2):
        ix = indexes[jobs] = NewsIndex.create(tmp_path / f"ix{jobs}")
        for run, part in enumerate(PARTS):
            shutil.copytree(src.root / part, tmp_path / f"news{jobs}" / part)
            assert ix.index_paths([tmp_path / f"news{jobs}"], jobs=jobs).added == 12
            if 0 < run <= len(gone):
                assert ix.delete([gone[run - 1]]) == 1
    return src, indexes


def test_merge_tiers_merges_builder_segments_and_keeps_every_article(tmp_path, monkeypatch):
    monkeypatch.setenv(BATCH_SIZE_ENV, "6")
    monkeypatch.setattr(segment_writer, "MERGE_FACTOR", 3)
    gone = ["pa/0001.txt", "pb/0005.txt", "pc/0007.txt"]  # before the merge, with it
    src, ix = tiered(tmp_path, gone)
    for j in (1, 2):
        # The commit deleting gone[2] merged runs 1-3 (one segment each,
        # all in the 10-99 tier), leaving out the two deleted before it.
        assert [(s.doc_count_all(), s.doc_count()) for s in segments(ix[j])] == [
            (34, 33), (12, 12)]
    assert len(ix[2]) == len(ix[1]) == 45
    assert stored(ix[2], "path") == stored(ix[1], "path")  # (other roots)
    for article_id in gone:
        assert ix[2].get(article_id) is None
        assert ix[2].search(f"story{src.order.index(article_id)}").total == 0
    for q in ("report", "section:pc", "section:pb", "story0 OR story13 OR story47"):
        total, by_id, _ = scored(ix[1], q)
        assert total and scored(ix[2], q)[:2] == (total, pytest.approx(by_id)), q
    check_seg_files(ix[2], strict=True)
    check_lengths(ix[2])  # copied a column at a time, deleted articles' left out
    ix[1].close(), ix[2].close()


# A merge must not recompute field-length totals from Whoosh's lossy one-byte
# document lengths (that moved scores by up to 0.6% here before the fix).
def test_a_merge_keeps_bm25_statistics_and_scores(tmp_path, monkeypatch):
    monkeypatch.setenv(BATCH_SIZE_ENV, "6")
    monkeypatch.setattr(segment_writer, "MERGE_FACTOR", 3)
    _, ix = tiered(tmp_path, [])
    assert [s.doc_count() for s in segments(ix[2])] == [48]  # merged from 16
    monkeypatch.setenv(BATCH_SIZE_ENV, "1000")  # one run, one batch: never merged
    ix[0] = NewsIndex.create(tmp_path / "ix0")
    ix[0].index_paths([tmp_path / "news2"], jobs=1)
    assert [s.doc_count() for s in segments(ix[0])] == [48]
    totals, hits = [], []
    for j in (0, 2):
        with ix[j]._ix.reader() as reader:
            totals.append(reader.field_length("body"))
        hits.append(scored(ix[j], "story0 OR story13 OR story47")[1])
    for index in ix.values():
        index.close()
    assert hits[1] == pytest.approx(hits[0]) and totals[0] == totals[1]


def test_a_run_past_the_merge_cap_ends_in_segments_within_it(tmp_path, monkeypatch):
    """A run is merged into segments of at most MAX_MERGED_DOCS articles, not
    one: the same articles, scores and order as the one-segment index."""
    monkeypatch.setenv(BATCH_SIZE_ENV, "6")
    src = make_corpus(tmp_path / "src", text_files=48, jsonl_files=0, sections=PARTS)
    whole = NewsIndex.create(tmp_path / "whole")
    whole.index_paths([src.root], jobs=1)
    assert [s.doc_count() for s in segments(whole)] == [48]
    monkeypatch.setattr(segment_writer, "MAX_MERGED_DOCS", 15)
    for jobs in (1, 2):
        capped = NewsIndex.create(tmp_path / f"capped{jobs}")
        capped.index_paths([src.root], jobs=jobs)
        assert [s.doc_count() for s in segments(capped)] == [12, 12, 12, 12]
        for q in ("report", "section:pc", "story0 OR story13 OR story47"):
            total, by_id, _ = scored(whole, q)
            assert total and scored(capped, q)[:2] == (total, pytest.approx(by_id)), q
        assert [h.id for h in capped.search("report", limit=50, sort="recent").hits] == \
            [h.id for h in whole.search("report", limit=50, sort="recent").hits]
        check_seg_files(capped, strict=True)
        capped.close()
    whole.close()


def test_tiers_never_merge_past_the_cap(tmp_path, monkeypatch):
    """Three runs of 12 in one tier would merge into 34 (see above); with a
    cap of 30 the two smallest merge, the third stays."""
    monkeypatch.setenv(BATCH_SIZE_ENV, "6")
    monkeypatch.setattr(segment_writer, "MERGE_FACTOR", 3)
    monkeypatch.setattr(segment_writer, "MAX_MERGED_DOCS", 30)
    gone = ["pa/0001.txt", "pb/0005.txt", "pc/0007.txt"]
    _, ix = tiered(tmp_path, gone)
    for j in (1, 2):
        counts = [s.doc_count() for s in segments(ix[j])]
        assert max(counts) <= 30 and sum(counts) == 45, counts
        assert len(ix[j]) == 45
    assert stored(ix[2], "path") == stored(ix[1], "path")
    ix[1].close(), ix[2].close()


# --- 4. an incremental run with builders ------------------------------------------

def test_incremental_run_with_builders_updates_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv(BATCH_SIZE_ENV, "40")
    corpus = make_corpus(tmp_path / "news", text_files=60, jsonl_files=1, per_jsonl=20)
    ix = NewsIndex.create(tmp_path / "ix")
    assert ix.index_paths([corpus.root], jobs=2).added == 80
    rng = random.Random(11)
    changed = {"alpha/0000.txt": None, "bravo/0001.txt": None, "charlie/0002.txt": None}
    for k, article_id in enumerate(changed):
        changed[article_id] = f"zebracorn{k} " + " ".join(words(rng, 30))
        title = corpus.expected[article_id][0]
        (corpus.root / article_id).write_text(f"{title}\n\n{changed[article_id]}\n")
    feed = corpus.root / "wire" / "part-00.jsonl"
    records = [json.loads(line) for line in feed.read_text().splitlines()]
    records[5]["body"] = changed[records[5]["id"]] = "zebracorn9 " + " ".join(words(rng, 30))
    feed.write_text("\n".join(map(json.dumps, records)) + "\n")
    (corpus.root / "juliet").mkdir()
    for k in range(2):
        (corpus.root / "juliet" / f"new{k}.txt").write_text(f"Fresh item {k}\n\nnewcomer{k} text\n")
    monkeypatch.setenv(BATCH_SIZE_ENV, "4")  # 6 writes: 3 chunks of 2 for the builders
    report = ix.index_paths([corpus.root], jobs=2)
    assert (report.added, report.updated, report.unchanged, report.removed) == (2, 4, 76, 0)
    assert (report.files, report.files_unchanged) == (6, 57)
    # 3 chunks of 2 built by builders, merged at the end of the run.
    assert [s.doc_count() for s in segments(ix)] == [76, 6]
    assert len(ix) == 82 and ix.search("newcomer0 OR newcomer1").total == 2
    for article_id, body in changed.items():
        assert ix.get(article_id).body == body
        hits = ix.search(body.split()[0]).hits
        assert [h.id for h in hits] == [article_id]
        old = corpus.expected[article_id][1].split()
        assert ix.search(f'"{" ".join(old[:4])}"').total == 0, article_id
    ids = [h.id for h in ix.search("", limit=1000).hits]
    assert len(ids) == len(set(ids)) == 82
    check_seg_files(ix, strict=True)
    ix.close()


def test_a_merge_of_articles_missing_fields(tmp_path, monkeypatch):
    """Articles without tags or a source (field length 0, which Whoosh reads
    back as None) merge without error and keep their scores."""
    monkeypatch.setenv(BATCH_SIZE_ENV, "6")
    articles = [Article(id=f"m{i}", title=f"Grain story {i}", body="Wheat and barley.",
                        tags=["farm"] if i % 2 else [], source="Wire" if i % 3 else None)
                for i in range(36)]
    merged, plain = NewsIndex.create(tmp_path / "merged"), NewsIndex.create(tmp_path / "plain")
    for start in range(0, 36, 6):  # 6 runs, each two built segments of 3 (mixed
        merged.add(articles[start:start + 6])  # fields): the 5th run merges 10
    monkeypatch.setenv(BATCH_SIZE_ENV, "100")
    plain.add(articles)
    assert len(segments(merged)) < 12
    for q in ("grain", "tags:farm", "source:wire"):
        want = {h.id: h.score for h in plain.search(q, limit=50).hits}
        got = {h.id: h.score for h in merged.search(q, limit=50).hits}
        assert got == pytest.approx(want), q
    merged.close(), plain.close()


# --- 5. each batch is one segment, committed in order -------------------------------

def test_batches_commit_in_order_and_the_run_ends_as_one_segment(tmp_path, monkeypatch):
    """Each full batch is written (its texts by the text builder) and
    committed as one segment, in order: a reader opened after each commit
    sees a prefix of the run. The run's segments are then merged into one,
    in a commit of its own, and nothing else is left in the folder."""
    monkeypatch.setenv(BATCH_SIZE_ENV, "50")
    articles = [Article(id=f"f{i}", title=f"Item {i}", body=f"fresh words w{i} " * 20)
                for i in range(260)]
    ix = NewsIndex.create(tmp_path / "ix")
    seen, counts = [], []
    commit = BatchWriter._commit

    def committed(self, final=True):
        engine = self.engine  # (the engine's side of the batch writer)
        merge, engine.merge = engine.merge, lambda: None  # looked at before the merge
        try:
            commit(self, final)
        finally:
            engine.merge = merge
        with engine.ix.searcher() as searcher:
            seen.append(sorted(int(d["id"][1:]) for d in searcher.all_stored_fields()))
        counts.append([s.doc_count() for s in engine.ix._segments()])
        if final:
            merge()

    monkeypatch.setattr(BatchWriter, "_commit", committed)
    with directory.writer_lock(ix.path, 1):
        with BatchWriter(ix._ix, 1, str(ix.path), IndexReport(), jobs=2) as batch:
            add_articles(batch, articles)
    assert [len(ids) for ids in seen] == [50, 100, 150, 200, 250, 260]
    for ids in seen:
        assert ids == list(range(len(ids)))
    assert counts[-1] == [50, 50, 50, 50, 50, 10]  # a segment a batch
    assert [s.doc_count() for s in segments(ix)] == [260]
    assert ix.search("fresh").total == 260 and ix.search("w259").total == 1
    check_seg_files(ix, strict=True)
    check_lengths(ix)
    ix.close()


# --- 6. a run's segments share a dictionary: their stored frames merge as they are --

@pytest.mark.parametrize("extra", [0, 5])
def test_run_segments_merge_their_stored_documents_without_recompressing(
        tmp_path, monkeypatch, extra):
    """A run's batches compress their stored fields against one dictionary
    (the first batch's), so the final merge copies every batch's frames
    still compressed, the last short batch's too, wherever a batch ends
    (`extra`: a batch size that is no multiple of anything). Every stored
    field reads back as with jobs=1."""
    from search.engine.whoosh.codec import DICT_DOCS, StoredDocsColumn

    batch = DICT_DOCS + extra
    copied = [True, True, True]
    monkeypatch.setenv(BATCH_SIZE_ENV, str(batch))
    copies = []
    original = StoredDocsColumn.Writer.copy_blocks

    def copy_blocks(self, reader, docnum):
        copies.append((docnum, len(reader), original(self, reader, docnum)))
        return copies[-1][2]

    monkeypatch.setattr(StoredDocsColumn.Writer, "copy_blocks", copy_blocks)
    rng = random.Random(3)
    articles = [Article(id=f"s{i}", title=f"Grain item {i}",
                        body="LONDON - " + " ".join(words(rng, 30)), source="Wire",
                        tags=[f"t{i % 3}"]) for i in range(2 * batch + 40)]
    indexes = {}
    for jobs in (1, 2):
        indexes[jobs] = NewsIndex.create(tmp_path / f"ix{jobs}")
        with directory.writer_lock(indexes[jobs].path, 1):
            with BatchWriter(indexes[jobs]._ix, 1, str(indexes[jobs].path), IndexReport(),
                             jobs=jobs) as writer:
                add_articles(writer, articles)
        assert copies == [(0, batch, copied[0]), (batch, batch, copied[1]),
                          (2 * batch, 40, copied[2])], jobs
        copies.clear()
    assert stored(indexes[1]) == stored(indexes[2])
    assert [s.doc_count() for s in segments(indexes[2])] == [2 * batch + 40]
    for q in ("grain", "source:wire", "tags:t1"):
        assert scored(indexes[1], q) == scored(indexes[2], q)
    check_seg_files(indexes[2], strict=True)
    check_lengths(indexes[2])
    for ix in indexes.values():
        ix.close()


# --- 7. no cyclic garbage collection while writing ------------------------------------

def test_garbage_collection_is_off_while_writing_and_back_after(tmp_path, monkeypatch):
    """The cyclic collector is off while a run writes (a speed-up; reference
    counting frees nearly everything), and back as it was after the run,
    whether it ended well or not."""
    import gc

    states = []
    add = BatchWriter.add
    monkeypatch.setattr(BatchWriter, "add",
                        lambda self, *a, **k: (states.append(gc.isenabled()), add(self, *a, **k))[1])
    ix = NewsIndex.create(tmp_path / "ix")
    assert gc.isenabled()
    assert ix.add(more(0, 3)).added == 3
    assert states == [False] * 3 and gc.isenabled()

    def failing():
        yield from more(10, 2)
        raise RuntimeError("the feed broke")

    with pytest.raises(RuntimeError, match="the feed broke"):
        ix.add(failing())
    assert gc.isenabled() and len(ix) == 3
    gc.disable()  # a caller's own choice is kept
    try:
        ix.add(more(20, 1))
        assert not gc.isenabled()
    finally:
        gc.enable()
    ix.close()


def test_a_text_builder_that_dies_fails_the_run_and_keeps_the_committed(tmp_path, monkeypatch):
    """The text builder process is killed (the OOM killer, say) in the
    second batch: the run fails with the pool's error, the first batch
    stays committed, the lock is released, and the next run is whole."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from search.engine.whoosh.text_postings import TextPostings

    add = TextPostings.add

    def dying(self, docnum, text, boost=1.0, language=None):
        if text == "poison":
            os._exit(9)
        return add(self, docnum, text, boost, language)

    monkeypatch.setenv(BATCH_SIZE_ENV, "40")
    monkeypatch.setattr(TextPostings, "add", dying)
    ix = NewsIndex.create(tmp_path / "ix")
    with pytest.raises(BrokenProcessPool):
        run_with_poison(ix, 50, 10)
    assert {a.id for a in ix.articles()} == {f"n{i}" for i in range(40)}
    monkeypatch.undo()
    assert ix.add(more(0, 45), wait=0).added == 45 and len(ix) == 85
    check_seg_files(ix, strict=True)
    ix.close()
