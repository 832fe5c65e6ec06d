"""The engine's part of `newssearch check`: verify an index's manifest, the
live generation's table of contents (its CRC32 footer, its pickles through
the restricted loader) and every segment file against the size and CRC32
the commit recorded (see `toc`), reported per segment. The ledger, and the
retries while a writer commits, are `ingest.check`'s.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from ...errors import IndexDamagedError, IndexNotFoundError
from . import directory, durable, toc

INDEXNAME = "MAIN"


@dataclass
class SegmentCheck:
    """One segment: its articles and what is wrong with its files."""

    name: str
    documents: int
    deleted: int
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class CheckReport:
    """What `check` found (and, with --repair, did)."""

    path: str
    generation: str | None = None
    #: Problems outside the segments: manifest, table of contents, ledger.
    problems: list[str] = field(default_factory=list)
    segments: list[SegmentCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: False when the table of contents (or the manifest) cannot be used.
    toc_ok: bool = True
    ledger_ok: bool = True
    #: The number of the TOC checked (None if unreadable).
    toc_generation: int | None = None
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.segments)

    @property
    def damaged_segments(self) -> list[SegmentCheck]:
        return [s for s in self.segments if not s.ok]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        for entry, segment in zip(data["segments"], self.segments):
            entry["ok"] = segment.ok
        return data


def check_commit(path: Path) -> CheckReport:
    """Check the manifest, table of contents and segments of the index at
    `path` (read only)."""
    report = CheckReport(str(path))
    try:
        manifest = directory.read_manifest(path, check_version=False)
    except (IndexDamagedError, IndexNotFoundError) as exc:
        report.problems.append(str(exc).split("; run ")[0])
        report.toc_ok = False
        return report
    report.generation = manifest.generation
    storage = FileStorage(str(path / manifest.generation))
    try:
        info = toc.read_toc(storage, INDEXNAME)
    except (IndexDamagedError, OSError) as exc:
        report.problems.append(str(exc).split("; run ")[0])
        report.toc_ok = False
        return report
    report.toc_generation = info.generation
    if info.checksums is None:
        report.notes.append("written before checksums: sizes and sums not checked "
                            "(any commit adds them)")
    for segment in info.segments:
        report.segments.append(_check_segment(storage, segment, info.checksums))
    return report


def latest_commit(folder: Path) -> int:
    """The number of the latest commit in a generation folder."""
    return toc.TOC._latest_generation(FileStorage(str(folder)), INDEXNAME)


def _check_segment(storage, segment, checksums: toc.Checksums | None) -> SegmentCheck:
    found = SegmentCheck(segment.segment_id(), segment.doc_count(), segment.deleted_count())
    if checksums is None:
        found.files = toc.segment_files(storage, INDEXNAME, [segment])
        return found
    found.files = toc.files_of(segment, checksums)
    if not found.files:
        found.problems.append("no files recorded for it")
    for name in found.files:
        size, crc = checksums[name]
        try:
            actual_size, actual_crc = durable.checksum(os.path.join(storage.folder, name))
        except FileNotFoundError:
            found.problems.append(f"{name}: missing")
            continue
        if actual_size != size:
            found.problems.append(f"{name}: {actual_size} bytes, the commit wrote {size}")
        elif actual_crc != crc:
            found.problems.append(f"{name}: checksum mismatch")
    return found
