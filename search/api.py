"""`NewsIndex`: the public Python API. The CLI is a thin layer over it.

Example::

    from search import NewsIndex

    with NewsIndex.open("index") as ix:
        results = ix.search("Patriot Idlib", facets=["source"])
        for hit in results.hits:
            print(hit.title, hit.score, hit.snippets[0].text)
        print(results.facets["source"])

Building an index from your own records::

    from search import Article, NewsIndex

    with NewsIndex.create("my-index") as ix:
        ix.add([Article(id="a1", title="Hello", body="World news")])
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from .article import Article
from .defaults import DEFAULT_WAIT
from .engine.whoosh import directory
from .engine.whoosh.querying import execute
from .engine.whoosh.schema import to_article
from .engine.whoosh.store import WhooshStore
from .errors import NewsSearchError
from .query import searcher as searching
from .query.synonyms import Synonyms
from .results import FacetCount, IndexReport, IndexStats, SearchResults
from .snapshot import Snapshot

if TYPE_CHECKING:
    from .ingest.indexer import BatchWriter, Progress
    from .ingest.readers import ReadOptions


PathLike = str | os.PathLike


def _writing():
    """The indexing module, imported on first write: searches (and so the
    cold CLI query) never pay for multiprocessing, SQLite and the readers."""
    from .ingest import indexer

    return indexer


def _is_opensearch(target) -> bool:
    """An ``opensearch://HOST:PORT/INDEX`` target (a Path made of one reads
    ``opensearch:/…``): the OpenSearch engine, not a folder."""
    return str(target).startswith("opensearch:")


def _opensearch():
    """The OpenSearch engine's index, imported only for an opensearch:// target:
    the embedded engine never loads opensearch-py."""
    from .engine.opensearch import index

    return index


def open_index(target: PathLike, *, for_rebuild: bool = False):
    """A NewsIndex for a folder, or an OpenSearchIndex for
    ``opensearch://HOST:PORT/INDEX``."""
    return NewsIndex.open(target, for_rebuild=for_rebuild)


def _rebuilding():
    """The rebuild module, imported on first rebuild (as `_writing`)."""
    from .ingest import rebuild

    return rebuild


class NewsIndex:
    """An on-disk news index. Open with :meth:`open`, :meth:`create` or
    :meth:`open_or_create`; use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path, manifest: directory.Manifest):
        self.path = path
        #: The live generation, its lent searchers and its swaps (reads go
        #: through it; writes through `ingest` on its Whoosh index).
        self._store = WhooshStore(path, manifest, execute.WEIGHTING)

    # (Tests and benchmarks reach the Whoosh objects behind the facade.)
    _manifest = property(lambda self: self._store.manifest,
                         lambda self, manifest: setattr(self._store, "manifest", manifest))
    _ix = property(lambda self: self._store.ix)
    _pool = property(lambda self: self._store.pool)
    _lock = property(lambda self: self._store.lock)

    # --- opening --------------------------------------------------------------

    @classmethod
    def open(cls, path: PathLike, *, for_rebuild: bool = False) -> "NewsIndex":
        """Open an existing index; IndexNotFoundError if there is none, and
        IndexVersionError if an older version built it — unless
        `for_rebuild`, which opens it only to :meth:`rebuild` it."""
        if _is_opensearch(path):
            return _opensearch().OpenSearchIndex(path)
        path = Path(path)
        return cls(path, directory.read_manifest(path, check_version=not for_rebuild))

    @classmethod
    def create(cls, path: PathLike, *, overwrite: bool = False) -> "NewsIndex":
        """Create an empty index. An existing one is an error unless
        `overwrite`, which deletes it first."""
        if _is_opensearch(path):  # created with our mapping
            return _opensearch().OpenSearchIndex(path, mode="overwrite" if overwrite else "create")
        path = Path(path)
        if directory.exists(path):
            if not overwrite:
                raise NewsSearchError(f"an index already exists at {path}/")
            for child in path.iterdir():
                if child.name.startswith("gen-") or child.name == directory.MANIFEST:
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        return cls(path, directory.create(path))

    @classmethod
    def open_or_create(cls, path: PathLike) -> "NewsIndex":
        if _is_opensearch(path):
            return _opensearch().OpenSearchIndex(path, mode="open_or_create")
        path = Path(path)
        return cls.open(path) if directory.exists(path) else cls.create(path)

    def __enter__(self) -> "NewsIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._store.close()

    # --- writing --------------------------------------------------------------

    def add(self, articles: Iterable[Article], *, wait: float = DEFAULT_WAIT) -> IndexReport:
        """Add or update articles (matched by id); unchanged ones are skipped.
        An article with no title and no body is refused: not indexed, and
        listed in the report's `failed` with its reason."""
        started = time.perf_counter()
        report = IndexReport()
        with directory.writer_lock(self.path, wait), self._batch(report, wait) as batch:
            _writing().add_articles(batch, articles)
        return _writing().timed(report, started)

    def delete(self, ids: str | Iterable[str], *, wait: float = DEFAULT_WAIT) -> int:
        """Remove articles by id (one id, or several); returns how many were removed."""
        if isinstance(ids, str):  # one id, not its characters
            ids = [ids]
        report = IndexReport()
        with directory.writer_lock(self.path, wait), self._batch(report, wait, 1) as batch:
            for article_id in ids:
                batch.delete(article_id)
        return report.removed

    def index_paths(self, paths: Sequence[PathLike], *, wait: float = DEFAULT_WAIT,
                    progress: Progress | None = None, field_map: dict[str, str] | None = None,
                    prune: bool = False, jobs: int | None = None,
                    defaults: dict[str, str] | None = None,
                    follow_links: bool = False) -> IndexReport:
        """Read files and folders into the index and remember them as sources
        for :meth:`rebuild`. Files unchanged since the last run (same size and
        mtime, or same content) are not parsed again. Bad files are reported,
        not fatal.

        `field_map` maps Article fields to column names for JSON/CSV input
        (``{"body": "story_text"}``, or by 1-based column number: ``{"body": "3"}``);
        `defaults` fills fields articles leave empty (``{"source": "BBC News"}``);
        both are remembered with the folders for :meth:`rebuild`, and a file
        read before with other ones is read again. `follow_links` follows
        symbolic links that lead out of a folder (left out by default).
        `prune` removes articles whose files under `paths` are gone. `jobs`
        is the number of parsing processes (default: $NEWSSEARCH_JOBS, else
        all cores); with 2 or
        more, as many text builder processes analyse titles and bodies
        beside this one (see `text_builder`), and with 1 everything is
        written here."""
        started = time.perf_counter()
        given = [Path(p) for p in paths]
        options = _writing().read_options(field_map, defaults, follow_links)
        report = IndexReport()
        with directory.writer_lock(self.path, wait):  # also over the manifest update
            with self._batch(report, wait, jobs) as batch:
                _writing().index_paths(batch, given, options, jobs=jobs, progress=progress,
                                       prune_gone=prune)
            changed = report.added or report.updated or report.removed
            self._remember_roots([p for p in given if p.exists()], options, touch=bool(changed))
        return _writing().timed(report, started)

    def rebuild(self, *, wait: float = DEFAULT_WAIT, progress: Progress | None = None,
                drop_missing: bool = False, jobs: int | None = None) -> IndexReport:
        """Rebuild from the remembered sources into a new generation, then
        swap it in atomically. Articles added through :meth:`add` without a
        source file are carried over from the stored fields.

        A source folder that is gone (moved, unmounted) is reported as failed
        and its articles are kept from the stored fields, unless
        `drop_missing`, which removes them and forgets the folder."""
        with directory.writer_lock(self.path, wait):
            return _rebuilding().rebuild(self._store, wait, progress, drop_missing, jobs)

    # --- reading --------------------------------------------------------------

    def search(self, query: str = "", *, limit: int = 10, page: int = 1,
               sort: str = "relevance", source: str | Sequence[str] | None = None,
               section: str | Sequence[str] | None = None, since: str | None = None,
               until: str | None = None, facets: Sequence[str] = (),
               facet_limit: int = 10, strict: bool = False,
               any_term: bool = False, snippets: int = 2,
               collapse: bool = False, filters: dict[str, str | Sequence[str]] | None = None,
               half_life: float = 30.0,
               time_limit: float = searching.TIME_LIMIT, relax: bool = True,
               synonyms: Synonyms | None = None,
               languages: Sequence[str] | None = None) -> SearchResults:
        """Search the index.

        `query` uses the query language (AND by default; OR, NOT, parentheses,
        "phrases", field:term, published:[2020-01 TO 2020-03]); empty matches
        all. `filters` maps facet fields to accepted values
        (``{"source": ["Reuters", "AFP"], "tags": "Syria"}``: any value within
        a field, every field); `source`/`section` are shorthands for it.
        Values match case- and accent-insensitively. `since`/`until` bound the
        published date (YYYY, YYYY-MM, YYYY-MM-DD, ISO 8601 or now-30d).
        `facets` names fields to count (source, section, authors, tags,
        language, topics, places, people, orgs, exchanges, year, month, day);
        a facet that is also filtered is counted with every other filter but
        not its own (multi-select). `sort` is relevance, newest, oldest or
        recent (relevance halved every `half_life` days of age). `collapse`
        shows one hit per near-duplicate cluster, with `Hit.similar` counting
        the others. A search that runs longer than `time_limit` seconds is
        stopped. The query's words are analysed for every language of the
        index's articles, or for `languages` (BCP 47 codes) when given.
        Raises QueryError on bad input, and for a query too broad
        or too slow to run (see docs/reliability.md, "Queries").

        When every word must match (the default) and no article has them all,
        the words are searched as an OR instead, articles with more of them
        first, and `SearchResults.relaxed` is True; `relax=False` turns this off.
        `synonyms` (:meth:`Synonyms.load` reads a Solr synonyms file) widens
        each word or quoted phrase that has synonyms to an OR of them."""
        with self.snapshot() as snap:
            return snap.search(
                query, limit=limit, page=page, sort=sort, source=source, section=section,
                since=since, until=until, facets=facets, facet_limit=facet_limit,
                strict=strict, any_term=any_term, snippets=snippets, collapse=collapse,
                filters=filters, half_life=half_life, time_limit=time_limit, relax=relax,
                synonyms=synonyms, languages=languages)

    def fields_with_values(self, names: Iterable[str]) -> list[str]:
        """Those of the fields `names` that at least one article has a value
        in (a facet worth offering), in the order given."""
        with self.snapshot() as snap:
            return snap.fields_with_values(names)

    def similar(self, article_id: str, *, limit: int = 10, snippets: int = 2) -> SearchResults:
        """Articles most like the given one ("more like this"), best first."""
        with self.snapshot() as snap:
            return snap.similar(article_id, limit=limit, snippets=snippets)

    def get(self, article_id: str) -> Article | None:
        """One stored article by id, or None."""
        with self.snapshot() as snap:
            return snap.get(article_id)

    def articles(self) -> Iterator[Article]:
        """Every stored article, in index order (of the index as it was at
        the first article: the iteration has a searcher of its own)."""
        with self._store.own_searcher() as own:
            for stored in own.all_stored_fields():
                yield to_article(stored)

    def __len__(self) -> int:
        with self.snapshot() as snap:
            return len(snap)

    def stats(self) -> IndexStats:
        """Counts, sources, sections, date range, fields and size on disk."""
        size = directory.size_on_disk(self.path)  # a folder walk: not under the lock
        with self.snapshot() as snap:
            return snap.stats(size)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The index as its latest commit holds it, for a `with` block: every
        read through the :class:`Snapshot` sees the same articles, however
        the index changes meanwhile. The searcher behind it is the block's
        alone (no lock is held, so other threads read in parallel); keep
        the block short, as a rebuild's old generation lives while it lasts."""
        with self._searching() as searcher:
            yield Snapshot(searcher, self._manifest, str(self.path))

    # --- internals ------------------------------------------------------------

    def _searching(self):
        """A Whoosh searcher on the latest commit, the block's alone (see
        `WhooshStore.searching`; the snapshot's, and tests')."""
        return self._store.searching()

    @property
    def roots(self) -> list[str]:
        """The source folders (and files) the index was built from."""
        return list(self._manifest.roots)

    def _reopen(self) -> None:
        self._store.reopen()

    def _follow_swap(self) -> None:
        self._store.follow_swap()

    @contextmanager
    def _batch(self, report: IndexReport, wait: float,
               jobs: int | None = None) -> Iterator[BatchWriter]:
        """A BatchWriter on the live generation, with its ledger. Callers hold
        the writer lock, so no rebuild can swap generations meanwhile."""
        self._follow_swap()
        ledger = _writing().Ledger(self.path / self._manifest.generation)
        try:
            writer = _writing().BatchWriter(self._ix, wait, str(self.path), report, ledger, jobs)
            with writer as batch:
                yield batch
        finally:
            ledger.close()

    def _remember_roots(self, paths: list[Path], options: ReadOptions, touch: bool) -> None:
        """Add `paths` (and the options they were read with) to the manifest's
        sources; rewrite it only if something changed."""
        manifest = directory.read_manifest(self.path)
        changed = touch
        for path in paths:
            root = str(path.resolve())
            if root not in manifest.roots:
                manifest.roots.append(root)
                changed = True
            changed = manifest.remember_options(root, options) or changed
        if changed:
            directory.write_manifest(self.path, manifest)
        self._manifest = manifest


__all__ = ["NewsIndex", "Article", "SearchResults", "FacetCount", "IndexReport",
           "IndexStats", "Synonyms", "DEFAULT_WAIT"]
