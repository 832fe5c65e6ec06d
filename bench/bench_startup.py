"""How long a cold `newssearch` takes to start: each command runs in a fresh
interpreter (a subprocess), so nothing is cached in-process.

    python bench/bench_startup.py [--runs 15]

Prints one table: min and median wall and CPU time over N runs of
`import typer`, `import search.cli`, `newssearch --help` and a cold
`newssearch query` on a small index built from seeds/, with the number of
modules each imports (counted from ``-X importtime``, one line per module),
then the ratio search.cli / typer. Bounded: a few seconds per row.

The code measured is the `search` package the subprocesses find first: the
current directory's. To measure another commit, run from an export of it:

    git archive COMMIT | tar -x -C /tmp/old && cd /tmp/old && python PATH/TO/bench_startup.py
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def build_index(target: Path) -> None:
    # In a child, so that this process stays free of search's modules.
    code = ("import sys; from search import NewsIndex\n"
            "with NewsIndex.create(sys.argv[1]) as ix: ix.index_paths([sys.argv[2]])")
    subprocess.run([PY, "-c", code, str(target), str(ROOT / "seeds")], check=True)


def commands(index: Path) -> dict[str, list[str]]:
    cli = [PY, "-m", "search.cli"]
    return {
        "import typer": [PY, "-c", "import typer"],
        "import search.cli": [PY, "-c", "import search.cli"],
        "newssearch --help": cli + ["--help"],
        "newssearch query": cli + ["query", "Patriot", "--index", str(index)],
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run. CPU time (user + system of the child)
    moves less than wall time when other work shares the cores."""
    started, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, cpu_seconds() - cpu


def timings(argvs: dict[str, list[str]], runs: int) -> dict[str, list[tuple[float, float]]]:
    # Round-robin over the commands, so that a busy spell on a shared machine
    # slows each of them, not only the one measured at the time.
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            seen[name].append(run_once(argv))
    return seen


def module_count(argv: list[str]) -> int:
    run = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], check=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = run.stderr.splitlines()
    return sum(1 for line in lines if line.startswith("import time:")) - 1  # the header


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        build_index(index)
        argvs = commands(index)
        for argv in argvs.values():  # once unmeasured: bytecode caches written
            run_once(argv)
        seen = timings(argvs, args.runs)
        modules = {name: module_count(argv) for name, argv in argvs.items()}
    print(f"{'command':<20} {'wall min':>9} {'wall med':>9} {'cpu min':>8} {'cpu med':>8} "
          f"{'modules':>8}   (ms)")
    for name, runs in seen.items():
        wall, cpu = [w for w, _ in runs], [c for _, c in runs]
        print(f"{name:<20} {ms(min(wall)):>9} {ms(statistics.median(wall)):>9} "
              f"{ms(min(cpu)):>8} {ms(statistics.median(cpu)):>8} {modules[name]:>8}")
    print_ratio(seen["import search.cli"], seen["import typer"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def print_ratio(cli: list[tuple[float, float]], typer: list[tuple[float, float]]) -> None:
    for label, column in (("wall", 0), ("cpu", 1)):
        ours, theirs = [r[column] for r in cli], [r[column] for r in typer]
        print(f"import search.cli / import typer ({label}): min {min(ours) / min(theirs):.2f}, "
              f"median {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
