"""`newssearch check`: verify every file of an index, as Lucene's CheckIndex
does.

Checked: the manifest (readable, its generation a folder inside the index),
the live generation's table of contents (its CRC32 footer, its pickles
through the restricted loader), every segment file against the size and
CRC32 the commit recorded (see `toc`), and the ledger (SQLite's
``quick_check``). Reported per segment.

`--repair` is `repair`'s.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from ..engine.whoosh import directory, durable, toc
from ..errors import IndexDamagedError, IndexNotFoundError, NewsSearchError
from .ledger import FILENAME as LEDGER

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


def check_index(path: Path, tries: int = 3) -> CheckReport:
    """Verify the index at `path` (read only). A writer committing meanwhile
    may delete files of the commit being checked: if something looks
    damaged and a newer commit exists, that one is checked instead."""
    path = Path(path)
    if not directory.exists(path):
        raise IndexNotFoundError(f"no index at {path}/")
    for _ in range(tries):
        report = _check_once(path)
        if report.ok or not _moved_on(path, report):
            break
    return report


def _moved_on(path: Path, report: CheckReport) -> bool:
    """True if a commit or a rebuild replaced what `report` checked."""
    try:
        manifest = directory.read_manifest(path, check_version=False)
    except NewsSearchError:
        return False
    if manifest.generation != report.generation:
        return True
    latest = toc.TOC._latest_generation(FileStorage(str(path / manifest.generation)), INDEXNAME)
    return report.toc_generation is not None and latest != report.toc_generation


def _check_once(path: Path) -> CheckReport:
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
    _check_ledger(path / manifest.generation, report)
    return report


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


def _check_ledger(folder: Path, report: CheckReport) -> None:
    db = folder / LEDGER
    if not db.exists():
        return
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("SELECT count(*) FROM files").fetchone()
    except sqlite3.Error as exc:
        result = str(exc)
    if result != "ok":
        report.ledger_ok = False
        report.problems.append(f"{folder.name}/{LEDGER}: {result}")


def report_lines(report: CheckReport) -> list[str]:
    """The report as text: one line per segment, then problems and repairs."""
    lines = [f"Index        {report.path}",
             f"Generation   {report.generation or '(unreadable)'}",
             f"Segments     {len(report.segments)}"]
    for segment in report.segments:
        state = "ok" if segment.ok else "DAMAGED"
        lines.append(f"  {segment.name}  {segment.documents - segment.deleted} articles "
                     f"({segment.deleted} deleted), {len(segment.files)} file(s): {state}")
        lines += [f"    {problem}" for problem in segment.problems]
    lines += [f"Problem      {problem}" for problem in report.problems]
    lines += [f"Note         {note}" for note in report.notes]
    lines += [f"Repaired     {repair}" for repair in report.repairs]
    lines.append("Result       " + ("ok" if report.ok else
                                    "DAMAGED (run `newssearch check --repair`)"))
    return lines


def diagnose(path: Path) -> str | None:
    """After an unexpected failure: "index damaged: <file>: <reason>; run
    `newssearch check --repair`" if a full check of the index at `path`
    finds damage (a flipped byte can make a read fail in many ways), else
    None."""
    try:
        report = check_index(Path(path))
    except Exception:  # the failure we are explaining may be here too
        return None
    if report.ok:
        return None
    if report.problems:
        problem = report.problems[0].removeprefix("index damaged: ")
        file, _, reason = problem.partition(": ")
        return str(IndexDamagedError(file, reason))
    segment = report.damaged_segments[0]
    file, _, reason = segment.problems[0].partition(": ")
    return str(IndexDamagedError(f"{report.generation}/{file}", reason))
