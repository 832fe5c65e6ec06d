"""Crash soak: SIGKILL the real `newssearch index` and `newssearch rebuild`
over and over at seeded random moments, and check after every kill that the
index opens and holds exactly a committed state (see tests/crashkit.py), that
no parsing worker outlived its indexer, and that the next run gets the write
lock at once (--wait 0) and finishes with what an uninterrupted run gives.

    python bench/soak_kill.py [--kills 100] [--rebuild-share 0.25] [--seed 1]
                              [--articles 3000] [--batch 100]

Prints a table of figures; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.crashkit import (check_committed, cli_env, index_state, kill_after,  # noqa: E402
                            make_corpus, run_cli, start_cli, wait_gone)


class Tally:
    def __init__(self) -> None:
        self.kills = {"index": 0, "rebuild": 0}
        self.ok = 0
        self.mismatches: list[str] = []
        self.finished_first = 0  # runs that ended before their kill
        self.phases = {"no new commit": 0, "batches committed": 0, "all committed": 0,
                       "rebuild: old": 0, "rebuild: new": 0, "before the index existed": 0}

    def check(self, what: str, fn) -> bool:
        try:
            fn()
        except AssertionError as exc:
            self.mismatches.append(f"{what}: {exc}")
            print(f"MISMATCH {what}: {exc}", file=sys.stderr)
            return False
        return True


def soak_index(corpus, reference, work: Path, kills: int, batch: int, rng, tally) -> None:
    env = cli_env(batch)
    chain = 0
    while tally.kills["index"] < kills:
        index = work / f"ix-{chain}"
        chain += 1
        before = 0
        while tally.kills["index"] < kills:
            proc = start_cli(["index", str(corpus.root), "--index", str(index), "--wait", "0"], env)
            if not kill_after(proc, rng.uniform(0.2, 3.0)):
                tally.finished_first += 1
                tally.check("uninterrupted run", lambda: _ok(proc.returncode, proc.output[1]))
                break
            tally.kills["index"] += 1
            good = tally.check("orphans", lambda: _no_orphans(index))
            if not (index / "newssearch.json").exists():
                tally.phases["before the index existed"] += 1
                tally.ok += good
                continue
            holder = {}

            def verify() -> None:
                holder["n"] = check_committed(index_state(index), corpus, before, batch)

            if tally.check(f"committed state after kill {tally.kills['index']}", verify) and good:
                tally.ok += 1
                n = holder["n"]
                tally.phases["no new commit" if n == before else "all committed"
                             if n == len(corpus.order) else "batches committed"] += 1
                before = n
                if n == len(corpus.order):
                    break
            else:
                break  # this index is suspect: start another
        done = run_cli(["index", str(corpus.root), "--index", str(index), "--wait", "0"], env)
        tally.check("re-run", lambda: _ok(done.returncode, done.stderr))
        tally.check("re-run equals an uninterrupted run",
                    lambda: _same(index_state(index), reference))
        shutil.rmtree(index, ignore_errors=True)


def soak_rebuild(work: Path, kills: int, batch: int, rng, tally) -> None:
    news = make_corpus(work / "news", text_files=400, jsonl_files=2, per_jsonl=100, seed=11)
    extra = make_corpus(work / "extra", text_files=100, jsonl_files=0,
                        sections=("india",), seed=12)
    a = dict(news.expected)
    b = {i: v for i, v in news.expected.items() if not i.startswith("echo/")}
    b.update(extra.expected)
    parked = work / "parked"
    parked.mkdir()

    def switch_to(target: dict) -> None:
        if target is b:
            shutil.move(news.root / "echo", parked / "echo")
            shutil.move(extra.root / "india", news.root / "india")
        else:
            shutil.move(parked / "echo", news.root / "echo")
            shutil.move(news.root / "india", extra.root / "india")

    env = cli_env(batch)
    index = work / "rebuild-ix"
    rebuild = ["rebuild", "--index", str(index), "--wait", "0"]
    run_cli(["index", str(news.root), "--index", str(index)], env)
    switch_to(b)
    started = time.perf_counter()
    run_cli(rebuild, env)
    full = time.perf_counter() - started
    tally.check("first rebuild", lambda: _same(index_state(index), b))
    current, target = b, a
    switch_to(target)
    while tally.kills["rebuild"] < kills:
        proc = start_cli(rebuild, env)
        killed = kill_after(proc, rng.uniform(0.3, 1.05) * full)
        if killed:
            tally.kills["rebuild"] += 1
        else:
            tally.finished_first += 1
        state = {}

        def verify() -> None:
            state["s"] = index_state(index)
            assert state["s"] in (current, target), "a mix of old and new"

        good = tally.check("orphans", lambda: _no_orphans(index)) if killed else True
        if tally.check(f"rebuild state after kill {tally.kills['rebuild']}", verify) and good:
            tally.ok += killed
            if killed:
                tally.phases["rebuild: new" if state["s"] == target else "rebuild: old"] += 1
            if state["s"] == target:
                current, target = target, current
                switch_to(target)
    done = run_cli(rebuild, env)
    tally.check("final rebuild", lambda: _ok(done.returncode, done.stderr))
    tally.check("final rebuild state", lambda: _same(index_state(index), target))
    tally.check("one generation left", lambda: _one_generation(index))


def _ok(code: int, stderr: str) -> None:
    assert code == 0 and "Traceback" not in stderr, stderr.strip()[-300:]


def _same(state: dict, expected: dict) -> None:
    assert state == expected, f"{len(state)} articles, expected {len(expected)}"


def _no_orphans(index: Path) -> None:
    left = wait_gone(str(index))
    assert not left, f"processes outlived the killed run: {left}"


def _one_generation(index: Path) -> None:
    gens = sorted(p.name for p in index.glob("gen-*"))
    assert len(gens) == 1, gens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--rebuild-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    started = time.perf_counter()
    rng = random.Random(args.seed)
    tally = Tally()
    rebuild_kills = round(args.kills * args.rebuild_share)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        work = Path(tmp)
        jsonl = max(1, args.articles // 300)
        corpus = make_corpus(work / "news", text_files=args.articles - jsonl * 100,
                             jsonl_files=jsonl, per_jsonl=100)
        done = run_cli(["index", str(corpus.root), "--index", str(work / "ref")], cli_env(2000))
        _ok(done.returncode, done.stderr)
        reference = index_state(work / "ref")
        tally.check("reference run", lambda: _same(reference, corpus.expected))
        soak_index(corpus, reference, work, args.kills - rebuild_kills, args.batch, rng, tally)
        (work / "rb").mkdir()
        soak_rebuild(work / "rb", rebuild_kills, args.batch, rng, tally)
    seconds = time.perf_counter() - started
    kills = sum(tally.kills.values())
    rows = [
        ("kills (SIGKILL)", f"{kills} ({tally.kills['index']} index, "
                            f"{tally.kills['rebuild']} rebuild)"),
        ("recoveries OK", f"{tally.ok}"),
        ("mismatches", f"{len(tally.mismatches)}"),
        ("index kills: no new commit / batches committed / all committed",
         f"{tally.phases['no new commit']} / {tally.phases['batches committed']} / "
         f"{tally.phases['all committed']}"),
        ("rebuild kills: old index kept / new index swapped in",
         f"{tally.phases['rebuild: old']} / {tally.phases['rebuild: new']}"),
        ("runs that finished before their kill", f"{tally.finished_first}"),
        ("corpus", f"{args.articles:,} articles, batch {args.batch}"),
        ("time", f"{seconds:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'figure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    return 1 if tally.mismatches or tally.ok != kills else 0


if __name__ == "__main__":
    sys.exit(main())
