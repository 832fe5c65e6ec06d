"""The lines an index or rebuild run prints on stderr: skipped files, bad
records, duplicates and failures.

Each kind is capped at :data:`LINES_PER_KIND` lines and a count of the rest
(50,000 duplicate ids in one feed must not bury the summary; ``--json``
lists them all), and every file name and reason is printed with control
characters escaped: a newline in a file name must not forge a line of its
own ("newssearch: failed: …"), nor an ANSI escape recolour the terminal.
"""

from __future__ import annotations

import re
from typing import Iterator

from .results import IndexReport

#: Lines printed per kind of notice before "… and N more".
LINES_PER_KIND = 10

#: C0/C1 controls, DEL, line/paragraph separators and the bidirectional
#: overrides/isolates that can make a name read backwards.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """`text` with control characters written as escapes (``\\n``, ``\\x1b``,
    ``\\u202e``), and backslashes doubled only where they would be ambiguous."""
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


def notice_lines(report: IndexReport, cap: int = LINES_PER_KIND,
                 kinds: tuple[str, ...] | None = None) -> Iterator[str]:
    """The stderr lines for a run's skipped files, bad records and
    duplicates, then its failures, each kind capped at `cap` lines (`kinds`:
    only these labels, e.g. ("failed",))."""
    notices = (
        ("skipped", "skipped files", [f"{escape(p)}: {escape(r)}" for p, r in report.skipped]),
        ("bad record", "bad records", [f"{escape(p)}: {escape(m)}" for p, m in report.problems]),
        ("duplicate", "duplicates",
         [f"{escape(p)}: {escape(i)} has the same text as {escape(k)}"
          for p, i, k in report.duplicates]),
        ("failed", "failures", [f"{escape(p)}: {escape(r)}" for p, r in report.failed]),
    )
    for label, many, lines in notices:
        if kinds is not None and label not in kinds:
            continue
        for line in lines[:cap]:
            yield f"newssearch: {label}: {line}"
        if len(lines) > cap:
            yield f"newssearch: … and {len(lines) - cap:,} more {many} (--json lists them all)"
