"""Writing articles into OpenSearch: the bulk writer (issue 20).

Over opensearch-py's ``helpers.streaming_bulk``, which batches by count and by
bytes and retries items the cluster rejects with 429 (its queues are full),
waiting twice as long each time. What this module adds:

* each Article becomes a ``_source`` with every contract field the mapping
  knows (`to_source`), the same values `export` prints;
* an item the cluster refuses (a mapping error, say) is reported in
  `BulkReport.failures` and the others are indexed: one bad article never
  stops a batch;
* a progress callback after each item;
* one `EngineUnavailableError` when the cluster is unreachable or red,
  before anything is sent and if it goes away while sending.

opensearch-py is imported lazily (the ``opensearch`` extra): the embedded
engine never needs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from ...article import Article
from ...errors import EngineUnavailableError
from .mapping import create_index

#: The Article fields the mapping holds, in the contract's order.
SOURCE_FIELDS = ("id", "title", "body", "source", "authors", "published", "url", "section",
                 "tags", "language", "related", "path", "content_hash", "cluster")
LIST_SOURCE_FIELDS = ("authors", "tags", "related")

#: Defaults: 500 items or 5 MiB a request, whichever comes first (OpenSearch's
#: advice is requests of a few MiB); up to 5 retries of a 429, from 0.5 s.
BATCH_COUNT = 500
BATCH_BYTES = 5 * 1024 * 1024
MAX_RETRIES = 5
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 30.0

Progress = Callable[[int, int], None]  # (indexed so far, failed so far)


@dataclass(frozen=True)
class BulkFailure:
    """One article the cluster refused: its id, HTTP status and reason."""

    id: str
    status: int
    reason: str


@dataclass
class BulkReport:
    indexed: int = 0
    failures: list[BulkFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failures)


def to_source(article: Article) -> dict[str, Any]:
    """The document for an Article: every field of SOURCE_FIELDS, None where
    the article has no value, `published` as ISO 8601 with its own offset
    (OpenSearch reads the offset; `_source` gives the article's text back)."""
    source = {name: getattr(article, name) for name in SOURCE_FIELDS}
    for name in LIST_SOURCE_FIELDS:
        source[name] = list(source[name])
    published = article.published
    # A string is sent as it is: the mapping, not this module, judges a date.
    source["published"] = published.isoformat() if isinstance(published, datetime) else published
    return source


def connect(url: str | list[str], *, timeout: float = 60.0):
    """An opensearch-py client on `url` (one URL or several nodes')."""
    opensearchpy = _client_library()
    hosts = [url] if isinstance(url, str) else list(url)
    # retry_on_timeout: a loaded node answering slowly is no reason to give up.
    return opensearchpy.OpenSearch(hosts=hosts, timeout=timeout, retry_on_timeout=True)


def check_cluster(client) -> str:
    """The cluster's health status ("green" or "yellow"); EngineUnavailableError
    when it cannot be reached or is red (some primary shard has no home)."""
    opensearchpy = _client_library()
    try:
        health = client.cluster.health()
    except opensearchpy.exceptions.ConnectionError as error:
        raise _unreachable(client, error) from None
    if health["status"] == "red":
        raise EngineUnavailableError(f"OpenSearch cluster {health.get('cluster_name')} at "
                                     f"{_where(client)} is red: some data is not available")
    return health["status"]


def ensure_index(client, name: str, *, shards: int = 1, replicas: int = 0) -> bool:
    """Create index `name` with our mapping unless it exists; True if created.
    (Without it, a bulk request would create an index with guessed fields.)"""
    if client.indices.exists(index=name):
        return False
    create_index(client, name, shards=shards, replicas=replicas)
    return True


def bulk_index(client, index: str, articles: Iterable[Article], *,
               progress: Progress | None = None, batch_count: int = BATCH_COUNT,
               batch_bytes: int = BATCH_BYTES, max_retries: int = MAX_RETRIES,
               initial_backoff: float = INITIAL_BACKOFF, max_backoff: float = MAX_BACKOFF,
               refresh: bool = False) -> BulkReport:
    """Index `articles` into `index` (created with our mapping if missing).

    Returns what was indexed and what was refused; raises EngineUnavailableError
    when the cluster is unreachable or red. `refresh`: make the articles
    searchable before returning (tests; a bulk load refreshes once at the end)."""
    opensearchpy = _client_library()
    check_cluster(client)
    ensure_index(client, index)
    report, started = BulkReport(), time.perf_counter()
    results = opensearchpy.helpers.streaming_bulk(
        client, _actions(index, articles), chunk_size=batch_count, max_chunk_bytes=batch_bytes,
        max_retries=max_retries, initial_backoff=initial_backoff, max_backoff=max_backoff,
        raise_on_error=False)  # refused items come back as results, not an exception
    try:
        for ok, item in results:
            _record(report, ok, item)
            if progress is not None:
                progress(report.indexed, report.failed)
        if refresh:
            client.indices.refresh(index=index)
    except opensearchpy.exceptions.ConnectionError as error:
        raise _unreachable(client, error) from None
    report.seconds = time.perf_counter() - started
    return report


def _actions(index: str, articles: Iterable[Article]) -> Iterator[dict[str, Any]]:
    for article in articles:
        yield {"_op_type": "index", "_index": index, "_id": article.id,
               "_source": to_source(article)}


def _record(report: BulkReport, ok: bool, item: dict[str, Any]) -> None:
    (result,) = item.values()  # {"index": {...}}
    if ok:
        report.indexed += 1
        return
    report.failures.append(BulkFailure(id=str(result.get("_id")), status=int(result.get("status", 0)),
                                       reason=_reason(result.get("error"))))


def _reason(error: Any) -> str:
    """One line from a bulk item's error: "type: reason (caused by …)"."""
    if not isinstance(error, dict):
        return str(error)
    line = f"{error.get('type')}: {error.get('reason')}"
    cause = error.get("caused_by")
    if isinstance(cause, dict):
        line += f" (caused by {cause.get('type')}: {cause.get('reason')})"
    return line


def _where(client) -> str:
    hosts = getattr(client.transport, "hosts", None) or []
    names = [f"{h.get('scheme', 'http')}://{h.get('host')}:{h.get('port')}" for h in hosts]
    return ", ".join(names) or "?"


def _unreachable(client, error: Exception) -> EngineUnavailableError:
    # The client's own message is a nested repr of urllib3's; its last words say why.
    cause = getattr(error, "info", None) or getattr(error, "error", None) or error
    reason = str(cause).rsplit(":", 1)[-1].strip(" )>'\"") or type(cause).__name__
    return EngineUnavailableError(f"OpenSearch is unreachable at {_where(client)}: {reason}")


def _client_library():
    """opensearch-py, or a one-line error saying how to install it."""
    try:
        import opensearchpy
        import opensearchpy.helpers  # noqa: F401  (streaming_bulk)
    except ImportError:
        raise EngineUnavailableError("the OpenSearch engine needs opensearch-py: "
                                     "pip install 'newssearch[opensearch]'") from None
    return opensearchpy
