"""newssearch's analysis and fields as OpenSearch index settings and mapping
(``mapping.json`` beside this module; docs/opensearch.md says what each part
mirrors of `search.text.analysis`).

The JSON is package data, so the engine, the tests and the benchmarks create
the same index. Nothing here imports opensearch-py: `create_index` takes a
client made by whoever holds one.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def _mapping_file() -> dict[str, Any]:
    from . import german, snowball

    text = resources.files(__package__).joinpath("mapping.json").read_text(encoding="utf-8")
    body = json.loads(text)
    german.fill(body["settings"])  # the German word list and stems, from search.text
    snowball.fill(body)  # the other Snowball languages' analyzers and routed fields
    return body


def load_mapping() -> dict[str, Any]:
    """The index body (``settings`` and ``mappings``): a fresh copy each call,
    since callers change the settings."""
    return copy.deepcopy(_mapping_file())


def index_body(*, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """The index body with its shard and replica counts set: one shard and no
    replica suit one node; a cluster wants replicas to survive a lost node."""
    body = load_mapping()
    body["settings"]["index"].update(number_of_shards=shards, number_of_replicas=replicas)
    return body


def create_index(client, name: str, *, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """Create index `name` with newssearch's settings and mapping; OpenSearch's answer."""
    return client.indices.create(index=name, body=index_body(shards=shards, replicas=replicas))


#: Fields the ingest run keeps for finding duplicates across runs (the
#: exact-text fingerprint, the MinHash band keys, the signature): added to an
#: index created before they were in the mapping (`add_missing_fields`).
RUN_FIELDS = ("text_hash", "bands", "signature")


def add_missing_fields(client, name: str) -> None:
    """Give an existing index (or the indexes behind an alias) the fields of
    RUN_FIELDS: the mapping is strict, so an older index would refuse every
    article that carries them. (Adding a field to a mapping is allowed.)
    An index older than the routed language fields (`snowball.ROOT`) gets
    them as an object that is kept but not indexed: their analyzers cannot
    be added to an open index, so its articles stay analysed as before
    until a `rebuild` makes a new index."""
    from .snowball import ROOT

    properties = _mapping_file()["mappings"]["properties"]
    # Asked first: a read passes a write block (a full disk) that a mapping
    # update would not.
    held = client.indices.get_mapping(index=name)
    missing = {field for entry in held.values() for field in (*RUN_FIELDS, ROOT)
               if field not in entry["mappings"].get("properties", {})}
    if missing:
        client.indices.put_mapping(index=name, body={"properties": {
            field: properties[field] if field != ROOT else {"type": "object", "enabled": False}
            for field in sorted(missing)}})
