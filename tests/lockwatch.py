"""Waiting on a writer's observable state instead of on the clock.

Tests that need "another process holds the write lock" used to start it,
sleep 1.5 s and assume so: on a loaded machine the process had not started
yet, or had already finished; kill tests killed after a random number of
seconds, and under load never between two commits. Here the test watches the
lock itself (in /proc/locks) and the commits (the table of contents'
generation), then freezes the writer with SIGSTOP or kills it, however slow
or fast the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from search.engine.whoosh.directory import WRITER_LOCK

#: Seconds after which a wait is reported as stuck (a failure bound only).
STUCK = 120.0


def wait_for(condition: Callable[[], bool], what: str, limit: float = STUCK) -> None:
    """Poll `condition` until true; AssertionError naming `what` if it never is."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def lock_is_held(index: Path) -> bool:
    """True if some process holds the index's writer lock. Read from
    /proc/locks (the lock file's inode among the flocks), so looking never
    takes the lock: a writer started with --wait 0 cannot find it taken by us."""
    try:
        inode = os.stat(index / WRITER_LOCK).st_ino
        table = Path("/proc/locks").read_text()
    except FileNotFoundError:
        return False
    for line in table.splitlines():
        fields = line.split()
        if "FLOCK" in fields and len(fields) > 5 and fields[5].rsplit(":", 1)[-1] == str(inode):
            return True
    return False


def commits(index: Path) -> int:
    """The live generation's commit number (its newest table of contents);
    -1 before the first."""
    numbers = [int(toc.stem.rsplit("_", 1)[-1]) for toc in index.glob("gen-*/_MAIN_*.toc")]
    return max(numbers, default=-1)


def kill_after_commits(proc: subprocess.Popen, index: Path, count: int) -> bool:
    """SIGKILL the writer `proc` once it holds the lock and has committed
    `count` times since (0: at once); False if it finished first. Its
    (stdout, stderr) are kept as ``proc.output``."""
    first: list[int] = []

    def ready() -> bool:
        if proc.poll() is not None:
            return True
        if not lock_is_held(index):
            return False
        if not first:
            first.append(commits(index))
        return commits(index) - first[0] >= count

    wait_for(ready, f"{count} commits")
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    proc.output = proc.communicate()
    return not finished


@contextmanager
def frozen_holding_lock(proc: subprocess.Popen, index: Path) -> Iterator[None]:
    """Wait until `proc` holds the writer lock of `index`, then stop it
    (SIGSTOP) for the block, so it holds the lock throughout; resumed after."""
    def holding() -> bool:
        assert proc.poll() is None, "the writer finished before it could be caught"
        return lock_is_held(index)

    wait_for(holding, "the writer to take the lock")
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        assert lock_is_held(index)  # a stopped process releases nothing
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)
