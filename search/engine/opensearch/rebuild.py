"""`newssearch rebuild` on OpenSearch: the recorded source folders read
again into a new generation (a fresh index ``NAME-<n>``), which the alias
``NAME`` then points at in one atomic switch (`generations.switch_alias`);
the old generation is deleted after it.

As on the embedded engine (`ingest.rebuild`): articles that no source file
produced (added through the API, or from a source folder that is gone) are
carried over from the stored ones, and a missing folder's articles are
dropped, and the folder forgotten, only with `drop_missing`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ...article import Article
from ...results import IndexReport
from . import generations, paging

if TYPE_CHECKING:
    from .index import OpenSearchIndex

#: What a rebuild reads of each stored article to compare the generations.
COMPARED = ["id", "path", "content_hash"]


def rebuild(index: "OpenSearchIndex", progress, drop_missing: bool,
            jobs: int | None) -> IndexReport:
    """Rebuild `index` into its next generation and switch its alias to it."""
    from .index import OpenSearchIndex  # (imports this module)

    started = time.perf_counter()
    client, name = index._client, index.name
    meta = generations.read_meta(client, name)
    roots = [r for r in meta.get("roots", []) if Path(r).exists()]
    missing = [r for r in meta.get("roots", []) if r not in roots]
    generation, fresh = generations.next_generation(client, name, meta)
    report = IndexReport()
    with OpenSearchIndex(index.path.rsplit("/", 1)[0] + "/" + fresh, mode="create") as new:
        for root in roots:
            _add_files(report, new.index_paths([root], progress=progress, jobs=jobs,
                                               **_options(meta, root)))
        written = _compared(client, fresh)
        old = _compared(client, name)
        not_carried = roots + (missing if drop_missing else [])  # read again, or dropped
        carried = new.add(_carried_over(client, name, written, not_carried))
        report.failed += carried.failed
        now = written.keys() | {i for i, (path, _) in old.items()
                                if i not in written and not _under(path, not_carried)}
        kept = dict(meta, roots=roots if drop_missing else meta.get("roots", []),
                    generation=generation, updated=generations.now_iso())
        generations.write_meta(client, fresh, kept)
    generations.switch_alias(client, name, fresh)
    _count(report, old, now, written)
    for root in missing:
        report.failed.append((root, "source folder is gone; " + (
            "dropped its articles" if drop_missing else
            "kept its articles from the index (rebuild --drop-missing removes them)")))
    report.seconds = time.perf_counter() - started
    return report


def _add_files(report: IndexReport, read: IndexReport) -> None:
    """One source folder's reading, in the rebuild's report."""
    report.files += read.files
    report.failed += read.failed
    report.skipped += read.skipped
    report.problems += read.problems
    for kind, count in read.formats.items():
        report.formats[kind] = report.formats.get(kind, 0) + count


def _options(meta: dict, root: str) -> dict:
    options = generations.read_options(meta, root)
    return {"field_map": options.field_map, "defaults": options.defaults,
            "follow_links": options.follow_links}


def _compared(client, index: str) -> dict[str, tuple[str | None, str | None]]:
    """id → (path, content hash) of every article of `index`."""
    return {hit["_source"]["id"]: (hit["_source"].get("path"), hit["_source"].get("content_hash"))
            for hit in paging.scan(client, index, source=COMPARED)}


def _carried_over(client, index: str, written: dict,
                  not_carried: list[str]) -> Iterator[Article]:
    """The old generation's articles that no source file produced this time
    and that are not under a folder read again or dropped."""
    for hit in paging.scan(client, index):
        source = hit["_source"]
        if source["id"] not in written and not _under(source.get("path"), not_carried):
            yield Article.from_dict(source)


def _under(path: str | None, folders: list[str]) -> bool:
    """Whether `path` (as stored: relative to where `index` ran, or not)
    lies in one of the (resolved) folders, or is one."""
    if not path:
        return False
    real = Path(path).resolve()
    return any(real == Path(f) or Path(f) in real.parents for f in folders)


def _count(report: IndexReport, old: dict, now: set, written: dict) -> None:
    """Added, removed, updated (read again with other content), unchanged."""
    report.added = len(now - old.keys())
    report.removed = len(old.keys() - now)
    both = now & old.keys()
    report.updated = sum(1 for i in both if i in written and written[i][1] != old[i][1])
    report.unchanged = len(both) - report.updated
