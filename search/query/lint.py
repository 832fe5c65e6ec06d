"""Query text Whoosh's parser would silently misread, caught before it.

* A dangling operator: ``blair AND``, ``OR blair``, ``(blair NOT)``, ``a AND
  OR b``. Whoosh reads such an AND as the word "and", so ``blair AND`` asked
  for articles with both "blair" and "and".
* A boost that is not a number: ``blair^abc`` became the phrase "blair abc".
* A date range that ends before it starts: ``published:[2005 TO 2004]``
  matched nothing, without a word.

In strict mode each is a :class:`QueryError` at its column (1-based, in the
text as typed). In lenient mode the operator or boost is dropped, the range
is read the right way round, and a warning says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..errors import QueryError

#: Operators between two parts, and the one before a part.
BINARY = ("AND", "OR", "&&", "||")
UNARY = ("NOT",)
#: A boost: ``^`` and a number, right after a term, phrase or group.
_BOOST = re.compile(r"(?<=[^\s^])\^([^\s()]*)")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
#: A date range clause with two bounds.
_DATE_RANGE = re.compile(r"(?<![\w.])(?:published|date):([\[{])\s*([^\]}\s]+)\s+TO\s+"
                         r"([^\]}\s]+)\s*([\]}])", re.IGNORECASE)
_TOKEN = re.compile(r"[()]|[^\s()]+")


@dataclass
class _Fix:
    column: int          # 1-based
    message: str
    span: tuple[int, int]  # what to replace in lenient mode
    replacement: str = ""
    done: str = "ignored"  # what lenient mode did, for the warning


def lint(text: str, *, strict: bool,
         date_bound: Callable[..., object]) -> tuple[str, list[str]]:
    """Check `text` (quotes already balanced). Returns the text to parse and
    warnings, or raises QueryError (strict). `date_bound(value, end=...)`
    reads one bound of a date range (a QueryError if it cannot)."""
    masked = _mask_quotes(text)
    fixes = [*_dangling_operators(masked), *_bad_boosts(masked),
             *_reversed_ranges(masked, text, date_bound)]
    if not fixes:
        return text, []
    fixes.sort(key=lambda f: f.column)
    if strict:
        raise QueryError(fixes[0].message, fixes[0].column)
    for fix in sorted(fixes, key=lambda f: -f.span[0]):  # right to left: spans stay valid
        start, end = fix.span
        text = text[:start] + fix.replacement + text[end:]
    return text, [f"col {f.column}: {f.message} ({f.done})" for f in fixes]


def _mask_quotes(text: str) -> str:
    """`text` with each quoted phrase's inside masked (same length):
    operators and carets inside a phrase are words. The quotes stay, so a
    phrase is still a part an operator can join (``"oil prices" OR gold``)
    and a boost after it is checked (``"oil prices"^abc``)."""
    return re.sub(r'"[^"]*"', lambda m: '"' + "x" * (len(m.group(0)) - 2) + '"', text)


def _dangling_operators(masked: str) -> list[_Fix]:
    tokens = list(_TOKEN.finditer(masked))
    fixes = []
    for i, token in enumerate(tokens):
        op = token.group(0)
        if op not in BINARY and op not in UNARY:
            continue
        before = tokens[i - 1].group(0) if i else None
        after = tokens[i + 1].group(0) if i + 1 < len(tokens) else None
        span = (token.start(), token.end())
        if op in BINARY and (before is None or before == "(" or before in BINARY
                             or before in UNARY):
            fixes.append(_Fix(token.start() + 1, f"nothing before '{op}'", span))
        elif after is None or after == ")" or (after in BINARY):
            fixes.append(_Fix(token.start() + 1, f"nothing after '{op}'", span))
    return fixes


def _bad_boosts(masked: str) -> list[_Fix]:
    return [_Fix(m.start() + 1, f"a boost must be a number, not '^{m.group(1)}'",
                 (m.start(), m.end()))
            for m in _BOOST.finditer(masked) if not _NUMBER.fullmatch(m.group(1))]


def _reversed_ranges(masked: str, text: str, date_bound) -> list[_Fix]:
    fixes = []
    for m in _DATE_RANGE.finditer(masked):
        first, last = m.group(2), m.group(3)
        try:
            reversed_ = date_bound(first, end=False) > date_bound(last, end=True)
        except QueryError:
            continue  # an unreadable date: the parser reports it
        if reversed_:
            clause = text[m.start():m.end()]
            swapped = (clause[:m.start(2) - m.start()] + last
                       + clause[m.end(2) - m.start():m.start(3) - m.start()] + first
                       + clause[m.end(3) - m.start():])
            fixes.append(_Fix(m.start(2) + 1,
                              f"the date range ends before it starts ({first} is after {last})",
                              (m.start(), m.end()), swapped, f"searched {last} to {first}"))
    return fixes
