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


def test_the_query_layer_and_the_snapshot_have_no_whoosh_exceptions():
    """Issue 19's last step: the query package builds engine-neutral trees
    and the snapshot reads through engine.whoosh; neither is excused from
    the "Whoosh only under engine/whoosh" contract."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "whoosh-in-engine")
    assert {"search.query", "search.snapshot"} <= set(contract["source_modules"])
    assert [rule for rule in contract.get("ignore_imports", [])
            if rule.startswith(("search.query", "search.snapshot"))] == []


def test_no_query_module_imports_whoosh_even_lazily():
    """The same, read off the source (imports inside functions included),
    so it holds whatever the contract's configuration says."""
    import ast

    found = []
    for path in [*sorted((ROOT / "search" / "query").glob("*.py")), ROOT / "search" / "snapshot.py"]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            found += [f"{path.name}: {name}" for name in names
                      if name == "whoosh" or name.startswith("whoosh.")]
    assert found == []
