"""A run's memory of its own articles stays bounded (run_memory): past
SPILL_AT articles it is written to a scratch file, and every verdict, in
order, is the one the all-in-memory dicts gave — on our own stories here,
on Reuters-21578 when ../shared is present, and through a real index."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from search.article import text_fingerprint
from search.cli import app
from search.ingest import neardup, run_memory
from search.ingest.dedup import Deduplicator, band_keys
from search.ingest.readers import reuters
from search.ingest.run_memory import RunIds, RunMemory

from .conftest import CORPORA
from .test_ingest import STORY, UNRELATED, edited

NO_SPILL = 10**9


def stream(n: int = 240, seed: int = 7) -> list[tuple[str, str, str]]:
    """(id, title, body): copies of a few stories with other titles (exact
    body copies: similarity ties between many earlier articles), light
    edits, exact repeats and repeated ids, in a shuffled order."""
    stories = [STORY, edited(STORY), UNRELATED]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        title, body = rng.choice(stories).split("\n", 1)
        kind = rng.random()
        if kind < 0.5:
            title = f"{title} (copy {i})"
        elif kind < 0.7:
            body = body.replace("the", "a", rng.randint(1, 4))
        rows.append((f"{i % (n - 7)}.txt", title, body))  # a few ids come again
    return rows


def verdicts(rows, spill_at: int) -> list:
    dedup = Deduplicator(memory=RunMemory(spill_at=spill_at))
    seen = RunIds(spill_at=spill_at)
    found = []
    for article_id, title, body in rows:
        if article_id in seen:
            found.append(("id again", article_id))
            continue
        seen.add(article_id)
        text_hash = text_fingerprint(title, body)
        sig = neardup.signature(body)
        verdict = dedup.judge(article_id, text_hash, sig)
        if verdict.keep:
            dedup.remember(article_id, text_hash, sig, cluster=verdict.cluster)
        found.append(verdict)
    dedup.close()
    seen.close()
    return found


@pytest.mark.parametrize("spill_at", [1, 3, 50])
def test_verdicts_are_the_same_when_the_run_is_written_out(spill_at):
    rows = stream()
    expected = verdicts(rows, NO_SPILL)
    # The stream exercises every kind of verdict, or the comparison says little.
    kinds = {v.kind if hasattr(v, "kind") else v[0] for v in expected}
    assert kinds == {"new", "near", "duplicate", "id again"}
    assert verdicts(rows, spill_at) == expected


def test_memory_holds_at_most_spill_at_articles():
    memory = RunMemory(spill_at=10)
    dedup = Deduplicator(memory=memory)
    for article_id, title, body in stream(100):
        sig = neardup.signature(body)
        dedup.remember(article_id, text_fingerprint(title, body), sig, band_keys(sig))
        assert len(memory._entries) < 10 and len(memory._texts) < 10
    # Everything written out is still found.
    title, body = STORY.split("\n", 1)
    assert memory.first_with_text(text_fingerprint(title, body)) is not None
    memory.close()


def test_run_ids_answer_after_spilling():
    ids = RunIds(spill_at=4)
    ids.update(f"{n}.txt" for n in range(25))
    ids.add("last")
    assert all(f"{n}.txt" in ids for n in range(25)) and "last" in ids
    assert "25.txt" not in ids and "" not in ids
    ids.close()


def test_the_bit_filter_has_no_false_negatives():
    found = run_memory.BitFilter(bits=1 << 10)  # small: many collisions
    values = random.Random(3).sample(range(-(1 << 31), 1 << 31), 500)
    for value in values[:250]:
        found.add(value)
    assert all(value in found for value in values[:250])
    # Collisions allowed, but a 1 Kib filter with 250 values is not all ones.
    assert sum(value in found for value in values[250:]) < 250


def test_an_index_built_while_spilling_is_the_same(tmp_path, monkeypatch):
    """The real indexer (CLI, parse workers, ledger) on files holding copies
    and near-copies: articles, clusters and the report are unchanged."""
    folder = tmp_path / "news"
    folder.mkdir()
    for n, (article_id, title, body) in enumerate(stream(120)):
        (folder / f"{n:03}-{article_id}").write_text(f"{title}\n\n{body}", encoding="utf-8")

    def build(name: str) -> tuple[list, str]:
        index = tmp_path / name
        runner = CliRunner()
        done = runner.invoke(app, ["index", str(folder), "--index", str(index), "--json"])
        assert done.exit_code == 0, done.output
        exported = runner.invoke(app, ["export", "--index", str(index)])
        assert exported.exit_code == 0, exported.output
        rows = sorted((a["id"], a["cluster"]) for a in map(json.loads,
                                                            exported.stdout.splitlines()))
        report = json.loads(done.stdout)
        return rows, {k: report[k] for k in ("added", "duplicates", "skipped") if k in report}

    expected = build("in-memory")
    monkeypatch.setattr(run_memory, "SPILL_AT", 2)
    spilled = build("spilled")
    assert spilled == expected
    assert len({cluster for _, cluster in expected[0]}) < len(expected[0])  # clusters formed


def test_reuters_verdicts_are_the_same_when_written_out():
    files = sorted((CORPORA / "reuters21578").glob("reut2-00[0-4].sgm"))
    if len(files) != 5:
        pytest.skip("../shared/corpora/reuters21578 not available")
    rows = [(a.id, a.title, a.body) for path in files
            for a in reuters.read(path, CORPORA / "reuters21578")]
    # Each story twice, the copy retitled: near-duplicates with ties.
    rows += [(f"copy/{i}", f"{t} (copy)", b) for i, t, b in rows[:2000]]
    assert verdicts(rows, 613) == verdicts(rows, NO_SPILL)


def test_closing_lets_go_of_everything_remembered():
    """close() (a run's last article committed) drops the dicts, the bit
    filters and the scratch file, spilled or not: the final merge, and
    the helpers it forks, do not carry them. A closed memory starts afresh."""
    memory, ids = RunMemory(spill_at=7), RunIds(spill_at=7)
    dedup = Deduplicator(memory=memory)
    remembered = []
    for article_id, title, body in stream(30):
        sig = neardup.signature(body)
        dedup.remember(article_id, text_fingerprint(title, body), sig, band_keys(sig))
        ids.add(article_id)
        remembered.append((article_id, text_fingerprint(title, body), band_keys(sig)))
    assert memory._written_bands is not None and memory._texts  # spilled, and some held
    memory.close()
    ids.close()
    assert (memory._texts, memory._bands, memory._entries) == ({}, {}, [])
    assert memory._written_texts is None and memory._written_bands is None
    assert memory._scratch._db is None and ids._scratch._db is None
    assert not any(article_id in ids for article_id, _, _ in remembered)
    assert not any(memory.first_with_text(text_hash) for _, text_hash, _ in remembered)
    assert not any(list(memory.candidates(keys)) for _, _, keys in remembered)
    # Used again, it remembers (and spills) as a new one would.
    for n, (article_id, text_hash, keys) in enumerate(remembered[:10]):
        memory.keep_text(text_hash, article_id)
        memory.keep_entry((article_id, b"sig", article_id), keys)
        memory.article_done()
        ids.add(article_id)
    assert memory.first_with_text(remembered[0][1]) == remembered[0][0]  # written out
    assert memory.first_with_text(remembered[9][1]) == remembered[9][0]  # in the dicts
    assert remembered[0][0] in ids and remembered[9][0] in ids
    memory.close()
    ids.close()


def test_the_final_merge_runs_without_the_runs_memory(tmp_path, monkeypatch):
    """A real run of several batches (so it ends with a merge): when the
    merge starts, the run's ids, fingerprints and band entries are gone
    from the indexing process; the index holds every article, clustered."""
    from search import NewsIndex
    from search.article import Article
    from search.engine.whoosh.writer import WhooshWriter
    from search.ingest.indexer import BatchWriter

    monkeypatch.setenv("NEWSSEARCH_BATCH_SIZE", "40")
    monkeypatch.setattr(run_memory, "SPILL_AT", 25)  # spilled too: the scratch file
    batches, at_merge = [], []
    enter, merge = BatchWriter.__enter__, WhooshWriter.merge

    def entered(batch):
        batches.append(batch)
        return enter(batch)

    def watched(writer):
        for batch in batches:
            run, seen = batch.dedup._run, batch.seen
            at_merge.append((len(run._texts) + len(run._bands) + len(run._entries),
                             run._written_bands, run._scratch._db,
                             len(seen._recent), seen._written, seen._scratch._db))
        merge(writer)

    monkeypatch.setattr(BatchWriter, "__enter__", entered)
    monkeypatch.setattr(WhooshWriter, "merge", watched)
    rows = stream(150)
    articles = [Article(id=f"a{n}", title=title, body=body)
                for n, (_, title, body) in enumerate(rows)]
    with NewsIndex.create(tmp_path / "index") as ix:
        report = ix.add(articles)
        assert at_merge == [(0, None, None, 0, None, None)]
        assert report.added + len(report.duplicates) == 150 and report.duplicates
        assert ix.stats().documents == report.added


@pytest.mark.parametrize("at_a_time", [1, 7, 1 << 16])
def test_band_rows_are_written_in_the_order_a_sort_of_tuples_gives(monkeypatch, at_a_time):
    """The spill's band rows come from NumPy arrays a slice at a time (the
    list of tuples was 150 MB at SPILL_AT): the same rows, in the same
    order, repeats within an article's keys included."""
    monkeypatch.setattr(run_memory, "ROWS_AT_A_TIME", at_a_time)
    rng = random.Random(5)
    entries = [((f"{n}.txt", b"sig", f"{n}.txt"),
                [rng.choice([-(1 << 31), -3, 0, 9, (1 << 31) - 1, rng.randrange(1 << 31)])
                 for _ in range(16)]) for n in range(40)]
    expected = sorted((key, 1000 + n) for n, (_, keys) in enumerate(entries) for key in keys)
    assert list(run_memory._sorted_rows(entries, 1000)) == expected
    assert list(run_memory._sorted_rows([], 0)) == []


def test_a_spilled_list_reads_back_in_order_as_often_as_asked():
    items = [(n, f"{n}.txt", None if n % 3 else [f"id-{n}"]) for n in range(2_537)]
    waiting = run_memory.SpilledList(keep=100)
    for item in items:
        waiting.append(item)
    assert len(waiting) == len(items)
    assert len(waiting._tail) < 100 and waiting._rows > 0  # most of it written out
    assert list(waiting) == items
    # Two readings at once (as index_files zips the parse results with the
    # files' ledger records), one ahead of the other.
    ahead = iter(waiting)
    next(ahead)
    assert [(a, b) for a, b in zip(waiting, ahead)] == list(zip(items, items[1:]))
    waiting.close()
    assert list(waiting) == [] and len(waiting) == 0


def test_files_waiting_written_out_index_the_same(tmp_path, monkeypatch):
    """The real CLI on a folder, then again after edits, a new file and a
    removal: with the files waiting to be read written out (three kept in
    memory), every report and article is the one of the all-in-memory run."""
    def write_folder(folder, edit: bool) -> None:
        folder.mkdir(exist_ok=True)
        for n, (article_id, title, body) in enumerate(stream(60, seed=11)):
            if edit and n % 7 == 0:
                body += " An editor added this sentence later."
            (folder / f"{n:03}-{article_id}").write_text(f"{title}\n\n{body}", encoding="utf-8")
        (folder / "notes.bin").write_bytes(b"\x00\x01 not an article")
        if edit:
            (folder / "005-5.txt").unlink()
            (folder / "new.txt").write_text("A new story\n\nIt came in after the first run.\n")

    def run(name: str) -> list:
        folder, index = tmp_path / f"{name}-news", tmp_path / name
        answers = []
        for edit in (False, True):
            write_folder(folder, edit)
            done = CliRunner().invoke(app, ["index", str(folder), "--index", str(index), "--json"])
            assert done.exit_code == 0, done.output
            report = json.loads(done.stdout)
            answers.append({k: v for k, v in report.items() if k != "seconds"})
        exported = CliRunner().invoke(app, ["export", "--index", str(index)])
        assert exported.exit_code == 0, exported.output
        answers.append(sorted((a["id"], a["cluster"], a["body"])
                              for a in map(json.loads, exported.stdout.splitlines())))
        return json.loads(json.dumps(answers).replace(f"{name}-news", "NEWS"))

    expected = run("in-memory")
    assert expected[1]["updated"] > 0 and expected[1]["unchanged"] > 0  # the re-run did both
    monkeypatch.setattr(run_memory, "KEEP_ITEMS", 3)
    monkeypatch.setattr(run_memory, "ITEMS_A_ROW", 2)
    assert run("spilled") == expected


def test_a_rebuild_counts_the_same_when_its_memory_is_written_out(tmp_path, monkeypatch):
    """A rebuild's memory of the old articles (which it held, which
    changed) and of the hashes it wrote, written out two ids at a time:
    the report's counts and the articles are those of the in-memory run."""
    from search import Article, NewsIndex

    def run(name: str, spill_at: int) -> tuple:
        monkeypatch.setattr(run_memory, "SPILL_AT", spill_at)
        folder = tmp_path / f"{name}-news"
        folder.mkdir()
        for n, (article_id, title, body) in enumerate(stream(50, seed=5)):
            (folder / f"{n:03}-{article_id}").write_text(f"{title}\n\n{body}", encoding="utf-8")
        with NewsIndex.create(tmp_path / name) as ix:
            ix.index_paths([folder])
            ix.add([Article(id=f"api-{n}", title=f"Wire {n}", body=f"Wire story number {n}.")
                    for n in range(5)])  # carried over: no file holds them
            for n in (3, 9, 27):
                path = next(folder.glob(f"{n:03}-*"))
                path.write_text(path.read_text() + " Updated since.", encoding="utf-8")
            next(folder.glob("014-*")).unlink()
            (folder / "late.txt").write_text("A late story\n\nFiled after the first run.\n")
            report = ix.rebuild()
            articles = sorted((a.id, a.cluster, a.body) for a in ix.articles())
        counts = (report.added, report.removed, report.updated, report.unchanged)
        return counts, json.loads(json.dumps(articles).replace(f"{name}-news", "NEWS"))

    expected = run("in-memory", NO_SPILL)
    # (As the all-in-memory code counted it: the late story, and a copy of
    # the removed one no longer left out; one edited file is a duplicate.)
    assert expected[0] == (2, 1, 2, 40)
    assert run("spilled", 2) == expected


def test_no_batch_leaves_garbage_cycles_for_the_rest_of_the_run(tmp_path, monkeypatch):
    """The cyclic collector is off during a run; each batch's writer left a
    few dozen objects in cycles holding its buffers, which stayed until the
    run ended (the indexing process grew with the archive). After every
    batch commit that another batch follows, in a real run of several,
    nothing is left to collect: the cycles were collected on the way."""
    import gc

    from search import NewsIndex
    from search.article import Article
    from search.engine.whoosh.writer import WhooshWriter

    monkeypatch.setenv("NEWSSEARCH_BATCH_SIZE", "30")
    commit, left, collected = WhooshWriter.commit, [], []

    def watched(writer, beside, more=False):
        def note(phase, info):
            if phase == "stop":
                collected.append(info["collected"])

        gc.callbacks.append(note)
        try:
            commit(writer, beside, more)
        finally:
            gc.callbacks.remove(note)
        if more:  # (after the last batch, the collector, on again, takes them)
            left.append(gc.collect())  # straight after the commit's

    monkeypatch.setattr(WhooshWriter, "commit", watched)
    rows = stream(150, seed=3)
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(Article(id=f"{n}-{i}", title=t, body=b) for n, (i, t, b) in enumerate(rows))
        assert len(ix) >= 90
    assert len(left) >= 3  # several batches
    assert left == [0] * len(left)
    assert sum(collected) > 0  # there were cycles, and the commit collected them
