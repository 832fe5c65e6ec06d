"""The package layout holds: import contracts checked by import-linter.

The contracts live in pyproject.toml (``[tool.importlinter]``): packages are
layers (cli/web → api → query/ingest → engine → text), and Whoosh is imported
only under ``search.engine.whoosh``. Each import today's code still needs
against them is listed there as an exception, with its reason; import-linter
also fails on a listed exception that no longer exists, so the list shrinks
as the code improves. Run ``lint-imports`` for the full report.
"""

from __future__ import annotations

import ast
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


def _whoosh_imports(path: Path) -> set[str]:
    """The Whoosh modules a source file imports (at any depth of its code)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] == "whoosh")
    return found


def test_the_text_layer_reads_only_whoosh_stop_word_data():
    """The text layer's one exception to "Whoosh only in the engine" is
    narrow: search/text/stopwords.py reads the stop-word lists, nothing else
    of Whoosh, and no other text module imports Whoosh at all."""
    text = ROOT / "search" / "text"
    imports = {path.name: _whoosh_imports(path) for path in text.glob("*.py")}
    assert imports.pop("stopwords.py") == {"whoosh.lang.stopwords"}
    assert not any(imports.values()), imports
