"""The file ledger of an OpenSearch index, kept in the cluster: the
`ledger.FileStore` an indexing run on OpenSearch asks which files are
unchanged, which articles a file produced, and which files are gone.

Records are the embedded ledger's `FileRecord`s, one document each in the
companion index ``<index>-files`` (`engine.opensearch.files`), so an archive
indexed from several machines shares one ledger. A run reads every record
once as it starts (a point in time walked with search_after: no 10,000-hit
cap) into a private scratch copy, an embedded `Ledger` on SQLite's
anonymous temporary file: held in a dict, a million files' records took
~0.3 GB. Changes go to the copy at once and to the cluster at `commit`,
which the run calls after each chunk of articles is written
(`OpenSearchBatch`), so a crash leaves the ledger behind the index, never
ahead of it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Iterator

from ..engine.opensearch import files
from .ledger import FileRecord, Ledger


class ClusterLedger:
    """The ledger of article index (or alias) `index`, created if missing;
    `empty`: the article index holds nothing, so any records left are dropped."""

    def __init__(self, client, index: str, *, empty: bool = False):
        self.client = client
        self.name = files.ledger_of(client, index)
        files.ensure(client, self.name, index, empty=empty)
        files.refresh(client, self.name)  # what an earlier run wrote, searchable
        self._copy = Ledger(None)
        self._copy.put_all(map(_record, files.read_all(client, self.name)))
        self._copy.commit()
        #: What changed since the last commit (a chunk's files, at most).
        self._put: dict[str, FileRecord] = {}
        self._removed: set[str] = set()

    def get(self, path: str) -> FileRecord | None:
        return self._copy.get(path)

    def put(self, record: FileRecord) -> None:
        self._copy.put(record)
        self._put[record.path] = record
        self._removed.discard(record.path)

    def remove(self, path: str) -> None:
        self._copy.remove(path)
        self._put.pop(path, None)
        self._removed.add(path)

    def under(self, root: str) -> Iterator[FileRecord]:
        return self._copy.under(root)

    def commit(self) -> None:
        """Write the changes since the last commit (one bulk request a few
        hundred records)."""
        put, removed = self._put, self._removed
        self._put, self._removed = {}, set()
        files.write(self.client, self.name, [asdict(r) for r in put.values()], sorted(removed))
        self._copy.commit()

    def rollback(self) -> None:
        self._put, self._removed = {}, set()
        self._copy.rollback()

    def close(self) -> None:
        """Drop the scratch copy."""
        self._copy.close()

    def refresh(self) -> None:
        """Make what was written visible to the next run's read."""
        files.refresh(self.client, self.name)


def _record(source: dict) -> FileRecord:
    return FileRecord(source["path"], source["size"], source["mtime_ns"], source["sha"],
                      source["format"], list(source.get("ids") or []), source.get("options") or "")
