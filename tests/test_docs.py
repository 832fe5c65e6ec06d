"""The docs: a short README whose example runs, and links that lead somewhere.

The README is for users (at most 12 KB); engineering notes live in docs/.
Every relative link in README.md, CONTRIBUTING.md and docs/*.md must name an
existing file (and, with `#anchor`, a heading of it); the README's Python
example is a doctest run here; its test command is the one CI runs; and
docs/cli.md names every option of every command.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
import typer

from search.cli import app

from .conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, ROOT / "CONTRIBUTING.md", *DOCS]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))  # code is not a link
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_readme_is_short():
    size = len(README.read_bytes())
    assert size <= 12 * 1024, f"README.md is {size:,} bytes; move detail into docs/"


def test_the_pages_exist():
    for name in ("cli", "http-api", "python-api", "architecture", "storage-format",
                 "ranking", "performance", "performance-history", "reliability"):
        assert (ROOT / "docs" / f"{name}.md").is_file(), name
    assert (ROOT / "CONTRIBUTING.md").is_file()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def readme_python_example() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
    examples = [b for b in blocks if b.lstrip().startswith(">>>")]
    assert len(examples) == 1, "the README has one Python example, written as a doctest"
    return examples[0]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(readme_python_example(), {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_readme_test_command_is_what_ci_runs():
    command = "pip install -U pip && pip install -e '.[test]' && pytest"
    assert f"```sh\n{command}\n```" in README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == command


def test_cli_doc_names_every_option():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    missing = []
    for name, cmd in group.commands.items():
        if f"### `newssearch {name}`" not in text:
            missing.append(name)
            continue
        section = text.split(f"### `newssearch {name}`", 1)[1].split("\n### ", 1)[0]
        for param in cmd.params:
            if param.param_type_name == "option" and param.name != "help":
                if f"`{param.opts[0]}`" not in section:
                    missing.append(f"{name} {param.opts[0]}")
    assert not missing, f"docs/cli.md does not describe: {missing}"


def test_python_api_examples_run(tmp_path, monkeypatch, capsys):
    """docs/python-api.md's examples run as written (from the repository
    folder, for `seeds`), into a temporary index, and print what they say."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 2
    for block in blocks:
        code = block.replace("/tmp/my-index", str(tmp_path / "my-index"))
        exec(compile(code, "docs/python-api.md", "exec"), {})
    out = capsys.readouterr().out
    assert "wire-1 Reuters 2020-03-07 00:00:00+00:00" in out
    assert "[('Iran Press', 1), ('Reuters', 1)]" in out
    assert "QueryError 1 col 1: unclosed '('" in out
