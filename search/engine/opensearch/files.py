"""The file ledger's own index on the cluster: ``<index>-files`` beside each
concrete article index (``news-files``, or ``news-3-files`` for a rebuilt
generation ``news-3``), one document per source file.

The ledger lives in the cluster, not in a file beside the index, so every
machine that indexes into an archive shares it. What a record means and
when a file is read again is the ingest layer's (`ingest.ledger`,
`ingest.cluster_ledger`): here are only the index, its mapping and the
requests — read every record, write and delete some, drop the index.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Iterator

from ...errors import NewsSearchError
from .bulk import _client_library, call
from .generations import META_KEY, concrete_indices, ledger_name
from .paging import scan

#: Records written (or deleted) per bulk request.
WRITE_BATCH = 500

#: One document per file. `id` is a digest of the path (a document id is at
#: most 512 bytes, a path may be longer) and the sort key of a full read;
#: the article ids and read options are only ever read back, so they are
#: kept in `_source` alone (not indexed: a JSON Lines file may hold 100,000).
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "path": {"type": "keyword"},
        "size": {"type": "long"},
        "mtime_ns": {"type": "long"},
        "sha": {"type": "keyword"},
        "format": {"type": "keyword"},
        "options": {"type": "keyword", "index": False, "doc_values": False},
        "ids": {"type": "keyword", "index": False, "doc_values": False},
    },
}


def ledger_of(client, name: str) -> str:
    """The ledger index of article index (or alias) `name`: that of the
    generation it points at."""
    return ledger_name(call(client, concrete_indices, client=client, name=name)[0])


def doc_id(path: str) -> str:
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()


def ensure(client, ledger: str, of: str, *, empty: bool = False) -> None:
    """Create `ledger` (the ledger of article index `of`) unless it exists;
    with `empty`, a ledger left from before is dropped first (its article
    index is empty: a record there would skip a file whose articles are gone)."""
    if empty:
        drop(client, ledger)
    elif call(client, client.indices.exists, index=ledger):
        return
    replicas = 1 if call(client, client.cluster.health)["number_of_data_nodes"] > 1 else 0
    body = {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": replicas}},
            "mappings": dict(MAPPING, _meta={META_KEY: {"ledger_of": of}})}
    call(client, client.indices.create, index=ledger, body=body)


def drop(client, ledger: str) -> None:
    call(client, client.indices.delete, index=ledger, ignore_unavailable=True)


def refresh(client, ledger: str) -> None:
    call(client, client.indices.refresh, index=ledger)


def read_all(client, ledger: str) -> Iterator[dict[str, Any]]:
    """Every record (`_source`), in id order: a point in time walked with
    search_after, so an archive of any number of files is read whole."""
    return (hit["_source"] for hit in call(client, scan, client=client, index=ledger))


def write(client, ledger: str, records: Iterable[dict[str, Any]], removed: Iterable[str]) -> None:
    """Index `records` (each with its `path`) and delete the records of the
    paths `removed`; a record already gone is no error."""
    helpers = _client_library().helpers
    actions = [{"_op_type": "index", "_index": ledger, "_id": doc_id(r["path"]),
                "_source": dict(r, id=doc_id(r["path"]))} for r in records]
    actions += [{"_op_type": "delete", "_index": ledger, "_id": doc_id(path)} for path in removed]
    if not actions:
        return
    _, errors = call(client, helpers.bulk, client=client, actions=actions,
                     chunk_size=WRITE_BATCH, ignore_status=(404,), raise_on_error=False)
    if errors:  # the ledger stays behind the index: the next run reads those files again
        (first,) = errors[0].values()
        raise NewsSearchError(f"OpenSearch refused {len(errors)} file ledger record(s) in "
                              f"{ledger}: {first.get('error')}")
