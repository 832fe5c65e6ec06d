"""Worker processes of an indexing run that never outlive it.

Parsing (`ingest.parsing`), the text builder and the merge helpers
(`engine.whoosh`) all run in process pools made here: each worker dies with
the process that indexes (see end_with_indexer). Engine-neutral, so that
both the ingest layer and the engine's writer can start them.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from ..defaults import count_from_env

#: Environment variable setting how many worker processes indexing uses
#: when not told (`--jobs`, ``jobs=``): CPU quotas, tuning, fast test runs.
JOBS_ENV = "NEWSSEARCH_JOBS"


def default_jobs(jobs: int | None = None) -> int:
    """`jobs` if given, else $NEWSSEARCH_JOBS if set, else every core."""
    return jobs or count_from_env(JOBS_ENV, os.cpu_count() or 1, "processes")


def worker_pool(jobs: int):
    """A ProcessPoolExecutor of `jobs` workers that never outlive this
    process (see end_with_indexer): parsing, the text builder, merge helpers."""
    # Imported here: multiprocessing costs a search (which never writes) 8 ms.
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, initializer=end_with_indexer,
                               initargs=(os.getpid(),))


def end_with_indexer(indexer_pid: int) -> None:
    """Pool initializer: a worker (parsing or building) never outlives the indexer.

    Forked workers inherit the indexer's file descriptors, among them the
    index's write lock (a flock, held until every holder is gone) and the
    caller's stdout. Workers left behind by a killed indexer (kill -9, the OOM
    killer) would keep the index locked and the caller's pipe open for ever.
    On Linux the kernel kills a worker with its parent (PR_SET_PDEATHSIG);
    elsewhere a thread checks for the indexer every second."""
    armed = False
    if sys.platform.startswith("linux") and os.getppid() == indexer_pid:
        try:
            import ctypes

            armed = ctypes.CDLL(None).prctl(1, signal.SIGKILL) == 0  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    # Workers are the indexer's own children: once it is gone they are
    # re-parented, even while it lingers as a zombie (which still answers
    # kill(pid, 0), so a worker that started after the kill waited for ever).
    if os.getppid() != indexer_pid or not _alive(indexer_pid):
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch, args=(indexer_pid,), daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(indexer_pid: int) -> None:
    while os.getppid() == indexer_pid and _alive(indexer_pid):
        time.sleep(1.0)
    os._exit(1)
