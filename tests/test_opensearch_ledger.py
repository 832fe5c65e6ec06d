"""The file ledger on OpenSearch (issue 20): incremental `newssearch index`
runs on the cluster behave as on the embedded engine — files unchanged in
size and mtime are not read, a file that lost articles loses them from the
index, `--prune` removes the articles of deleted files, new files are
indexed — with the same report on both engines, and the ledger kept in the
cluster (``<index>-files``), not in a local file.

The same scenario of edits runs through the real CLI on an embedded index
and on the session's OpenSearch node, each over its own copy of a small
folder of articles written here.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from search import NewsIndex
from search.engine.opensearch import files
from search.ingest.cluster_ledger import ClusterLedger
from search.ingest.ledger import FileRecord
from tests.test_opensearch_engine import run

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")

#: The report's counts compared between the engines.
COUNTS = ("added", "updated", "unchanged", "removed", "duplicates", "files", "files_unchanged")


def jsonl(*articles: tuple[str, str, str]) -> str:
    return "".join(json.dumps({"id": i, "title": t, "body": b}) + "\n" for i, t, b in articles)


def write_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "apples.txt").write_text("Apple harvest\n\nOrchards report a record apple "
                                       "harvest this autumn.\n", encoding="utf-8")
    (folder / "pears.txt").write_text("Pear prices\n\nPear prices fell at the market on "
                                      "Monday.\n", encoding="utf-8")
    (folder / "wires.jsonl").write_text(jsonl(
        ("w1", "Harbour strike", "Dock workers in the harbour went on strike."),
        ("w2", "Volcano erupts", "A volcano erupted, closing the airport for a day.")),
        encoding="utf-8")
    (folder / "later.jsonl").write_text(jsonl(
        ("l1", "Bridge opens", "The new bridge over the river opened to traffic.")),
        encoding="utf-8")
    return folder


def spoil_keeping_stat(path: Path) -> None:
    """Replace a file's content with bytes no reader accepts, keeping its
    size and mtime: a run that read it would report it failed."""
    stat = path.stat()
    path.write_bytes(b"\xff" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def index_json(target, folder: Path, *options: str) -> dict:
    code, out, err = run("index", folder, "--index", target, "--json", "--jobs", "1", *options)
    assert code == 0, (target, out, err)
    return json.loads(out)


def ids(target) -> set[str]:
    with NewsIndex.open(target) as ix:
        return {a.id for a in ix.articles()}


def scenario(target, folder: Path) -> list[tuple[dict, set[str]]]:
    """Each step's report and the ids the index then holds."""
    steps = []

    def step(*options: str) -> None:
        steps.append((index_json(target, folder, *options), ids(target)))

    step()                                                    # 0: everything new
    spoil_keeping_stat(folder / "later.jsonl")
    step()                                                    # 1: nothing read
    os.utime(folder / "apples.txt")                           # 2: touched, same content
    step()
    (folder / "wires.jsonl").write_text(jsonl(                # 3: w2 dropped, w1 edited,
        ("w1", "Harbour strike ends", "Dock workers in the harbour ended their strike."),
        ("w3", "Snow in spring", "Late snow fell over the hills in April.")),  # w3 new
        encoding="utf-8")
    step()
    (folder / "pears.txt").unlink()                           # 4: gone, kept without --prune
    step()
    step("--prune")                                           # 5: gone, pruned
    (folder / "fresh.txt").write_text("Fresh wire\n\nA story written after the index.\n",
                                      encoding="utf-8")       # 6: a new file
    step()
    return steps


@pytest.fixture(scope="module")
def both(tmp_path_factory, opensearch_url, opensearch_client):
    """(embedded steps, OpenSearch steps, index name, its URL)."""
    base = tmp_path_factory.mktemp("ledger")
    name = f"ledger-{base.name}".lower()
    url = f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"
    opensearch_client.indices.delete(index=f"{name},{name}-*", ignore_unavailable=True)
    try:
        embedded = scenario(base / "index", write_folder(base / "embedded"))
        cluster = scenario(url, write_folder(base / "cluster"))
        yield embedded, cluster, name, url
    finally:
        opensearch_client.indices.delete(index=f"{name},{name}-*", ignore_unavailable=True)


def counts(report: dict) -> dict:
    return {k: report[k] for k in COUNTS}


@pytest.fixture(params=["embedded", "opensearch"])
def steps(request, both):
    return both[0] if request.param == "embedded" else both[1]


def test_the_same_scenario_gives_the_same_reports_on_both_engines(both):
    embedded, cluster, *_ = both
    for number, ((ours, our_ids), (theirs, their_ids)) in enumerate(zip(embedded, cluster)):
        assert counts(theirs) == counts(ours), (number, ours, theirs)
        assert their_ids == our_ids, number
        assert set(theirs) == set(ours)  # the same --json shape
        assert theirs["formats"] == ours["formats"] and not theirs["failed"]


def test_the_first_run_reads_every_file(steps):
    report, held = steps[0]
    assert (report["files"], report["files_unchanged"], report["added"]) == (4, 0, 5)
    assert held == {"apples.txt", "pears.txt", "w1", "w2", "l1"}


def test_a_second_run_reads_no_file(steps):
    """later.jsonl now holds bytes no reader takes, at its old size and
    mtime: it is not read, so nothing fails and its article stays."""
    report, held = steps[1]
    assert (report["files"], report["files_unchanged"]) == (0, 4)
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 5)
    assert report["failed"] == [] and report["formats"] == {}
    assert "l1" in held


def test_a_touched_file_is_hashed_not_read_again(steps):
    report, _ = steps[2]
    assert (report["files"], report["files_unchanged"], report["unchanged"]) == (0, 4, 5)


def test_a_changed_file_is_read_and_its_dropped_article_removed(steps):
    report, held = steps[3]
    assert (report["files"], report["files_unchanged"]) == (1, 3)
    assert (report["updated"], report["removed"], report["added"], report["unchanged"]) == \
        (1, 1, 1, 3)
    assert "w2" not in held and {"w1", "w3"} <= held


def test_a_deleted_files_articles_go_only_with_prune(steps):
    kept, held = steps[4]
    assert kept["removed"] == 0 and "pears.txt" in held
    pruned, held = steps[5]
    assert pruned["removed"] == 1 and "pears.txt" not in held
    assert pruned["files_unchanged"] == 3


def test_a_new_file_is_indexed(steps):
    report, held = steps[6]
    assert (report["added"], report["files"], report["files_unchanged"]) == (1, 1, 3)
    assert "fresh.txt" in held


def test_dropped_and_pruned_articles_are_not_found(both):
    *_, url = both
    for query, gone in (("volcano", True), ("pear", True), ("fresh wire", False)):
        code, out, err = run("query", query, "--index", url, "--json")
        assert code == 0, err
        assert (json.loads(out)["total"] == 0) == gone, query


def test_stats_counts_articles_not_ledger_records(both):
    _, cluster, _, url = both
    code, out, err = run("stats", "--index", url, "--json")
    assert code == 0, err
    assert json.loads(out)["documents"] == len(cluster[-1][1]) == 5  # the ledger holds 4


def test_the_ledger_lives_in_the_cluster_beside_the_index(both, opensearch_client):
    _, _, name, _ = both
    opensearch_client.indices.refresh(index=files.ledger_name(name))
    held = opensearch_client.search(index=files.ledger_name(name),
                                    body={"size": 100, "query": {"match_all": {}}})
    paths = {Path(h["_source"]["path"]).name: h["_source"] for h in held["hits"]["hits"]}
    assert set(paths) == {"apples.txt", "wires.jsonl", "later.jsonl", "fresh.txt"}  # pears forgotten
    assert sorted(paths["wires.jsonl"]["ids"]) == ["w1", "w3"]
    assert paths["wires.jsonl"]["format"] == "jsonl" and paths["wires.jsonl"]["size"] > 0


# --- the ledger itself -----------------------------------------------------------------

def os_url(opensearch_url: str, name: str) -> str:
    return f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"


@pytest.fixture
def fresh_name(request, opensearch_client):
    """An index name of the test's own, deleted (with its ledgers) before and after."""
    name = "ledger-" + request.node.name.lower().replace("_", "-")[:40]
    opensearch_client.indices.delete(index=f"{name},{name}-*", ignore_unavailable=True)
    yield name
    opensearch_client.indices.delete(index=f"{name},{name}-*", ignore_unavailable=True)


def test_a_run_reads_every_record_past_ten_thousand(fresh_name, opensearch_client):
    """The whole ledger is read as a run starts, however many files it names."""
    written = ClusterLedger(opensearch_client, fresh_name)
    for n in range(10_500):
        written.put(FileRecord(f"/archive/{n:05d}.txt", n, n * 1_000, f"sha{n}", "text",
                               [f"{n:05d}.txt"], "opts"))
    written.commit()
    written.refresh()
    read = ClusterLedger(opensearch_client, fresh_name)
    assert len(list(read.under("/archive"))) == 10_500
    assert read.get("/archive/10499.txt") == FileRecord(
        "/archive/10499.txt", 10_499, 10_499_000, "sha10499", "text", ["10499.txt"], "opts")
    assert read.get("/archive/1.txt") is None
    # An article index that is empty drops what its ledger held (nothing to skip).
    assert list(ClusterLedger(opensearch_client, fresh_name, empty=True).under("/")) == []


def test_a_run_keeps_the_ledger_it_read_out_of_its_memory(fresh_name, opensearch_client):
    """The records read as a run starts wait in a scratch SQLite copy, not in
    Python objects: reading 20,000 of them leaves the run's Python memory
    about where it was (held in a dict, they took ~14 MB: ~700 bytes each)."""
    import gc
    import tracemalloc

    written = ClusterLedger(opensearch_client, fresh_name)
    for n in range(20_000):
        written.put(FileRecord(f"/archive/{n:05d}.txt", n, n * 1_000, f"sha{n:040d}", "text",
                               [f"{n:05d}.txt", f"{n:05d}-b"], "opts"))
    written.commit()
    written.refresh()
    written.close()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        read = ClusterLedger(opensearch_client, fresh_name)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2_000_000, f"{held:,} bytes held after reading 20,000 records"
    assert read.get("/archive/19999.txt").sha == f"sha{19999:040d}"
    # Changes reach the copy at once, and leave it again when rolled back.
    read.remove("/archive/00000.txt")
    read.put(FileRecord("/archive/new.txt", 1, 1, "sha", "text", ["new"], ""))
    assert read.get("/archive/00000.txt") is None and read.get("/archive/new.txt") is not None
    read.rollback()
    assert read.get("/archive/00000.txt") is not None and read.get("/archive/new.txt") is None
    read.close()


def test_rebuild_gives_the_new_generation_a_ledger_and_drops_the_old(
        tmp_path, fresh_name, opensearch_url, opensearch_client):
    folder, url = write_folder(tmp_path / "folder"), os_url(opensearch_url, fresh_name)
    index_json(url, folder)
    assert opensearch_client.indices.exists(index=f"{fresh_name}-files")
    code, out, err = run("rebuild", "--index", url, "--json")
    assert code == 0, err
    assert not opensearch_client.indices.exists(index=f"{fresh_name}-files")
    assert opensearch_client.indices.exists(index=f"{fresh_name}-1-files")
    again = index_json(url, folder)
    assert (again["files"], again["files_unchanged"], again["unchanged"]) == (0, 4, 5)
    with NewsIndex.create(url, overwrite=True) as ix:  # deleting the index deletes its ledger
        assert len(ix) == 0
    assert not opensearch_client.indices.exists(index=f"{fresh_name}-1-files")
    assert index_json(url, folder)["added"] == 5  # read again into the new, empty index


def test_a_run_that_dies_leaves_the_ledger_behind_the_index(
        tmp_path, fresh_name, opensearch_url, opensearch_client):
    """Chunks of 2 articles; the run dies at its fifth file. Every file the
    ledger names has its articles in the index, and the next run reads the
    others and ends where an unbroken run would."""
    from search.ingest import indexer
    from search.ingest.opensearch_batch import OpenSearchBatch
    from search.ingest.readers import ReadOptions
    from search.results import IndexReport

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(8):
        (folder / f"story{n}.txt").write_text(f"Story {n}\n\nThe {n}th wire of the day.\n",
                                              encoding="utf-8")

    def dies(done, total, articles):
        if done == 5:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        with OpenSearchBatch(opensearch_client, fresh_name, IndexReport(), chunk=2,
                             files=True) as batch:
            indexer.index_paths(batch, [folder], ReadOptions(), jobs=1, progress=dies)
    opensearch_client.indices.refresh(index=f"{fresh_name},{fresh_name}-files")
    stored = {h["_id"] for h in opensearch_client.search(
        index=fresh_name, body={"size": 100, "_source": False})["hits"]["hits"]}
    ledger = ClusterLedger(opensearch_client, fresh_name)
    named = [i for record in ledger.under(str(folder.resolve())) for i in record.ids]
    assert 0 < len(named) < 8 and set(named) <= stored
    url = os_url(opensearch_url, fresh_name)
    report = index_json(url, folder)
    assert report["files_unchanged"] == len(named) and report["files"] == 8 - len(named)
    assert ids(url) == {f"story{n}.txt" for n in range(8)}


def test_a_file_whose_article_the_cluster_refused_is_read_again(
        tmp_path, fresh_name, opensearch_url, opensearch_client):
    folder, url = write_folder(tmp_path / "folder"), os_url(opensearch_url, fresh_name)
    index_json(url, folder)
    (folder / "apples.txt").write_text("Apple harvest\n\nA smaller harvest after all.\n",
                                       encoding="utf-8")
    opensearch_client.indices.put_settings(index=fresh_name, body={"index.blocks.write": True})
    try:
        code, out, err = run("index", folder, "--index", url, "--json", "--jobs", "1")
        refused = json.loads(out)
        assert code == 2 and [f["path"] for f in refused["failed"]] == ["apples.txt"]
    finally:
        opensearch_client.indices.put_settings(index=fresh_name,
                                               body={"index.blocks.write": False})
    again = index_json(url, folder)  # not recorded as read: read again, and written
    assert (again["files"], again["updated"], again["files_unchanged"]) == (1, 1, 3)
    with NewsIndex.open(url) as ix:
        assert "smaller" in ix.get("apples.txt").body


@pytest.mark.parametrize("engine", ["embedded", "opensearch"])
def test_an_article_moved_to_a_new_file_survives_prune(engine, tmp_path, fresh_name,
                                                       opensearch_url):
    folder = write_folder(tmp_path / "folder")
    target = tmp_path / "index" if engine == "embedded" else os_url(opensearch_url, fresh_name)
    index_json(target, folder)
    (folder / "moved.jsonl").write_bytes((folder / "later.jsonl").read_bytes())
    (folder / "later.jsonl").unlink()
    report = index_json(target, folder, "--prune")
    assert (report["files"], report["removed"], report["unchanged"]) == (1, 0, 5)
    assert "l1" in ids(target)
