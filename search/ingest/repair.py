"""`newssearch check --repair`: mend a damaged index, from the mildest cure.

* A damaged ledger is deleted and every source folder read again (the next
  run would otherwise read every file; unchanged articles are recognised by
  their content).
* Damaged segments are dropped in a new commit, and the articles they held
  are read again from their source files, which the ledger names.
* An unreadable table of contents (or a missing generation) is rebuilt from
  the source folders into a new generation, swapped in once complete.

Articles added through the API have no source file and cannot be re-read:
the report counts the articles of dropped segments.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..engine.whoosh import directory
from ..engine.whoosh.writer import drop_segments
from ..errors import NewsSearchError
from .check import CheckReport, check_index
from .ledger import FILENAME as LEDGER


def repair(path: Path, wait: float = 10.0) -> CheckReport:
    """Check the index under the writer lock and mend what is damaged;
    returns a check of the result, with the repairs made in its ``repairs``."""
    path = Path(path)
    done: list[str] = []
    with directory.writer_lock(path, wait):
        report = check_index(path)  # under the lock: no writer commits meanwhile
        if not report.toc_ok:
            done += _rebuild_from_sources(path, wait)
        else:
            if not report.ledger_ok:
                (path / report.generation / LEDGER).unlink()
                done.append(f"deleted the damaged ledger {report.generation}/{LEDGER} "
                            "(every source file is read again)")
            if report.damaged_segments or not report.ledger_ok:
                done += _drop_and_reread(path, report, wait)
    fresh = check_index(path)
    fresh.repairs = done
    return fresh


def _drop_and_reread(path: Path, report: CheckReport, wait: float) -> list[str]:
    """Drop the damaged segments in a new commit, then read again the source
    files whose articles the index no longer holds (the ledger names them)."""
    from . import indexer

    done = []
    folder = path / report.generation
    damaged = {s.name for s in report.damaged_segments}
    if damaged:
        drop_segments(folder, damaged, wait, str(path))
        held = sum(s.documents - s.deleted for s in report.damaged_segments)
        done.append(f"dropped {len(damaged)} damaged segment(s) holding {held} article(s)")
    manifest = directory.read_manifest(path, check_version=False)
    ix = directory.open_whoosh(path, manifest)
    ledger = indexer.Ledger(folder)
    try:
        with ix.reader() as reader:
            present = {fields["id"] for fields in reader.all_stored_fields()}
        lost = [record for record in ledger.under("/") if not set(record.ids) <= present]
        for record in lost:
            ledger.remove(record.path)  # so that it is read again, not skipped
        ledger.commit()
        files = [Path(record.path) for record in lost if Path(record.path).exists()]
        if not report.ledger_ok:  # a fresh ledger: every source is read (and recorded) again
            files = [Path(root) for root in manifest.roots if Path(root).exists()]
        added = _read_files(ix, ledger, manifest, files, wait).added
    finally:
        ledger.close()
        ix.close()
    if files or damaged:
        done.append(f"read {len(files)} source file(s) or folder(s) again: "
                    f"{added} article(s) restored")
    gone = len(lost) - len(files)
    if gone:
        done.append(f"{gone} source file(s) of lost articles no longer exist")
    return done


def _rebuild_from_sources(path: Path, wait: float) -> list[str]:
    """A new generation read from the source folders the manifest names,
    then swapped in (the manifest names it only once it is complete)."""
    from . import indexer

    try:
        data = json.loads((path / directory.MANIFEST).read_text("utf-8"))
        roots = [str(r) for r in data.get("roots", [])]
        options = {str(k): dict(v) for k, v in data.get("options", {}).items()}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise NewsSearchError(f"cannot repair {path}/: its manifest is unreadable ({exc}); "
                              f"index the sources again into a new index") from None
    if not roots:
        raise NewsSearchError(f"cannot repair {path}/: its table of contents is unreadable and "
                              "it has no source folders to rebuild from")
    manifest = directory.Manifest(generation=directory.new_generation(path), roots=roots,
                                  options=options, created=str(data.get("created", "")))
    ix = directory.open_whoosh(path, manifest)
    ledger = indexer.Ledger(path / manifest.generation)
    try:
        found = _read_files(ix, ledger, manifest, [Path(r) for r in roots if Path(r).exists()],
                            wait)
    finally:
        ledger.close()
        ix.close()
    directory.write_manifest(path, manifest)
    directory.remove_stale_generations(path, keep=manifest.generation)
    return [f"rebuilt {manifest.generation} from {len(roots)} source folder(s): "
            f"{found.added} article(s) read; articles added without a source file are lost"]


def _read_files(ix, ledger, manifest: directory.Manifest, paths: list[Path], wait: float):
    """Index `paths` (files or folders) into `ix`, a file with the root and
    read options of the source folder it lies in (its id is relative to
    that folder); returns the IndexReport."""
    from . import indexer
    from .readers.discover import discover, regular
    from ..results import IndexReport

    report = IndexReport()
    with indexer.BatchWriter(ix, wait, str(ix.storage.folder), report, ledger) as batch:
        for path in paths:
            root = next((r for r in manifest.roots
                         if Path(r).is_dir() and indexer.under_any(str(path), [r])), "")
            found = [regular(path, Path(root))] if root and path.is_file() else discover([path])
            indexer.index_files(batch, list(found), options=manifest.read_options(root))
    return report
