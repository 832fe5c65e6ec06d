"""A real OpenSearch node for the tests marked ``opensearch``, started through the
launcher everyone uses (``bench/opensearch_cluster.py``), never a mock.

The session-scoped fixture :func:`opensearch_node` starts one node on free
loopback ports, waits on what the launcher shows (its first stdout line, the
URL, printed once the cluster is green or yellow; or its exit), and stops it at
the end of the session, checking that no JVM is left. When Java or the
artifacts are missing the launcher says so in one line (exit status 3) and the
tests skip with that line as the reason; the tests never fetch anything
themselves (``.ci/run`` does: ``python bench/opensearch_cluster.py --fetch-only``).

At the end of the session one summary line says how many opensearch tests ran.
Registered as a plugin by ``tests/conftest.py``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "bench" / "opensearch_cluster.py"


def _launcher_module():
    """bench/opensearch_cluster.py as a module (bench/ is no package): its port
    and process helpers, so tests and benchmarks pick ports and watch pids alike."""
    if "opensearch_cluster" in sys.modules:
        return sys.modules["opensearch_cluster"]
    spec = importlib.util.spec_from_file_location("opensearch_cluster", LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["opensearch_cluster"] = module  # (dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


_cluster = _launcher_module()
free_port_run = _cluster.free_port_run
pid_gone = _cluster.pid_gone
MISSING = _cluster.MISSING  # the launcher's exit status for a missing prerequisite


class LauncherMissing(Exception):
    """Java, javac or the OpenSearch artifacts are missing (the launcher's one line)."""


@dataclass
class Launched:
    """A running `bench/opensearch_cluster.py` and the cluster it started."""

    process: subprocess.Popen
    url: str
    data: Path
    state: dict

    @property
    def node_pids(self) -> list[int]:
        return [node["pid"] for node in self.state["nodes"]]

    def stderr(self) -> str:
        try:
            return (self.data / "launcher.err").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90.0) -> int:
        """Signal the launcher and wait for it to exit; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.stdin:
                self.process.stdin.close()
            if self.process.stdout:
                self.process.stdout.close()

    def wait_nodes_gone(self, timeout: float = 60.0) -> list[int]:
        """Wait until every node JVM has exited; the pids still running at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = [pid for pid in self.node_pids if not pid_gone(pid)]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.2)


def launch(data: Path, *, nodes: int = 1, timeout: float = 300.0,
           options: tuple[str, ...] = ()) -> Launched:
    """Start the launcher on free ports and return once it printed the URL
    (`options`: more of the launcher's options, e.g. ``--survive-node-loss``).

    Raises LauncherMissing when a prerequisite is missing (the launcher exited 3),
    RuntimeError when the cluster did not come up."""
    data.mkdir(parents=True, exist_ok=True)
    http, transport = free_port_run(nodes)
    err = open(data / "launcher.err", "wb")
    command = [sys.executable, str(LAUNCHER), "--data", str(data), "--nodes", str(nodes),
               "--port", str(http), "--transport-port", str(transport),
               "--cluster-name", f"newssearch-test-{os.getpid()}-{http}",
               "--timeout", str(timeout), "--no-fetch", "--stop-on-stdin-eof",
               "--quick-start", *options]  # tests want the node soon, not its best JIT
    # stdin is a pipe held by this process: if pytest dies, the launcher sees
    # end of file and stops its nodes (and they watch the launcher the same way).
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=err, text=True)
    err.close()
    url = process.stdout.readline().strip()  # the launcher's own --timeout bounds this
    if not url:
        status = process.wait(60)
        message = (data / "launcher.err").read_text(errors="replace").strip()
        if status == MISSING:
            line = next((l for l in message.splitlines() if l.startswith("missing:")), message)
            raise LauncherMissing(line)
        raise RuntimeError(f"bench/opensearch_cluster.py exited {status} before the cluster "
                           f"was ready:\n{message}")
    state = json.loads((data / "cluster.json").read_text())
    assert state["url"] == url, (state, url)
    return Launched(process=process, url=url, data=data, state=state)


# --- the session's node ------------------------------------------------------

#: Each opensearch test's outcome (a failure in any phase wins over a pass).
_outcomes: dict[str, str] = {}
_skip_reason: list[str] = []


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory) -> Launched:
    """One real OpenSearch node for the session (skips when Java or the artifacts are missing)."""
    if _skip_reason:
        pytest.skip(_skip_reason[0])
    data = tmp_path_factory.mktemp("opensearch")
    try:
        node = launch(data, nodes=1)
    except LauncherMissing as missing:
        _skip_reason.append(f"OpenSearch node not started: {missing}")
        pytest.skip(_skip_reason[0])
    try:
        yield node
    finally:
        status = node.stop(signal.SIGTERM)
        left = node.wait_nodes_gone()
        assert status == 0, f"the launcher exited {status} on SIGTERM:\n{node.stderr()}"
        assert not left, f"node JVMs still running after the launcher stopped: {left}"


@pytest.fixture(scope="session")
def opensearch_url(opensearch_node) -> str:
    return opensearch_node.url


@pytest.fixture(scope="session")
def opensearch_client(opensearch_url):
    """The official Python client (opensearch-py) on the session's node."""
    opensearchpy = pytest.importorskip("opensearchpy")
    client = opensearchpy.OpenSearch(hosts=[opensearch_url], timeout=60)
    yield client
    client.close()


@pytest.fixture(scope="session")
def newssearch_mapping() -> dict:
    """The index settings and mapping that mirror newssearch's analysis."""
    from search.engine.opensearch.mapping import load_mapping
    return load_mapping()


# --- counting the opensearch tests -------------------------------------------

# (The marker itself is registered in pyproject.toml.)

def pytest_runtest_logreport(report):
    if "opensearch" not in report.keywords:
        return
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter):
    if not _outcomes:
        return
    counts = {name: list(_outcomes.values()).count(name) for name in ("passed", "failed", "skipped")}
    ran = counts["passed"] + counts["failed"]
    line = (f"opensearch: {ran} tests ran against a real OpenSearch node "
            f"({counts['passed']} passed, {counts['failed']} failed), {counts['skipped']} skipped")
    if _skip_reason:
        line += f" — {_skip_reason[0]}"
    terminalreporter.write_line(line)
