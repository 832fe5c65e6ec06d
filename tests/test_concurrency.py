"""Concurrency: searching while another process indexes or rebuilds, a second
writer, and one NewsIndex shared by many threads.

A committed state is a prefix of the corpus order whose length is a whole
number of batches (see tests/crashkit.py), so every count a query can see is
known in advance: a search that saw half a batch, or facets from another
moment than its total, fails here.

Nothing here assumes how fast anything runs: tests wait on observable state
(the writer lock held, a commit seen by the searching threads) and freeze a
writer with SIGSTOP where they need it to hold still (see tests/lockwatch.py).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter

import pytest

from search import NewsIndex

from .crashkit import cli_env, index_state, kill_after, make_corpus, run_cli, start_cli
from .lockwatch import frozen_holding_lock, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="SIGSTOP, /proc and flock semantics of Linux")

BATCH = 50
THREADS = 8


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,000 articles: 800 text files in 8 folders, 2 JSON Lines files."""
    return make_corpus(tmp_path_factory.mktemp("conc") / "news", text_files=800,
                       jsonl_files=2)


def committed_lengths(corpus) -> list[int]:
    n = len(corpus.order)
    return sorted({*range(0, n, BATCH), n})


#: Queries and which article ids each one matches.
QUERIES = {
    "": lambda i: True,
    "report": lambda i: not i.startswith("wire-"),          # text titles say "report"
    "wire": lambda i: i.startswith("wire-"),                # JSON Lines titles say "wire"
    "section:alpha": lambda i: i.startswith("alpha/"),
    "source:Wire": lambda i: i.startswith("wire-"),
}


def allowed_totals(corpus) -> dict[str, set[int]]:
    return {q: {sum(map(match, corpus.order[:m])) for m in committed_lengths(corpus)}
            for q, match in QUERIES.items()}


def hammer(ix: NewsIndex, corpus, stop: threading.Event, seed: int, errors: list,
           seen: list) -> None:
    """Search `ix` in a loop until `stop`; record totals, collect problems."""
    rng = random.Random(seed)
    allowed = allowed_totals(corpus)
    lengths = set(committed_lengths(corpus))
    queries = list(QUERIES)
    while not stop.is_set():
        try:
            q = rng.choice(queries)
            if rng.random() < 0.03:
                stats = ix.stats()
                assert stats.documents in lengths and stats.size_bytes > 0
                assert sum(c.count for c in stats.sections) + sum(
                    1 for i in corpus.order[:stats.documents] if "/" not in i) == stats.documents
                continue
            if rng.random() < 0.2:
                article_id = rng.choice(corpus.order)
                got = ix.get(article_id)
                if got is not None:
                    assert (got.title, got.body, got.content_hash) == corpus.expected[article_id]
                continue
            res = ix.search(q, limit=50, facets=["section", "source"], facet_limit=20)
            assert res.total in allowed[q], f"{q!r}: total {res.total} is no committed state"
            if q == "":
                # Facets come from the same state as the total.
                assert res.total in lengths
                expect = Counter(corpus.expected[i] and i.split("/")[0]
                                 for i in corpus.order[:res.total] if "/" in i)
                got_sections = {c.value: c.count for c in res.facets["section"]}
                assert got_sections == dict(expect), "facet counts from another state"
                prefix = set(corpus.order[:res.total])
                assert all(h.id in prefix for h in res.hits)
            for hit in res.hits:
                title, _, _ = corpus.expected[hit.id]
                assert hit.title == title, f"{hit.id}: half-written stored fields"
            seen.append((q, res.total))
        except Exception as exc:  # collected, asserted empty by the test
            errors.append(f"{type(exc).__name__}: {exc}")


def run_threads(ix, corpus, until, seen: list | None = None) -> tuple[list, list]:
    """Hammer `ix` from THREADS threads while `until()` is true, and then
    until they have searched the final state a few times. (query, total)
    pairs go to `seen`, which `until` may watch."""
    stop = threading.Event()
    errors: list = []
    seen = [] if seen is None else seen
    threads = [threading.Thread(target=hammer, args=(ix, corpus, stop, k, errors, seen))
               for k in range(THREADS)]
    for t in threads:
        t.start()
    try:
        while until():
            time.sleep(0.01)  # `until` polls a process: nothing to block on
        done = len(seen)
        wait_for(lambda: len(seen) >= done + 2 * THREADS or errors,
                 "searches on the final state")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    return errors, seen


def pace(proc, index, seen: list, states: int) -> None:
    """Until the searching threads have seen `states` committed states (or
    the writer ends): freeze the writer (SIGSTOP), wait until a search saw
    the state it left, let it go on, and wait for its next commit. So the
    threads search during the run however fast it is."""
    def count_now() -> int:
        with NewsIndex.open(index) as fresh:
            return len(fresh)

    observed: set[int] = set()
    while proc.poll() is None and len(observed) < states:
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            now = count_now()
            wait_for(lambda: ("", now) in seen, f"a search to see {now} articles")
            observed.add(now)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        wait_for(lambda: proc.poll() is not None or count_now() != now, "the next commit")


def test_threads_search_one_newsindex_while_another_process_indexes(corpus, tmp_path):
    index = tmp_path / "ix"
    NewsIndex.create(index).close()
    proc = start_cli(["index", str(corpus.root), "--index", str(index)], cli_env(BATCH))
    with NewsIndex.open(index) as ix:
        paced = {"done": False}

        def writing() -> bool:
            if not paced["done"]:
                pace(proc, index, seen_by_threads, 3)
                paced["done"] = True
            return proc.poll() is None

        seen_by_threads: list = []
        errors, seen = run_threads(ix, corpus, writing, seen_by_threads)
        _, stderr = proc.communicate()
        assert proc.returncode == 0, stderr
        assert len(ix) == len(corpus.order)
    assert not errors, errors[:5]
    totals = {t for q, t in seen if q == ""}
    print(f"\n{len(seen)} searches from {THREADS} threads; {len(totals)} distinct "
          f"committed states seen")
    assert len(totals) > 2  # they really ran during the commits (see pace)


def test_cli_queries_while_indexing_never_fail(corpus, tmp_path):
    index = tmp_path / "ix"
    env = cli_env(BATCH)
    NewsIndex.create(index).close()
    proc = start_cli(["index", str(corpus.root), "--index", str(index)], env)
    allowed = allowed_totals(corpus)
    results = []
    while proc.poll() is None:
        q = random.choice(list(QUERIES))
        done = run_cli(["query", q, "--index", str(index), "--json", "-n", "5"], env)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        total = json.loads(done.stdout)["total"]
        assert total in allowed[q]
        results.append(total)
    assert proc.wait() == 0
    assert len(results) >= 3


def test_searches_follow_rebuild_swaps(corpus, tmp_path):
    """Threads keep searching one NewsIndex while another process rebuilds
    the index twice (new generation, atomic swap, old one deleted)."""
    index = tmp_path / "ix"
    env = cli_env(BATCH)
    assert run_cli(["index", str(corpus.root), "--index", str(index)], env).returncode == 0
    full = {len(corpus.order)}
    state = {"runs": 0}

    def rebuilding() -> bool:
        if state.get("proc") is None or state["proc"].poll() is not None:
            if state.get("proc") is not None:
                assert state["proc"].returncode == 0, state["proc"].communicate()[1]
            if state["runs"] == 2:
                return False
            state["proc"] = start_cli(["rebuild", "--index", str(index)], env)
            state["runs"] += 1
        return True

    with NewsIndex.open(index) as ix:
        errors, seen = run_threads(ix, corpus, rebuilding)
        assert len(ix) == len(corpus.order)
    assert not errors, errors[:5]
    assert {t for q, t in seen if q == ""} <= full
    assert len(list(index.glob("gen-*"))) == 1
    assert index_state(index) == corpus.expected


def test_second_writer_waits_then_fails_with_one_line(corpus, tmp_path):
    index = tmp_path / "ix"
    env = cli_env(BATCH)
    other = tmp_path / "other"
    other.mkdir()
    (other / "late.txt").write_text("Late story\n\nIt came in while the index was busy.\n",
                                    encoding="utf-8")
    NewsIndex.create(index).close()
    proc = start_cli(["index", str(corpus.root), "--index", str(index)], env)
    try:
        with frozen_holding_lock(proc, index):  # the first run holds the lock throughout
            started = time.perf_counter()
            second = run_cli(["index", str(other), "--index", str(index), "--wait", "1"], env)
            waited = time.perf_counter() - started
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "locked by another writer" in lines[0] and "--wait" in lines[0]
        assert lines[0].startswith("newssearch: error: ")
        assert waited >= 1.0  # it did wait (a lower bound: no assumption about speed)
        # A patient second writer gets in once the first one is done.
        third = run_cli(["index", str(other), "--index", str(index), "--wait", "600"], env,
                        timeout=900)  # bounds for a stuck run, not expectations
        assert third.returncode == 0, third.stderr
    finally:
        proc.wait(timeout=300)
    assert proc.returncode == 0
    state = index_state(index)
    assert set(state) == set(corpus.order) | {"late.txt"}


def test_api_second_writer_gets_index_locked_error(corpus, tmp_path):
    from search.errors import IndexLockedError

    index = tmp_path / "ix"
    NewsIndex.create(index).close()
    proc = start_cli(["index", str(corpus.root), "--index", str(index)], cli_env(BATCH))
    try:
        with frozen_holding_lock(proc, index), NewsIndex.open(index) as ix:
            started = time.perf_counter()
            with pytest.raises(IndexLockedError, match="locked by another writer"):
                ix.delete(["nothing"], wait=0.5)
            assert time.perf_counter() - started >= 0.5
    finally:
        kill_after(proc, 0)


def test_manifest_read_racing_a_rebuild_swap_sees_the_new_generation(tmp_path, monkeypatch):
    """The interleaving behind a rare failure of the test above: a reader
    reads the manifest (naming gen-1), then a rebuild renames in a manifest
    naming gen-2 and deletes gen-1, and only then does the reader check that
    gen-1's folder exists. That is a swap, not damage: the read follows it."""
    from search.engine.whoosh import directory

    index = tmp_path / "ix"
    with NewsIndex.create(index):
        pass
    old = directory.read_manifest(index)
    (index / "gen-000009").mkdir()
    swapped = json.loads((index / directory.MANIFEST).read_text("utf-8"))
    swapped["generation"] = "gen-000009"
    real_loads = json.loads
    calls = []

    def loads_then_swap(text, *args, **kwargs):
        data = real_loads(text, *args, **kwargs)
        if not calls:  # the rebuild runs right after our first read
            calls.append(1)
            (index / directory.MANIFEST).write_text(json.dumps(swapped), "utf-8")
            for f in (index / old.generation).iterdir():
                f.unlink()
            (index / old.generation).rmdir()
        return data

    monkeypatch.setattr(directory.json, "loads", loads_then_swap)
    assert directory.read_manifest(index).generation == "gen-000009"
