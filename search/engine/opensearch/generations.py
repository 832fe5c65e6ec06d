"""What an OpenSearch index remembers of itself, and its generations.

`newssearch index` records the source folders it read, with their read
options, in the index mapping's ``_meta`` (under ``newssearch``), as the
embedded engine records them in its manifest: `rebuild` reads them again,
and `stats` shows them.

A rebuild writes a new concrete index ``NAME-<generation>`` and then points
the alias ``NAME`` at it in one ``_aliases`` request, so a reader sees the
old articles or the new ones, never a half-built index. The first rebuild
of an index created as a plain ``NAME`` removes that index in the same
request (``remove_index``), since an alias cannot share its name.

Each concrete index has a companion, its file ledger ``<index>-files``
(`files`): created with it, and deleted with it here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

#: The key of our entry in the mapping's ``_meta``.
META_KEY = "newssearch"
#: A concrete index's file ledger is named after it with this suffix.
LEDGER_SUFFIX = "-files"


def ledger_name(index: str) -> str:
    """The file ledger index of concrete article index `index`."""
    return index + LEDGER_SUFFIX


def delete_with_ledger(client, index: str) -> None:
    """Delete concrete index `index` and its file ledger (either may be gone)."""
    client.indices.delete(index=f"{index},{ledger_name(index)}", ignore_unavailable=True)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def concrete_indices(client, name: str) -> list[str]:
    """The concrete indices behind `name`: those its alias points at, or `name`."""
    if client.indices.exists_alias(name=name):
        return sorted(client.indices.get_alias(name=name))
    return [name]


def read_meta(client, name: str) -> dict[str, Any]:
    """Our ``_meta`` entry of index (or alias) `name`; empty if none yet."""
    mappings = client.indices.get_mapping(index=name)
    for entry in mappings.values():  # one concrete index
        return dict(entry.get("mappings", {}).get("_meta", {}).get(META_KEY, {}))
    return {}


def write_meta(client, name: str, meta: dict[str, Any]) -> None:
    client.indices.put_mapping(index=name, body={"_meta": {META_KEY: meta}})


def remember_roots(meta: dict[str, Any], roots: list[str], options) -> dict[str, Any]:
    """`meta` with `roots` added and each one's ReadOptions stored (a run
    without --map forgets the old map, as the embedded manifest does)."""
    meta = dict(meta)
    known = list(meta.get("roots", []))
    stored = dict(meta.get("options", {}))
    for root in roots:
        if root not in known:
            known.append(root)
        stored[root] = {"field_map": dict(options.field_map), "defaults": dict(options.defaults),
                        "follow_links": bool(options.follow_links)}
    meta.update(roots=known, options=stored, updated=now_iso())
    meta.setdefault("created", meta["updated"])
    return meta


def read_options(meta: dict[str, Any], root: str):
    """The ReadOptions `root` was last indexed with."""
    from ...ingest.readers import ReadOptions

    stored = meta.get("options", {}).get(root, {})
    return ReadOptions(field_map=dict(stored.get("field_map", {})),
                       defaults=dict(stored.get("defaults", {})),
                       follow_links=bool(stored.get("follow_links", False)))


def next_generation(client, name: str, meta: dict[str, Any]) -> tuple[int, str]:
    """The number and index name of the next generation; a leftover index of
    that name (a rebuild that died before its switch) is deleted first."""
    generation = int(meta.get("generation", 0)) + 1
    fresh = f"{name}-{generation}"
    if fresh not in concrete_indices(client, name):  # (its ledger too: it would skip files)
        delete_with_ledger(client, fresh)
    return generation, fresh


def switch_alias(client, name: str, fresh: str) -> None:
    """Point `name` at `fresh` in one atomic request, then delete what it
    pointed at before (after the switch: readers never lose the index)."""
    old = concrete_indices(client, name)
    if old == [name]:  # a plain index, not yet an alias: it goes in the same request
        actions = [{"remove_index": {"index": name}}]
    else:
        actions = [{"remove": {"index": index, "alias": name}} for index in old]
    actions.append({"add": {"index": fresh, "alias": name}})
    client.indices.update_aliases(body={"actions": actions})
    for index in old:
        if index != name:
            delete_with_ledger(client, index)
    if old == [name]:  # the plain index is gone: its ledger goes too
        client.indices.delete(index=ledger_name(name), ignore_unavailable=True)
