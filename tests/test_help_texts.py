"""`newssearch <command> --help`: no sentence broken mid-line by the source.

Typer's rich help keeps the line breaks of a docstring's later paragraphs (and
of every paragraph in the command list), so a docstring hard-wrapped at 79
columns comes out as ragged lines on any terminal wider or narrower than that.
Rich markup also swallows anything that looks like a tag (`[default: x]`).
Rendered on a 1,000-column terminal nothing needs wrapping, so every paragraph
of every help text must come out whole, on one line.
"""

from __future__ import annotations

import inspect
import re

import click
import pytest
import typer
from typer.testing import CliRunner

from search.cli import app

WIDE = {"COLUMNS": "1000", "TERMINAL_WIDTH": "1000"}
BOX = "│╭╮╰╯─"


def commands() -> dict[str, click.Command]:
    group = typer.main.get_command(app)
    return dict(group.commands)


def render(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.stdout


def text_lines(output: str) -> list[str]:
    """The rendered lines, box-drawing stripped and whitespace squeezed."""
    lines = []
    for line in output.splitlines():
        line = line.strip()
        if line[:1] in ("╭", "╰"):  # a panel's frame and title
            line = ""
        line = line.strip(BOX).strip()
        lines.append(re.sub(r"\s+", " ", line))
    return lines


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def help_paragraphs(cmd: click.Command) -> list[str]:
    """Every paragraph a user sees: the command's help and each option's."""
    paragraphs = [p for p in inspect.cleandoc(cmd.help or "").split("\n\n") if p.strip()]
    for param in cmd.params:
        text = getattr(param, "help", None)
        if text:
            paragraphs.append(text)
    return paragraphs


NAMES = sorted(commands())


def test_every_command_is_covered():
    assert {"query", "similar", "index", "rebuild", "check", "stats", "show", "export",
            "serve", "eval"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_help_paragraph_is_one_line(name):
    lines = text_lines(render(name))
    cmd = commands()[name]
    for paragraph in help_paragraphs(cmd):
        if paragraph.lstrip().startswith("newssearch ") or "\n  " in paragraph:
            # an examples block: one example a line, kept as written
            continue
        want = squeeze(paragraph)
        assert any(want in line for line in lines), (
            f"`newssearch {name} --help`: this paragraph is broken across lines "
            f"or lost in rendering: {want!r}")


def test_command_list_summaries_are_one_line():
    lines = text_lines(render())
    for name, cmd in commands().items():
        first = squeeze(inspect.cleandoc(cmd.help or "").split("\n\n")[0])
        assert any(line.startswith(name) and first in line for line in lines), (
            f"`newssearch --help` breaks the summary of {name}: {first!r}")


@pytest.mark.parametrize("name", ["", *NAMES])
def test_no_line_ends_mid_sentence(name):
    """A line ending in a word or comma whose next line goes on in lower case
    is a sentence broken by a hard line break."""
    lines = text_lines(render(*([name] if name else [])))
    for before, after in zip(lines, lines[1:]):
        if not before or not after or before.startswith("Usage:"):
            continue
        if re.search(r"[a-z,;]$", before) and re.match(r"[a-z(]", after):
            pytest.fail(f"`newssearch {name} --help` breaks a sentence:\n{before}\n{after}")
