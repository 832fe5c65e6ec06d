"""The package layout holds: import contracts checked by import-linter.

The contracts live in pyproject.toml (``[tool.importlinter]``): packages are
layers (cli/web → api → query/ingest → engine → text), and Whoosh is imported
only under ``search.engine.whoosh``. Each import today's code still needs
against them is listed there as an exception, with its reason; import-linter
also fails on a listed exception that no longer exists, so the list shrinks
as the code improves. Run ``lint-imports`` for the full report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# In a child process: import-linter's configuration is process-wide, and the
# graph is built from the source files (nothing of search is imported).
LINT = """
import sys
from importlinter import configuration
from importlinter.application import use_cases
configuration.configure()
sys.exit(0 if use_cases.lint_imports(no_logo=True, cache_dir=None) else 1)
"""


def test_the_contracts_are_declared():
    tomllib = pytest.importorskip("tomllib")  # (Python 3.11+)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert {contract["id"] for contract in config["contracts"]} == {"layers", "whoosh-in-engine"}


def test_the_import_contracts_are_kept():
    pytest.importorskip("importlinter")
    run = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
