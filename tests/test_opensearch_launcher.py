"""bench/opensearch_cluster.py without a cluster: what it says when something is
missing (these run on every machine; the real nodes are tests/test_opensearch_cluster.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.opensearch_fixture import LAUNCHER, MISSING


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(LAUNCHER), *args], env=env, text=True,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def test_missing_artifacts_are_said_in_one_line_without_fetching(tmp_path):
    env = {**os.environ, "NEWSSEARCH_CACHE": str(tmp_path / "cache")}
    done = run("--data", str(tmp_path / "data"), "--no-fetch", env=env)
    if "missing: Java" in done.stderr:
        assert done.returncode == MISSING  # this machine has no Java: that line instead
        return
    assert done.returncode == MISSING, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("missing: OpenSearch 2.19.6 artifacts in ")
    assert "--fetch-only" in line
    assert not (tmp_path / "data").exists()  # nothing started, nothing written


def test_missing_java_is_said_in_one_line(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH without java (and without mvn)
    bin_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env.update(PATH=str(bin_dir), NEWSSEARCH_CACHE=str(tmp_path / "cache"))
    done = run("--fetch-only", env=env)
    assert done.returncode == MISSING
    (line,) = done.stderr.splitlines()
    assert line.startswith("missing: Java")


def test_data_is_required_unless_fetch_only(tmp_path):
    done = run(env=dict(os.environ))
    assert done.returncode == 2 and "--data DIR is required" in done.stderr


def test_the_launcher_needs_only_the_standard_library():
    source = Path(LAUNCHER).read_text()
    imported = {line.split()[1].split(".")[0] for line in source.splitlines()
                if line.startswith(("import ", "from ")) and "__future__" not in line}
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
