"""Readers turn files into Article records, one module per input format.

Every reader has the same shape: ``read(path, root, options) -> list[Article]``,
raising :class:`search.errors.ReadError` for a file it cannot use. `discover`
decides which reader a file goes to. Readers run in worker processes, so they
must be plain module-level functions with picklable arguments.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

#: The formats whose readers use `field_map` (JSON and CSV columns).
MAPPED_FORMATS = ("jsonl", "csvfile")


@dataclass(frozen=True)
class ReadOptions:
    """What the user told the readers.

    `field_map` maps Article fields to input column/key names for JSON and CSV
    (``--map body=story_text``, or a 1-based column number: ``--map body=3``);
    dotted keys reach into nested objects (``source=source.name``).
    `defaults` fills fields an article leaves empty, in every format
    (``--set source="BBC News"``). `follow_links`: follow symbolic links
    that lead out of the folder being indexed (``--follow-links``)."""

    field_map: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    follow_links: bool = False

    def key(self, fmt: str) -> str:
        """A short fingerprint of the options that change what a file of
        format `fmt` reads as ("" for none): the ledger keeps it with each
        file, and a file whose key changed is read again."""
        used = {"set": self.defaults}
        if fmt in MAPPED_FORMATS:
            used["map"] = self.field_map
        if not any(used.values()):
            return ""
        blob = json.dumps(used, sort_keys=True, ensure_ascii=False)
        return hashlib.blake2b(blob.encode("utf-8"), digest_size=8).hexdigest()
