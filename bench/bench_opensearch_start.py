"""What a real OpenSearch cluster costs to start here: time and memory for 1 and 3 nodes.

    python bench/bench_opensearch_start.py [--runs 3] [--nodes 1 3] [--heap 256m:512m]

Each run starts `bench/opensearch_cluster.py` on free loopback ports in a fresh
data folder, exactly as the tests do, and measures:

* start: seconds from starting the launcher to its first stdout line (the URL,
  printed once the cluster is green; yellow with one node). The artifacts are
  fetched and the launcher compiled once, before the first timed run.
* RSS: the resident memory of each node's JVM (VmRSS) once the cluster is ready,
  and of all nodes together.
* stop: seconds from SIGTERM to the launcher's exit with every JVM gone.

Each with the full JIT (how clusters start by default) and with --quick-start
(C1 only, what the tests use).

Prints one table: min / median / max over the runs. Bounded: each start waits at
most --timeout seconds; every node started is stopped.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "opensearch_cluster.py"
sys.path.insert(0, str(HERE))
from opensearch_cluster import DEFAULT_HEAP, free_port_run, pid_gone  # noqa: E402


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(nodes: int, heap: str, timeout: float, quick: bool) -> dict:
    http, transport = free_port_run(nodes)
    with tempfile.TemporaryDirectory(prefix="bench-opensearch-") as tmp:
        data = Path(tmp)
        command = [sys.executable, str(LAUNCHER), "--data", str(data), "--nodes", str(nodes),
                   "--port", str(http), "--transport-port", str(transport), "--heap", heap,
                   "--timeout", str(timeout), "--no-fetch", "--stop-on-stdin-eof",
                   "--cluster-name", f"bench-{http}", *(["--quick-start"] if quick else [])]
        with open(data / "launcher.err", "wb") as err:
            started = time.monotonic()
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=err, text=True)
        try:
            url = process.stdout.readline().strip()
            start = time.monotonic() - started
            if not url:
                process.wait(60)
                raise RuntimeError((data / "launcher.err").read_text(errors="replace"))
            state = json.loads((data / "cluster.json").read_text())
            pids = [node["pid"] for node in state["nodes"]]
            rss = [rss_kib(pid) for pid in pids]
        finally:
            stopping = time.monotonic()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(120)
            process.stdin.close()
            process.stdout.close()
        deadline = time.monotonic() + 60
        while not all(pid_gone(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop = time.monotonic() - stopping
        if process.returncode != 0 or not all(pid_gone(pid) for pid in pids):
            raise RuntimeError(f"the launcher exited {process.returncode}; JVMs left: "
                               f"{[p for p in pids if not pid_gone(p)]}")
    return {"start": start, "rss_node": max(rss) / 1024, "rss_total": sum(rss) / 1024, "stop": stop}


def spread(values: list[float], fmt: str) -> str:
    return " / ".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--heap", default=f"{DEFAULT_HEAP[0]}:{DEFAULT_HEAP[1]}",
                        help="per node -Xms:-Xmx (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--jit", choices=["full", "quick", "both"], default="both",
                        help="full JIT (the default for clusters), --quick-start (C1 only, "
                             "what the tests use), or both (default)")
    args = parser.parse_args(argv)

    # Fetch and compile first, untimed (the launcher says in one line what is missing).
    prepared = subprocess.run([sys.executable, str(LAUNCHER), "--fetch-only"])
    if prepared.returncode != 0:
        return prepared.returncode

    rows = []
    jits = ["full", "quick"] if args.jit == "both" else [args.jit]
    for nodes, jit in ((n, j) for n in args.nodes for j in jits):
        runs = []
        for i in range(args.runs):
            result = one_run(nodes, args.heap, args.timeout, jit == "quick")
            print(f"  {nodes} node(s), {jit} JIT, run {i + 1}: start {result['start']:.1f}s, "
                  f"RSS {result['rss_total']:.0f} MiB, stop {result['stop']:.1f}s",
                  file=sys.stderr, flush=True)
            runs.append(result)
        rows.append((nodes, jit, runs))

    print(f"OpenSearch start on this machine: heap {args.heap} per node, "
          f"{args.runs} runs each (min / median / max)")
    header = f"{'nodes':>5}  {'JIT':>5}  {'start to green (s)':>20}  {'RSS per node (MiB)':>20}  " \
             f"{'RSS all nodes (MiB)':>21}  {'SIGTERM to gone (s)':>20}"
    print(header)
    print("-" * len(header))
    for nodes, jit, runs in rows:
        print(f"{nodes:>5}  {jit:>5}  {spread([r['start'] for r in runs], '.1f'):>20}  "
              f"{spread([r['rss_node'] for r in runs], '.0f'):>20}  "
              f"{spread([r['rss_total'] for r in runs], '.0f'):>21}  "
              f"{spread([r['stop'] for r in runs], '.1f'):>20}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
