"""`newssearch check`: verify every file of an index, as Lucene's CheckIndex
does.

Checked: the manifest (readable, its generation a folder inside the index),
the live generation's table of contents (its CRC32 footer, its pickles
through the restricted loader), every segment file against the size and
CRC32 the commit recorded (the engine's part: `engine.whoosh.check`), and
the ledger (SQLite's ``quick_check``). Reported per segment.

`--repair` is `repair`'s.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..engine.whoosh import directory
from ..engine.whoosh.check import CheckReport, SegmentCheck, check_commit, latest_commit
from ..errors import IndexDamagedError, IndexNotFoundError, NewsSearchError
from .ledger import FILENAME as LEDGER

__all__ = ["CheckReport", "SegmentCheck", "check_index", "diagnose", "report_lines"]


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
    latest = latest_commit(path / manifest.generation)
    return report.toc_generation is not None and latest != report.toc_generation


def _check_once(path: Path) -> CheckReport:
    """The engine's checks (manifest, table of contents, segments), then
    the ledger's."""
    report = check_commit(path)
    if report.toc_ok:
        _check_ledger(path / report.generation, report)
    return report


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
