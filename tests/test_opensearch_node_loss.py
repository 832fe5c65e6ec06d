"""A node lost under `newssearch index` (issue 20): on a three-node cluster on
loopback, with the index created with one replica, one node is killed with
SIGKILL while the real CLI is indexing; the run retries and completes, every
article it reports indexed is found by id, and queries keep answering all the
while (the cluster yellow, never red).

The articles are generated here (JSON Lines, written by this test), so the
test runs wherever a node can start. Nothing waits on a clock: the kill
happens once the index's count is seen rising, and each later step waits on
what the cluster or the process shows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.opensearch_fixture import LauncherMissing, launch, pid_gone

pytestmark = [pytest.mark.opensearch, pytest.mark.slow]
pytest.importorskip("opensearchpy")

INDEX = "node-loss"
ARTICLES = 6000  # ~20 s of indexing on this machine: time to see it under way
FILES = 12
WORDS = ("harvest", "tariff", "merger", "refinery", "currency", "ceasefire", "election",
         "pipeline", "vaccine", "satellite", "drought", "strike")


def write_articles(folder) -> list[str]:
    """FILES JSON Lines files of generated articles; their ids."""
    ids = []
    for f in range(FILES):
        lines = []
        for n in range(f, ARTICLES, FILES):
            word, other = WORDS[n % len(WORDS)], WORDS[(n // len(WORDS)) % len(WORDS)]
            ids.append(f"gen-{n}")
            lines.append(json.dumps({
                "id": f"gen-{n}", "title": f"Report {n} on the {word}",
                "body": f"Article {n} says the {word} and the {other} were discussed. " * 8,
                "source": "Generated", "published": f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}"}))
        (folder / f"part-{f:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def get(url: str, path: str) -> dict:
    with urllib.request.urlopen(url + path, timeout=30) as response:
        return json.load(response)


def wait_for(condition, what: str, *, within: float = 300.0, step: float = 0.2):
    """Poll `condition` until it returns something true; fail after `within`
    seconds (a bound against a hang, not a timing the test relies on)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(step)
    pytest.fail(f"gave up waiting for {what}")


def victim(url: str, nodes: list[dict]) -> dict:
    """A node holding a copy of the index's shard that is not the elected
    cluster manager: its loss moves data, not the cluster's management."""
    manager = get(url, "/_cat/cluster_manager?format=json")[0]["node"]
    holders = {s["node"]: s["prirep"] for s in get(url, f"/_cat/shards/{INDEX}?format=json")}
    candidates = [n for n in nodes if n["name"] in holders and n["name"] != manager]
    # the primary's node if it can be: its replica must take over mid-run
    candidates.sort(key=lambda n: holders[n["name"]] != "p")
    return candidates[0]


def count(client) -> int:
    try:
        return client.count(index=INDEX)["count"]
    except Exception:  # not created yet, or the node asked is the one going down
        return 0


def test_a_node_killed_during_index_loses_nothing(opensearch_node, tmp_path):
    from opensearchpy import OpenSearch

    folder = tmp_path / "articles"
    folder.mkdir()
    ids = write_articles(folder)
    try:
        cluster = launch(tmp_path / "cluster", nodes=3, options=("--survive-node-loss",))
    except LauncherMissing as missing:
        pytest.skip(f"OpenSearch node not started: {missing}")
    nodes = cluster.state["nodes"]
    hosts = ",".join(f"127.0.0.1:{n['http_port']}" for n in nodes)
    target = f"opensearch://{hosts}/{INDEX}"
    client = OpenSearch([f"http://127.0.0.1:{n['http_port']}" for n in nodes], timeout=60,
                        retry_on_timeout=True, max_retries=3)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    run = subprocess.Popen([sys.executable, "-m", "search.cli", "index", str(folder),
                            "--index", target, "--json", "--jobs", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # Under way: the index exists and its count is rising (refreshed each second).
        wait_for(lambda: count(client) >= 300, "the index to fill")
        settings = client.indices.get_settings(index=INDEX)[INDEX]["settings"]["index"]
        assert settings["number_of_replicas"] == "1", settings
        lost = victim(cluster.url, nodes)
        os.kill(lost["pid"], signal.SIGKILL)
        wait_for(lambda: pid_gone(lost["pid"]), "the killed JVM to go")
        survivor = next(f"http://127.0.0.1:{n['http_port']}" for n in nodes if n is not lost)
        at_kill = count(client)
        assert at_kill < len(ids), "the run ended before the kill: index more articles"

        # Queries answer while the run goes on; the cluster is yellow, never red.
        answered = 0
        while run.poll() is None:
            health = get(survivor, "/_cluster/health")
            assert health["status"] != "red", health
            found = client.search(index=INDEX, body={"query": {"match": {"body": "harvest"}}})
            assert found["timed_out"] is False
            answered += 1
            time.sleep(0.2)
        out, err = run.communicate()
        assert run.returncode == 0, err
        report = json.loads(out)
        assert report["added"] == len(ids) and report["failed"] == [], report
        assert answered > 0

        # Every article reported indexed is searchable, by id, on the two left
        # (a search, not a get: what a refreshed index answers).
        searched = client.count(index=INDEX, body={"query": {"ids": {"values": ids}}})
        assert searched["count"] == len(ids), f"{len(ids) - searched['count']} articles lost"
        assert client.count(index=INDEX)["count"] == len(ids)
        health = get(survivor, f"/_cluster/health/{INDEX}")
        assert health["status"] == "yellow" and health["number_of_nodes"] == 2, health
        # and the CLI, given all three nodes, still answers through the two left
        done = subprocess.run([sys.executable, "-m", "search.cli", "query", "harvest",
                               "--index", target, "--json", "--limit", "0"],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        expected = sum(1 for n in range(ARTICLES) if "harvest" in
                       (WORDS[n % len(WORDS)], WORDS[(n // len(WORDS)) % len(WORDS)]))
        assert json.loads(done.stdout)["total"] == expected
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        client.close()
        status = cluster.stop(signal.SIGTERM)
    assert status == 0, cluster.stderr()
    assert f"{lost['name']} (pid {lost['pid']}) exited" in cluster.stderr()
    assert cluster.wait_nodes_gone() == []
