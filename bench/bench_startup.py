"""How long a cold `newssearch` takes to start: each command runs in a fresh
interpreter (a subprocess), so nothing is cached in-process.

    python bench/bench_startup.py [--runs 15]

Prints one table: min and median wall time over N runs of `import typer`,
`import search.cli`, their ratio, `newssearch --help` and a cold
`newssearch query` on a small index built from seeds/, with the number of
modules each imports (counted from ``-X importtime``, one line per module).
Bounded: a few seconds per row.
"""

from __future__ import annotations

import argparse
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


def timings(argv: list[str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - started)
    return seconds


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
        rows = {name: (timings(argv, args.runs), module_count(argv))
                for name, argv in commands(index).items()}
    print(f"{'command':<20} {'min ms':>8} {'median ms':>10} {'modules':>8}")
    for name, (seconds, modules) in rows.items():
        print(f"{name:<20} {min(seconds) * 1000:>8.0f} "
              f"{statistics.median(seconds) * 1000:>10.0f} {modules:>8}")
    typer_s, cli_s = rows["import typer"][0], rows["import search.cli"][0]
    print(f"ratio import search.cli / import typer: min {min(cli_s) / min(typer_s):.2f}, "
          f"median {statistics.median(cli_s) / statistics.median(typer_s):.2f}")


if __name__ == "__main__":
    main()
