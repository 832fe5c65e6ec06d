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

from ...errors import NewsSearchError
from .bulk import _call
from .paging import MAX_WINDOW

#: Stored articles read per article that share one of its band keys, lowest
#: ids first: the run compares at most 50 of them (ingest.indexer's
#: MAX_CANDIDATES), picked as the embedded ledger picks them (`Chunk`).
CANDIDATES_READ = 200
#: What is read of an existing article to tell whether it changed.
EXISTING = ["content_hash", "text_hash", "cluster"]
CANDIDATE = ["id", "bands", "signature", "cluster"]


def run_fields(text_hash: str, signature: bytes | None, keys: list[int]) -> dict:
    """The document fields that let later runs find this article as a
    duplicate (mapping.RUN_FIELDS)."""
    return {"text_hash": text_hash, "bands": [str(key) for key in keys],
            "signature": base64.b64encode(signature).decode("ascii") if signature else None}


@dataclass
class Candidate:
    """A stored article sharing a band key with the article asked about."""

    id: str
    signature: bytes
    cluster: str
    #: The smallest band key it shares with that article.
    first_key: int


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
    found = _call(client, client.mget, index=index, body={"ids": sorted(set(ids))},
                  _source=EXISTING)
    return {doc["_id"]: doc["_source"] for doc in found["docs"] if doc.get("found")}


def with_texts(client, index: str, hashes: list[str]) -> dict[str, list[str]]:
    """text fingerprint → ids of the stored articles with it, lowest first."""
    if not hashes:
        return {}
    body = {"query": {"terms": {"text_hash": sorted(set(hashes))}}, "size": MAX_WINDOW,
            "sort": [{"id": "asc"}], "_source": ["id", "text_hash"]}
    found: dict[str, list[str]] = {}
    for hit in _call(client, client.search, index=index, body=body)["hits"]["hits"]:
        found.setdefault(hit["_source"]["text_hash"], []).append(hit["_source"]["id"])
    return found


def sharing_bands(client, index: str, key_lists: list[list[int]]) -> dict[tuple, list[Candidate]]:
    """For each list of band keys, the stored articles sharing at least one
    (with a signature), in one multi-search: by the smallest key shared, then
    by id, the order in which the embedded engine's ledger lists them."""
    wanted = list(dict.fromkeys(tuple(keys) for keys in key_lists if keys))
    if not wanted:
        return {}
    lines: list[dict] = []
    for keys in wanted:
        lines += [{"index": index},
                  {"query": {"terms": {"bands": [str(k) for k in keys]}}, "size": CANDIDATES_READ,
                   "sort": [{"id": "asc"}], "_source": CANDIDATE}]
    answers = _call(client, client.msearch, body=lines)["responses"]
    return {keys: _candidates(keys, answer) for keys, answer in zip(wanted, answers)}


def _candidates(keys: tuple[int, ...], answer: dict) -> list[Candidate]:
    if "error" in answer:
        raise NewsSearchError(f"OpenSearch refused a duplicate lookup: {answer['error']}")
    asked = set(keys)
    found = []
    for hit in answer["hits"]["hits"]:
        source = hit["_source"]
        shared = asked & {int(key) for key in source.get("bands") or ()}
        if shared and source.get("signature"):
            found.append(Candidate(source["id"], base64.b64decode(source["signature"]),
                                   source.get("cluster") or source["id"], min(shared)))
    found.sort(key=lambda c: (c.first_key, c.id))
    return found


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
