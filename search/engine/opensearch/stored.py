"""What an OpenSearch index holds that an indexing run asks about: the
stored version of an article (is it unchanged?), the articles with a given
text fingerprint (exact duplicates) and those sharing a MinHash band key
(near-duplicate candidates) — each asked for a chunk of articles in one
request, not one article at a time (a round trip costs milliseconds; a
run has thousands of articles).

The fingerprint (`text_hash`), the band keys (`bands`, a keyword field) and
the signature (`signature`, binary, not indexed) are written with each
article (`run_fields`): the cluster itself keeps what finds the earlier
copies of a story, where the embedded engine keeps a ledger file beside its
index (docs/opensearch.md, "Near-duplicate clusters").
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Iterator

from .bulk import call
from .paging import MAX_WINDOW

#: What is read of an existing article to tell whether it changed.
EXISTING = ["content_hash", "text_hash", "cluster"]
CANDIDATE = ["id", "bands", "signature", "cluster"]


def run_fields(text_hash: str, signature: bytes | None, keys: list[int]) -> dict:
    """The document fields that let later runs find this article as a
    duplicate (mapping.RUN_FIELDS)."""
    return {"text_hash": text_hash, "bands": [str(key) for key in keys],
            "signature": base64.b64encode(signature).decode("ascii") if signature else None}


@dataclass(frozen=True)
class Candidate:
    """A stored article sharing a band key with an article asked about."""

    id: str
    signature: bytes
    cluster: str


@dataclass
class Chunk:
    """What the index held for a chunk of a run's articles."""

    #: id → stored fields (EXISTING) of each article the index holds.
    existing: dict[str, dict] = field(default_factory=dict)
    #: text fingerprint → ids of stored articles with it (lowest first).
    texts: dict[str, list[str]] = field(default_factory=dict)
    #: an article's band keys (as a tuple) → the stored articles sharing one,
    #: in the embedded ledger's order: by the smallest key shared, then id.
    bands: dict[tuple[int, ...], list[Candidate]] = field(default_factory=dict)


def existing(client, index: str, ids: list[str]) -> dict[str, dict]:
    """id → stored fields (EXISTING) of those of `ids` the index holds."""
    if not ids:
        return {}
    found = call(client, client.mget, index=index, body={"ids": sorted(set(ids))},
                  _source=EXISTING)
    return {doc["_id"]: doc["_source"] for doc in found["docs"] if doc.get("found")}


def with_texts(client, index: str, hashes: list[str]) -> dict[str, list[str]]:
    """text fingerprint → ids of the stored articles with it, lowest first."""
    found: dict[str, list[str]] = {}
    if hashes:
        query = {"terms": {"text_hash": sorted(set(hashes))}}
        for source in _every_hit(client, index, query, ["id", "text_hash"]):
            found.setdefault(source["text_hash"], []).append(source["id"])
    return found


def sharing_bands(client, index: str, key_lists: list[list[int]]) -> dict[tuple, list[Candidate]]:
    """For each list of band keys, the stored articles sharing at least one
    (with a signature), in the order the embedded engine's ledger lists them:
    by the smallest key shared, then by id. One search for all the lists:
    a search per article cost six times as much (Reuters, 500 articles)."""
    wanted = list(dict.fromkeys(tuple(keys) for keys in key_lists if keys))
    if not wanted:
        return {}
    under: dict[int, list[Candidate]] = {}  # band key → its articles, lowest id first
    query = {"terms": {"bands": [str(k) for k in sorted({k for keys in wanted for k in keys})]}}
    for source in _every_hit(client, index, query, CANDIDATE):
        if source.get("signature"):
            found = Candidate(source["id"], base64.b64decode(source["signature"]),
                              source.get("cluster") or source["id"])
            for key in source.get("bands") or ():
                under.setdefault(int(key), []).append(found)
    return {keys: _in_ledger_order(keys, under) for keys in wanted}


def _in_ledger_order(keys: tuple[int, ...], under: dict[int, list[Candidate]]) -> list[Candidate]:
    """Key by key, ascending, each key's articles by id, each article once."""
    listed: dict[str, Candidate] = {}
    for key in sorted(set(keys)):
        for found in under.get(key, ()):
            listed.setdefault(found.id, found)
    return list(listed.values())


def _every_hit(client, index: str, query: dict, fields: list[str]) -> Iterator[dict]:
    """The `_source` (`fields`) of every article matching `query`, by id,
    MAX_WINDOW a request (search_after: ids are unique)."""
    body = {"query": query, "size": MAX_WINDOW, "sort": [{"id": "asc"}], "_source": fields,
            "track_total_hits": False}
    while True:
        hits = call(client, client.search, index=index, body=body)["hits"]["hits"]
        yield from (hit["_source"] for hit in hits)
        if len(hits) < MAX_WINDOW:
            return
        body["search_after"] = hits[-1]["sort"]


def read_chunk(client, index: str, articles: list[tuple[str, str, list[int], str]]) -> Chunk:
    """What the index holds for a chunk of (id, text fingerprint, band keys,
    content hash): the stored versions by id, then, for the articles that
    changed or are new, the stored articles with their text or a band."""
    chunk = Chunk(existing=existing(client, index, [a[0] for a in articles]))
    changed = [a for a in articles
               if chunk.existing.get(a[0], {}).get("content_hash") != a[3]]
    chunk.texts = with_texts(client, index, [a[1] for a in changed])
    chunk.bands = sharing_bands(client, index, [a[2] for a in changed])
    return chunk
