"""Waiting on a writer's observable state instead of on the clock.

Tests that need "another process holds the write lock" used to start it,
sleep 1.5 s and assume so: on a loaded machine the process had not started
yet, or had already finished. Here the test watches the lock itself (a
non-blocking flock of its own on the same file fails while another process
holds it) and then freezes the writer with SIGSTOP, so the lock stays held
for exactly as long as the test needs, however slow or fast the machine.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from search.directory import WRITER_LOCK

#: Seconds after which a wait is reported as stuck (a failure bound only).
STUCK = 120.0


def wait_for(condition: Callable[[], bool], what: str, limit: float = STUCK) -> None:
    """Poll `condition` until true; AssertionError naming `what` if it never is."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def lock_is_held(index: Path) -> bool:
    """True if some process holds the index's writer lock."""
    path = index / WRITER_LOCK
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


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
