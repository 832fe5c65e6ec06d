"""Writing articles into OpenSearch: the bulk writer (issue 20).

Over opensearch-py's ``helpers.parallel_bulk`` (two requests in flight: the
client encodes a batch while the node indexes another) or, with one thread,
``helpers.streaming_bulk``, which also retries items the cluster rejects with
429 (its queues are full), waiting twice as long each time. Both batch by
count and by bytes. What this module adds:

* each Article becomes a ``_source`` with every contract field the mapping
  knows (`to_source`), the same values `export` prints;
* an item the cluster refuses (a mapping error, say) is reported in
  `BulkReport.failures` and the others are indexed: one bad article never
  stops a batch;
* a progress callback after each item;
* no refresh during the load (`unrefreshed`): measured 2.5 times as fast on
  one node (docs/opensearch.md, "Bulk loading: what helps");
* one `EngineUnavailableError` when the cluster is unreachable or red,
  before anything is sent and if it goes away while sending.

opensearch-py is imported lazily (the ``opensearch`` extra): the embedded
engine never needs it.
"""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from ...article import Article
from ...errors import EngineUnavailableError, NewsSearchError
from .mapping import add_missing_fields, create_index
from .snowball import routed_fields

#: The Article fields the mapping holds, in the contract's order.
SOURCE_FIELDS = ("id", "title", "body", "source", "authors", "published", "url", "section",
                 "tags", "language", "related", "topics", "places", "people", "orgs", "exchanges",
                 "path", "content_hash", "cluster")
LIST_SOURCE_FIELDS = ("authors", "tags", "related", "topics", "places", "people", "orgs",
                      "exchanges")

#: Defaults: 500 items or 5 MiB a request, whichever comes first (OpenSearch's
#: advice is requests of a few MiB); up to 5 retries of a 429, from 0.5 s.
BATCH_COUNT = 500
BATCH_BYTES = 5 * 1024 * 1024
MAX_RETRIES = 5
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 30.0
#: Requests in flight at once (`parallel_bulk`'s threads); 1: one after another.
THREADS = 2
#: Item statuses worth sending again (see `_Retry`): queues full, an internal
#: error (a node lost mid-request), a bad gateway, no primary yet, a timeout.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: An index's refresh interval while a load writes into it: never (see `unrefreshed`).
NO_REFRESH = "-1"

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
    source.update(routed_fields(article))  # its language's own fields (snowball.py)
    return source


def connect(url: str | list[str], *, timeout: float = 60.0):
    """An opensearch-py client on `url`: one node's URL, several nodes' URLs,
    or one string naming several (``http://h:9200,h:9201,h:9202``).

    With several nodes the client sends each request to the next one and, when
    a node goes away, marks it dead and sends the request to another, so a
    write or a search outlives a lost node (a node that comes back is tried
    again later). The nodes are named, not sniffed: sniffing would ask the
    cluster for addresses that a client outside its network may not reach."""
    opensearchpy = _client_library()
    hosts = node_urls(url)
    # retry_on_timeout: a loaded node answering slowly is no reason to give up;
    # max_retries: a request may meet every other node once before failing.
    return opensearchpy.OpenSearch(hosts=hosts, timeout=timeout, retry_on_timeout=True,
                                   max_retries=max(3, len(hosts)))


def node_urls(url: str | list[str]) -> list[str]:
    """Each node's URL of `url` (see `connect`), with ``http://`` where none is given."""
    given = url.split(",") if isinstance(url, str) else list(url)
    scheme = next((u.split("://", 1)[0] for u in given if "://" in u), "http")
    return [u.strip() if "://" in u else f"{scheme}://{u.strip()}" for u in given if u.strip()]


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


def ensure_index(client, name: str, *, shards: int = 1, replicas: int | None = None) -> bool:
    """Create index `name` with our mapping unless it exists; True if created.
    (Without it, a bulk request would create an index with guessed fields.)
    `replicas`: by default one where the cluster has another data node to
    hold it, so that losing a node loses no article; none on one node."""
    if client.indices.exists(index=name):
        add_missing_fields(client, name)
        return False
    if replicas is None:
        replicas = 1 if client.cluster.health()["number_of_data_nodes"] > 1 else 0
    create_index(client, name, shards=shards, replicas=replicas)
    return True


def bulk_index(client, index: str, articles: Iterable[Article], *,
               progress: Progress | None = None, refresh: bool = False,
               **sending: Any) -> BulkReport:
    """Index `articles` into `index` (created with our mapping if missing).

    Returns what was indexed and what was refused; raises EngineUnavailableError
    when the cluster is unreachable or red. `refresh`: make the articles
    searchable before returning (tests; a bulk load refreshes once at the end).
    `sending`: `send`'s batch, retry and thread settings, and `extra`."""
    check_cluster(client)
    ensure_index(client, index)
    with unrefreshed(client, index):
        report = send(client, index, articles, progress=progress, **sending)
    if refresh:
        call(client, client.indices.refresh, index=index)
    return report


def send(client, index: str, articles: Iterable[Article], *,
         progress: Progress | None = None, extra: Callable[[Article], dict] | None = None,
         batch_count: int = BATCH_COUNT, batch_bytes: int = BATCH_BYTES,
         max_retries: int = MAX_RETRIES, initial_backoff: float = INITIAL_BACKOFF,
         max_backoff: float = MAX_BACKOFF, threads: int = THREADS) -> BulkReport:
    """`bulk_index` into an index known to exist, the cluster checked
    already: an indexing run sends a chunk at a time through this. `extra`
    gives fields of the document beyond the article's own (the run's
    duplicate-finding fields: mapping.RUN_FIELDS)."""
    opensearchpy = _client_library()
    report, started = BulkReport(), time.perf_counter()
    if threads > 1:  # its refused items, 429s too, go round again in `_Retry`
        sender = functools.partial(
            opensearchpy.helpers.parallel_bulk, client, thread_count=threads,
            queue_size=threads, chunk_size=batch_count, max_chunk_bytes=batch_bytes,
            raise_on_error=False)
    else:
        sender = functools.partial(
            opensearchpy.helpers.streaming_bulk, client, chunk_size=batch_count,
            max_chunk_bytes=batch_bytes, max_retries=max_retries,
            initial_backoff=initial_backoff, max_backoff=max_backoff,
            raise_on_error=False)  # refused items come back as results
    retry = _Retry(max_retries, initial_backoff, max_backoff)
    try:
        actions = _actions(index, articles, extra)
        while actions is not None:
            for ok, item in sender(retry.watch(actions)):
                if retry.keep(ok, item):
                    continue  # sent again in the next round
                _record(report, ok, item)
                if progress is not None:
                    progress(report.indexed, report.failed)
            actions = retry.next_round()
    except opensearchpy.exceptions.ConnectionError as error:
        raise _unreachable(client, error) from None
    report.seconds = time.perf_counter() - started
    return report


def call(client, method, /, **kwargs):
    """One client call; a lost cluster is EngineUnavailableError, a refused
    request one line."""
    opensearchpy = _client_library()
    try:
        return method(**kwargs)
    except opensearchpy.exceptions.ConnectionError as error:
        raise _unreachable(client, error) from None
    except opensearchpy.exceptions.TransportError as error:
        raise NewsSearchError(f"OpenSearch refused the request: {error.error}") from None


@contextmanager
def unrefreshed(client, index: str) -> Iterator[None]:
    """The index (or each behind an alias) not refreshed while the block
    runs, then given back the interval it had.

    A refresh (every second by default) makes a new searchable segment,
    which the node merges again later: a load pays for each. Without them
    the articles become searchable at the next refresh after the load (the
    writer's own `refresh`, the engine's, or the restored interval). An
    index already at "-1" is left alone: its owner (or another load) chose
    it, and putting back what is found here would make it stick."""
    key = "index.refresh_interval"
    found = client.indices.get_settings(index=index, name=key, flat_settings=True)
    changed = {name: held["settings"].get(key) for name, held in found.items()
               if held["settings"].get(key) != NO_REFRESH}
    changed = {name: interval for name, interval in changed.items()
               if _put_setting(client, name, key, NO_REFRESH)}
    try:
        yield
    finally:
        for name, interval in changed.items():  # None: back to OpenSearch's default
            _put_setting(client, name, key, interval)


def _put_setting(client, index: str, key: str, value: Any) -> bool:
    """Whether the setting was put. A refusal (a write block on the index,
    say) is no reason to fail the load: the items meet it and are reported."""
    opensearchpy = _client_library()
    try:
        client.indices.put_settings(index=index, body={key: value})
    except opensearchpy.exceptions.ConnectionError:
        raise
    except opensearchpy.exceptions.TransportError:
        return False
    return True


def _actions(index: str, articles: Iterable[Article],
             extra: Callable[[Article], dict] | None = None) -> Iterator[dict[str, Any]]:
    for article in articles:
        source = to_source(article)
        if extra is not None:
            source.update(extra(article))
        yield {"_op_type": "index", "_index": index, "_id": article.id, "_source": source}


class _Retry:
    """Items the cluster failed for a passing reason, sent again in rounds.

    streaming_bulk retries only 429s, parallel_bulk nothing: those come
    here (a 429 too). A node that dies under a bulk request fails its items
    otherwise: 503 while a replica takes over as primary, 500
    or 502/504 for a request cut off between nodes. Those are sent again,
    after 0.5 s, 1 s, 2 s … (the same limits as 429s); a document the mapping
    refuses (400) is not. Indexing by id makes a repeat harmless. Only the
    actions whose answer is pending are held (`watch`): a few batches."""

    def __init__(self, max_retries: int, initial_backoff: float, max_backoff: float):
        self.rounds_left, self.backoff, self.max_backoff = max_retries, initial_backoff, max_backoff
        self.pending: dict[str, dict[str, Any]] = {}
        self.again: list[dict[str, Any]] = []

    def watch(self, actions: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for action in actions:
            self.pending[action["_id"]] = action
            yield action

    def keep(self, ok: bool, item: dict[str, Any]) -> bool:
        """Whether an answered item is kept for the next round (else it is
        done: indexed, or a failure to report)."""
        (result,) = item.values()
        action = self.pending.pop(str(result.get("_id")), None)
        if ok or action is None or self.rounds_left <= 0 or \
                int(result.get("status", 0)) not in RETRY_STATUSES:
            return False
        self.again.append(action)
        return True

    def next_round(self) -> list[dict[str, Any]] | None:
        """The items to send again, after a wait; None when there are none."""
        self.pending.clear()
        if not self.again:
            return None
        again, self.again = self.again, []
        time.sleep(self.backoff)
        self.rounds_left -= 1
        self.backoff = min(self.backoff * 2, self.max_backoff)
        return again


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
