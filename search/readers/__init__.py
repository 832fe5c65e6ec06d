"""Readers turn files into Article records, one module per input format.

Every reader has the same shape: ``read(path, root, options) -> list[Article]``,
raising :class:`search.errors.ReadError` for a file it cannot use. `discover`
decides which reader a file goes to. Readers run in worker processes, so they
must be plain module-level functions with picklable arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReadOptions:
    """What the user told the readers.

    `field_map` maps Article fields to input column/key names for JSON and CSV
    (``--map body=story_text``); dotted keys reach into nested objects
    (``source=source.name``)."""

    field_map: dict[str, str] = field(default_factory=dict)
