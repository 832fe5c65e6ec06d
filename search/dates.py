"""Reading the many date formats news uses, into timezone-aware datetimes.

Unknown stays unknown: anything unparseable or absurd gives None, never a
guess. Naive times are taken as UTC so an index means the same everywhere.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from dateutil import parser as dateutil_parser

#: Dates outside this range are taken as errors in the data ("year 0", "99999").
EARLIEST_YEAR = 1800
LATEST_YEAR = 2200

#: Reuters-21578: "26-FEB-1987 15:01:01.79" (dateutil misreads the centiseconds).
_REUTERS = re.compile(r"^\s*(\d{1,2}-[A-Za-z]{3}-\d{4} \d{1,2}:\d{2}:\d{2})(?:\.\d+)?\s*$")


def parse_date(value: object) -> datetime | None:
    """A timezone-aware datetime from a string, epoch number or datetime, or
    None when the value is empty, unreadable or out of range."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str):
        parsed = _from_text(value.strip())
    else:
        return None
    if parsed is None or not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds, as JavaScript dumps write them
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(text: str) -> datetime | None:
    if not text or not any(c.isdigit() for c in text):
        return None
    match = _REUTERS.match(text)
    if match:
        text = match.group(1)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return dateutil_parser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
