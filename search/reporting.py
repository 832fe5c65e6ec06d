"""The lines an index or rebuild run prints on stderr: skipped files, bad
records, duplicates and failures.

Each kind is capped at :data:`LINES_PER_FILE` lines for one file (50,000
duplicate ids in one feed print five lines and a count) and
:data:`LINES_PER_KIND` lines in all, then a count of the rest (``--json``
lists them all), and every file name and reason is printed with control
characters escaped: a newline in a file name must not forge a line of its
own ("newssearch: failed: …"), nor an ANSI escape recolour the terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

from .results import IndexReport

#: Lines printed for one file and one kind of notice before "… and N more
#: in this file", and for one kind in all before "… and N more".
LINES_PER_FILE = 5
LINES_PER_KIND = 100

#: C0/C1 controls, DEL, line/paragraph separators and the bidirectional
#: overrides/isolates that can make a name read backwards.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """`text` with control characters written as escapes (``\\n``, ``\\x1b``,
    ``\\u202e``); everything else as it is."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """ "1 file", "2 files", "1,000 duplicates" ."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count:,} {word}"


def notice_lines(report: IndexReport, kinds: tuple[str, ...] | None = None) -> Iterator[str]:
    """The stderr lines for a run's skipped files, bad records and
    duplicates, then its failures (`kinds`: only these labels, e.g.
    ("failed",)), capped per file and per kind (see the module notes)."""
    notices = (
        ("skipped", "skipped", [(p, escape(r)) for p, r in report.skipped]),
        ("bad record", "bad records", [(p, escape(m)) for p, m in report.problems]),
        ("duplicate", "duplicates",
         [(p, f"{escape(i)} has the same text as {escape(k)}") for p, i, k in report.duplicates]),
        ("failed", "failed", [(p, escape(r)) for p, r in report.failed]),
    )
    for label, many, items in notices:
        if kinds is None or label in kinds:
            yield from _capped(label, many, items)


def _capped(label: str, many: str, items: list[tuple[str, str]]) -> Iterator[str]:
    """At most LINES_PER_FILE lines for one file (then a count for it), at
    most LINES_PER_KIND in all (then a count of the rest)."""
    lines: list[tuple[str, int]] = []  # (line, how many notices it stands for)
    per_file: Counter = Counter()
    for path, text in items:
        per_file[path] += 1
        if per_file[path] <= LINES_PER_FILE:
            lines.append((f"newssearch: {label}: {escape(path)}: {text}", 1))
    for path, count in per_file.items():
        if count > LINES_PER_FILE:
            more = count - LINES_PER_FILE
            lines.append((f"newssearch: {label}: {escape(path)}: … and {more:,} more in this "
                          f"file (--json lists them all)", more))
    for line, _ in lines[:LINES_PER_KIND]:
        yield line
    rest = sum(n for _, n in lines[LINES_PER_KIND:])
    if rest:
        yield f"newssearch: … and {rest:,} more {many} (--json lists them all)"
