"""The engine seam: what the rest of newssearch needs of a storage engine,
as typing.Protocol classes.

Three roles, each implemented today by the Whoosh engine:

* :class:`Store`: an open index folder — its live generation kept open,
  searchers lent on it one thread at a time, a rebuild's generation swap
  followed; and the swap itself (a new empty generation, then one atomic
  switch). Implemented by :class:`search.engine.whoosh.store.WhooshStore`.
* :class:`Reader`: one commit, read for a `with` block — search with filters,
  facets and sort, similar articles, stored articles, completion,
  highlighting, stats. Implemented by :class:`search.snapshot.Snapshot`
  (over a searcher the store lends), and on OpenSearch by
  :class:`search.engine.opensearch.reader.OpenSearchReader`.
* :class:`BatchWriter`: articles written in batches, committed every few
  thousand and at the end, cancelled on error. Implemented by
  :class:`search.ingest.indexer.BatchWriter` (the run: duplicates,
  unchanged articles, the ledger), which writes through the engine's
  :class:`search.engine.whoosh.writer.WhooshWriter` (Whoosh's writer, the
  lock, commits, merges); on OpenSearch by
  :class:`search.ingest.opensearch_batch.OpenSearchBatch`, whose `add`
  queues (articles are judged a chunk at a time) and returns a `Fate`
  filled in then; both finish a file read (`when_judged`) once its
  articles are judged, and keep a file ledger (`ingest.ledger.FileStore`:
  SQLite beside the index, or `ingest.cluster_ledger` in the cluster).

The seam is not yet the only way through. Where Whoosh objects still cross
it (each import of Whoosh outside engine/whoosh also listed as an exception
to the import contracts in pyproject.toml):

* `Snapshot` hands the store's *Whoosh searcher* to `query.searcher` and
  `query.facets`, which pass it, unopened, to the engine's
  `engine.whoosh.querying` functions (execute, facet_counts, suggest,
  complete) together with the engine-neutral query tree
  (`search.query.tree`): no query module imports Whoosh, but they call
  this engine's functions by name rather than through a protocol here.
  The parser's grammar is `engine.whoosh.syntax` (Whoosh's qparser), which
  returns a tree.
* `NewsIndex._batch` gives the store's *Whoosh index* to
  `ingest.indexer.BatchWriter`, which passes it on, unopened, to the
  engine's `WhooshWriter`; `ingest.rebuild` reads the old generation's
  stored fields through a Whoosh searcher and the new one's ids from a
  Whoosh reader's lexicon (method calls, no Whoosh import).
* `NewsIndex._ix`, `_pool` and `_searching()` expose the Whoosh objects to
  tests and benchmarks.

`Store.searching()` yields an engine-specific searcher: only `Reader`
implementations should touch it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Container, ContextManager, Iterable, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..article import Article
    from ..results import IndexStats, SearchResults

#: "Did you mean" is offered when a query finds this many articles or fewer
#: (before relaxing), on either engine (query.searcher, opensearch.index).
SUGGEST_BELOW = 2


@runtime_checkable
class Store(Protocol):
    """An open index folder, shared by threads."""

    path: Path
    #: The folder's manifest (roots, options, the live generation's name).
    manifest: Any

    def searching(self) -> ContextManager[Any]:
        """An engine searcher on the latest commit, the block's alone."""

    def own_searcher(self) -> Any:
        """A searcher of the caller's own on the live commit (closed by the caller)."""

    def follow_swap(self) -> None:
        """Open the live generation if another writer swapped one in."""

    def new_generation(self) -> tuple[str, Any]:
        """A fresh, empty generation: its name and an open handle to fill."""

    def swap_to(self, generation: str) -> None:
        """Make `generation` the live one, atomically and durably."""

    def retire_old_generations(self) -> None:
        """After a swap: reopen on the live generation, delete the others."""

    def close(self) -> None: ...


@runtime_checkable
class Reader(Protocol):
    """One commit of an index, for one `with` block."""

    def search(self, query: str = "", **options: Any) -> "SearchResults":
        """A page of ranked hits with snippets and facets (NewsIndex.search's keywords)."""

    def similar(self, article_id: str, *, limit: int = 10, snippets: int = 2) -> "SearchResults": ...

    def get(self, article_id: str) -> "Article | None": ...

    def contains(self, article_id: str) -> bool: ...

    def complete(self, text: str, limit: int = 8) -> Any: ...

    def highlight(self, article: "Article", query: str) -> tuple[list, list]: ...

    def fields_with_values(self, names: Iterable[str]) -> list[str]: ...

    def stats(self, size_bytes: int) -> "IndexStats": ...

    def __len__(self) -> int: ...


@runtime_checkable
class BatchWriter(Protocol):
    """Articles written in batches; leaving the `with` block commits, an
    exception cancels the open batch (earlier ones stay committed)."""

    #: Ids written this run (`in` answers; kept in bounded memory).
    seen: Container[str]

    def add(self, article: "Article", origin: str, signature: bytes | None = None) -> Any:
        """Whether the article is in the index afterwards: a bool, or (on
        OpenSearch) a `Fate` whose `kept` says so once its chunk is judged."""

    def when_judged(self, ids: list[str], verdicts: list[Any], then: Any) -> None:
        """Call `then` with those of `ids` (one file's articles, `verdicts`
        what `add` returned for each) that are in the index, once known."""

    def delete(self, article_id: str) -> None: ...

    def __enter__(self) -> "BatchWriter": ...

    def __exit__(self, exc_type, exc, tb) -> None: ...
