"""Crash safety: the real `newssearch index` and `rebuild`, killed with SIGKILL
at seeded random moments, must leave an index that opens and holds exactly a
committed state; a re-run must finish the job as if nothing had happened.

What a committed state is (see tests/crashkit.py): the indexer writes the
corpus's articles in a known order and commits after every
NEWSSEARCH_BATCH_SIZE (here 100) written articles. So after a kill the index
holds the first n articles of that order, every one identical to its source,
where n is the count after the previous run plus a whole number of batches
(or the whole corpus). A rebuild is all or nothing: the index is the old one
or the new one, never a mix.

The longer soak (≥ 100 kills) is `python bench/soak_kill.py`.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import time

import pytest

from .crashkit import (check_committed, cli_env, index_state, kill_after, make_corpus,
                       processes_mentioning, run_cli, start_cli, wait_gone)
from .lockwatch import kill_after_commits, lock_is_held, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="uses SIGKILL and /proc")

BATCH = 100
#: Kills of `newssearch index` and of `newssearch rebuild` in this file.
INDEX_KILLS = 15
REBUILD_KILLS = 5
SEED = 20240611


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """2,000 articles: 1,500 text files in 8 folders and 5 JSON Lines files."""
    return make_corpus(tmp_path_factory.mktemp("crash") / "news", text_files=1500,
                       jsonl_files=5)


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    """The index state of one uninterrupted run (default batch size)."""
    path = tmp_path_factory.mktemp("reference") / "ix"
    done = run_cli(["index", str(corpus.root), "--index", str(path)], cli_env(2000))
    assert done.returncode == 0, done.stderr
    state = index_state(path)
    assert state == corpus.expected  # every article, as its source says
    return state


def test_sigkill_during_index_leaves_a_committed_state(corpus, reference, tmp_path):
    rng = random.Random(SEED)
    env = cli_env(BATCH)
    kills, chains, outcomes = 0, 0, []
    while kills < INDEX_KILLS:
        index = tmp_path / f"ix-{chains}"
        chains += 1
        before = 0
        while kills < INDEX_KILLS:
            # --wait 0: a lock left by the killed run would fail this run at once.
            proc = start_cli(["index", str(corpus.root), "--index", str(index), "--wait", "0"],
                             env)
            # Killed at a point of its own progress, not of the clock: as soon
            # as it holds the lock (before any commit), or after 1-3 commits.
            delay = rng.choice((0, 0, 1, 2, 3))
            if not kill_after_commits(proc, index, delay):
                assert proc.returncode == 0, proc.output[1]
                break
            kills += 1
            # The forked parsing workers die with the indexer (they hold its lock).
            assert not wait_gone(str(index)), "parsing workers outlived the killed indexer"
            if not (index / "newssearch.json").exists():
                outcomes.append((delay, "before the index existed"))
                continue
            state = index_state(index)
            n = check_committed(state, corpus, before, BATCH)
            outcomes.append((delay, "no new commit" if n == before else
                             "all committed" if n == len(corpus.order) else
                             f"{(n - before) // BATCH} batches committed"))
            before = n
            if n == len(corpus.order):
                break  # nothing left to interrupt: finish, then a fresh index
        # Finish the job: the result is what an uninterrupted run gives.
        done = run_cli(["index", str(corpus.root), "--index", str(index), "--wait", "0"], env)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert index_state(index) == reference
    print(f"\n{kills} kills over {chains} indexes (commits seen before the kill, outcome):",
          outcomes)
    kinds = {kind.split()[-1] for _, kind in outcomes}
    assert "commit" in kinds and "committed" in kinds, outcomes  # before and between commits


def test_sigkill_during_rebuild_is_all_or_nothing(tmp_path):
    """Kill `rebuild` late (while it writes, commits, merges and swaps): the
    index is the old one or the new one. Sources change between the two (a
    folder goes, another comes), so the two are told apart."""
    news = make_corpus(tmp_path / "news", text_files=300, jsonl_files=1, per_jsonl=100)
    extra = make_corpus(tmp_path / "extra", text_files=60, jsonl_files=0,
                        sections=("india",), seed=8)
    variant_a = dict(news.expected)
    variant_b = {i: v for i, v in news.expected.items() if not i.startswith("echo/")}
    variant_b.update(extra.expected)
    parked = tmp_path / "parked"
    parked.mkdir()

    def switch_to(target: dict) -> None:
        """Move folders so the sources on disk are variant A or B."""
        if target is variant_b:
            shutil.move(news.root / "echo", parked / "echo")
            shutil.move(extra.root / "india", news.root / "india")
        else:
            shutil.move(parked / "echo", news.root / "echo")
            shutil.move(news.root / "india", extra.root / "india")

    env = cli_env(BATCH)
    index = tmp_path / "ix"
    rebuild = ["rebuild", "--index", str(index), "--wait", "0"]
    assert run_cli(["index", str(news.root), "--index", str(index)], env).returncode == 0
    assert index_state(index) == variant_a
    switch_to(variant_b)
    started = time.perf_counter()
    done = run_cli(rebuild, env)
    full = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert index_state(index) == variant_b
    current, target = variant_b, variant_a
    switch_to(target)

    rng = random.Random(SEED)
    kills, outcomes = 0, []
    while kills < REBUILD_KILLS:
        proc = start_cli(rebuild, env)
        delay = rng.uniform(0.5, 1.05) * full
        killed = kill_after(proc, delay)
        if killed:
            kills += 1
            assert not wait_gone(str(index))
        else:
            assert proc.returncode == 0, proc.output[1]
        state = index_state(index)
        assert state in (current, target), "a rebuild left a mix of old and new"
        outcomes.append((round(delay / full, 2), "new" if state == target else "old"))
        if state == target:  # swapped: change the sources again
            current, target = target, current
            switch_to(target)
    print(f"\n{kills} rebuild kills (delay as a share of a full rebuild):", outcomes)

    # After the kills: a plain `index` run writes to the live generation, and
    # a completed rebuild gives the sources' state and leaves one generation.
    done = run_cli(["index", str(news.root), "--index", str(index), "--wait", "0"], env)
    assert done.returncode == 0, done.stderr
    assert index_state(index) == {**current, **target}
    done = run_cli(rebuild, env)
    assert done.returncode == 0, done.stderr
    assert index_state(index) == target
    assert len(list(index.glob("gen-*"))) == 1


def test_a_killed_writer_leaves_no_stale_lock(corpus, tmp_path):
    """Whoosh's lock is an flock on MAIN_WRITELOCK: the kernel releases it
    when the last process holding it dies. The parsing workers hold it too
    (they are forked while it is held), so they must die with the indexer;
    then a new writer gets the lock at once, with no --wait."""
    env = cli_env(BATCH)
    index = tmp_path / "ix"
    proc = start_cli(["index", str(corpus.root), "--index", str(index)], env)
    # Observed, not slept on: the lock is held and the parsing workers (which
    # carry the index path in their command line) have been forked.
    def working() -> bool:
        assert proc.poll() is None, "the run finished before it could be killed"
        return lock_is_held(index) and len(processes_mentioning(str(index))) > 1

    wait_for(working, "the lock taken and the parsing workers forked")
    os.kill(proc.pid, signal.SIGSTOP)  # pinned there: it cannot finish before the kill
    assert kill_after(proc, 0)
    one = tmp_path / "one"
    one.mkdir()
    (one / "story.txt").write_text("Lock test\n\nA short story about locks.\n", encoding="utf-8")
    # --wait 0: succeeding proves nobody held the lock (no timing needed).
    done = run_cli(["index", str(one), "--index", str(index), "--wait", "0"], env)
    assert done.returncode == 0, done.stderr
    assert "story.txt" in index_state(index)
    assert not wait_gone(str(index), timeout=0)
