"""Load test: `newssearch serve` under concurrent clients while `newssearch
index` writes to the same index.

    python bench/bench_server_load.py [--corpus PATH] [--clients 8] [--requests 800]
                                      [--runs 5] [--fuzzy-every 8] [--max-seconds 240]

1. Builds a multi-segment index from a real corpus (default
   ``../shared/corpora/reuters21578``; ``bbc`` works too; never copied into
   the repo): its files are split into ``--runs`` + 1 groups and the first
   ``--runs`` are indexed by separate ``newssearch index`` runs (one commit,
   so at least one segment, each), so fuzzy words expand over several
   segments.
2. Starts ``newssearch serve`` on 127.0.0.1 (a free port; loopback only) and
   waits until it answers.
3. Starts ``newssearch index`` on the last group, and at once ``--clients``
   threads that send ``--requests`` requests in all over real HTTP
   (``http.client``, one keep-alive connection per client). The mix: plain
   words, two-word queries with a facet or a filter, phrases (exact and with
   slop), and one request in ``--fuzzy-every`` a fuzzy word (``growht~1``).
   Every request must answer 200 with a JSON body; anything else counts as
   an error.
4. Prints one table: requests, seconds, requests/s, p50/p90/p99/max latency
   and errors, overall and per kind, and how many requests were answered
   while the index run was writing.

Bounded: at most ``--requests`` requests and ``--max-seconds`` of load (the
clients stop early when it passes). Target (issue 18): no errors and p99
under 1 s with 1 in 8 requests fuzzy. ``--python`` runs the server (and the
index runs) with another interpreter or checkout, e.g. to measure a version
before a change: ``--pythonpath /path/to/old/checkout``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "reuters21578"

#: Words common in news archives (Reuters and BBC alike).
WORDS = ("oil prices bank trade growth market dollar government profit shares "
         "interest rates exports budget election company sales tax minister "
         "inflation coffee wheat gold strike loss deficit economy talks").split()
PHRASES = ('"oil prices"', '"interest rates"', '"trade deficit"~3', '"central bank"',
           '"the company said"~5', '"prime minister"')
FACETS = ("source", "places", "topics", "year")


def typo(word: str, rng: random.Random) -> str:
    """The word with two neighbouring letters swapped or one dropped."""
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i + 1:]


def request_mix(count: int, fuzzy_every: int, seed: int = 18) -> list[tuple[str, str]]:
    """(kind, path) pairs: 1 in `fuzzy_every` fuzzy, the rest mixed."""
    rng = random.Random(seed)
    mix = []
    for n in range(count):
        if n % fuzzy_every == fuzzy_every - 1:
            kind, params = "fuzzy", {"q": f"{typo(rng.choice(WORDS), rng)}~1"}
        else:
            kind = rng.choice(("word", "words+facet", "phrase", "filter"))
            if kind == "word":
                params = {"q": rng.choice(WORDS)}
            elif kind == "words+facet":
                params = {"q": " ".join(rng.sample(WORDS, 2)), "facet": rng.choice(FACETS)}
            elif kind == "phrase":
                params = {"q": rng.choice(PHRASES)}
            else:
                params = {"q": rng.choice(WORDS), "filter.places": "usa", "sort": "newest"}
        mix.append((kind, "/api/search?" + urlencode(params)))
    return mix


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newssearch(python: str, *args: str) -> list[str]:
    """The command line of `newssearch ARGS` under `python` (PYTHONPATH picks the checkout)."""
    return [python, "-m", "search.cli", *args]


def wait_until_serving(port: int, proc: subprocess.Popen, limit: float = 120) -> None:
    """Poll /api/stats until the server answers (or fail when it died)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/stats")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)  # polling an outside process: nothing to wait on but the clock
    raise SystemExit("the server did not start")


class Client(threading.Thread):
    """Sends its share of the mix over one keep-alive connection."""

    def __init__(self, port: int, jobs: list[tuple[str, str]], stop_at: float,
                 writing: threading.Event):
        super().__init__(daemon=True)
        self.port, self.jobs, self.stop_at, self.writing = port, jobs, stop_at, writing
        self.results: list[tuple[str, float, bool, bool]] = []  # kind, seconds, ok, during index

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        for kind, path in self.jobs:
            if time.monotonic() > self.stop_at:
                return
            during = self.writing.is_set()
            started = time.perf_counter()
            ok = False
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and "total" in json.loads(body)
                if not ok:
                    print(f"error: {response.status} {path}: {body[:200]!r}", file=sys.stderr)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                print(f"error: {path}: {exc}", file=sys.stderr)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.results.append((kind, time.perf_counter() - started, ok, during))
        conn.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if p < 100 \
        else max(values)


def table(rows: list[tuple[str, list[tuple[str, float, bool, bool]]]], seconds: float) -> str:
    head = (f"| {'requests':<12} | {'n':>5} | {'req/s':>6} | {'p50 ms':>7} | {'p90 ms':>7} | "
            f"{'p99 ms':>7} | {'max ms':>7} | {'errors':>6} |")
    lines = [head, "|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|"]
    for name, results in rows:
        times = sorted(r[1] * 1000 for r in results)
        errors = sum(not r[2] for r in results)
        rate = f"{len(results) / seconds:6.1f}" if name == "all" else f"{'':6}"
        lines.append(f"| {name:<12} | {len(results):>5} | {rate} | {percentile(times, 50):7.0f} | "
                     f"{percentile(times, 90):7.0f} | {percentile(times, 99):7.0f} | "
                     f"{max(times) if times else float('nan'):7.0f} | {errors:>6} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--runs", type=int, default=5, help="index runs before the load")
    parser.add_argument("--fuzzy-every", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pythonpath", default=str(REPO),
                        help="the checkout the server and index runs use")
    parser.add_argument("--index-jobs", type=int, default=1,
                        help="parsing processes of the concurrent index run (default 1: "
                             "on a small machine more would starve the server)")
    parser.add_argument("--work", type=Path, help="keep the index here (default: a temp dir)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus} (see ../shared/corpora)")
    args.corpus = args.corpus.resolve()  # the runs below work in the checkout's folder
    files = sorted(p for p in args.corpus.rglob("*")
                   if p.is_file() and p.suffix.lower() in (".sgm", ".txt")
                   and p.name.upper() not in ("README.TXT", "PROVENANCE.MD"))
    if len(files) < args.runs + 1:
        raise SystemExit(f"{args.corpus} has too few files for {args.runs} + 1 index runs")
    groups = [files[i::args.runs + 1] for i in range(args.runs + 1)]
    env = {**os.environ, "PYTHONPATH": args.pythonpath}

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        index = (args.work or Path(tmp)).resolve() / "index"
        started = time.perf_counter()
        for n, group in enumerate(groups[:-1], 1):
            subprocess.run(newssearch(args.python, "index", *map(str, group), "--index",
                                      str(index), "--json"),
                           env=env, cwd=args.pythonpath, check=False, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=900)
        segments = len(list(index.glob("gen-*/*.seg")))
        print(f"index: {len(files) - len(groups[-1])} files in {args.runs} runs, {segments} "
              f"segments, {time.perf_counter() - started:.0f} s", file=sys.stderr)

        port = free_port()
        server = subprocess.Popen(
            newssearch(args.python, "serve", "--index", str(index), "--host", "127.0.0.1",
                       "--port", str(port)),
            env=env, cwd=args.pythonpath, stdout=subprocess.DEVNULL)
        try:
            wait_until_serving(port, server)
            mix = request_mix(args.requests, args.fuzzy_every)
            writing = threading.Event()
            writer = subprocess.Popen(
                newssearch(args.python, "index", *map(str, groups[-1]), "--index",
                           str(index), "--json", "--jobs", str(args.index_jobs)),
                env=env, cwd=args.pythonpath, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            writing.set()
            watcher = threading.Thread(target=lambda: (writer.wait(), writing.clear()),
                                       daemon=True)
            watcher.start()
            stop_at = time.monotonic() + args.max_seconds
            clients = [Client(port, mix[i::args.clients], stop_at, writing)
                       for i in range(args.clients)]
            load_before = os.getloadavg()[0]
            load_started = time.perf_counter()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            seconds = time.perf_counter() - load_started
            load_after = os.getloadavg()[0]
            writer_code = writer.wait(timeout=900)
        finally:
            server.terminate()
            server.wait(timeout=30)

    results = [r for c in clients for r in c.results]
    kinds = sorted({r[0] for r in results})
    rows = [("all", results)] + [(k, [r for r in results if r[0] == k]) for k in kinds]
    rows.append(("while index", [r for r in results if r[3]]))
    print(f"{args.clients} clients, {len(results)} requests in {seconds:.1f} s, 1 in "
          f"{args.fuzzy_every} fuzzy; `newssearch index` ran beside them (exit {writer_code}) "
          f"on an index of {segments} segments; corpus {args.corpus.name}; load average "
          f"{load_before:.1f} before, {load_after:.1f} after on {os.cpu_count()} cores")
    print(table(rows, seconds))


if __name__ == "__main__":
    main()
