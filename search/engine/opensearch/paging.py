"""Reading past OpenSearch's result window: every article (`export`,
`rebuild`) and pages deeper than 10,000 hits (`query --page`).

``from`` + ``size`` may not pass ``index.max_result_window`` (10,000), and
scrolling pages by ``from`` is quadratic anyway. Both readers here hold a
point in time (PIT: the index as it was when they began, as the embedded
engine's `articles()` holds its own searcher) and walk it with
``search_after`` on a sort that ends with our ``id`` keyword, so no two
articles tie and no page repeats or skips one.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

#: OpenSearch's default ``index.max_result_window``: the deepest from + size.
MAX_WINDOW = 10_000
#: How long a point in time lives between two requests of one walk.
KEEP_ALIVE = "2m"
#: Articles fetched per request when reading them all.
SCAN_BATCH = 1_000
#: The tiebreaker every walk sorts by last (keyword, with doc values).
TIEBREAK = {"id": "asc"}
#: What a search sorts ties by: index order, as the embedded engine (a
#: shard's own document numbers), then the id (unique across shards, so
#: `search_after` never skips one of two articles tied on the rest).
TIES = ["_doc", TIEBREAK]


@contextmanager
def point_in_time(client, index: str) -> Iterator[str]:
    """A PIT on `index` for a `with` block, deleted at its end."""
    pit = client.create_pit(index=index, params={"keep_alive": KEEP_ALIVE})["pit_id"]
    try:
        yield pit
    finally:
        client.delete_pit(body={"pit_id": [pit]})


def scan(client, index: str, source: Any = True,
         batch: int = SCAN_BATCH) -> Iterator[dict[str, Any]]:
    """Every document of `index` (its raw hit: ``_id``, ``_source``), in id
    order, as the index was when the scan began."""
    with point_in_time(client, index) as pit:
        after = None
        while True:
            body: dict[str, Any] = {"size": batch, "query": {"match_all": {}}, "sort": [TIEBREAK],
                                    "_source": source, "track_total_hits": False,
                                    "pit": {"id": pit, "keep_alive": KEEP_ALIVE}}
            if after is not None:
                body["search_after"] = after
            hits = client.search(body=body)["hits"]["hits"]
            yield from hits
            if len(hits) < batch:
                return
            after = hits[-1]["sort"]


def deep_page(client, index: str, body: dict[str, Any], skip: int) -> dict[str, Any]:
    """The answer to `body` (a search with ``from``, ``size`` and a ``sort``
    ending in TIES)
    starting `skip` hits in, for `skip` past the result window: the hits
    before it are walked over (sort values only, no source or highlights)
    with ``search_after``, then the page is asked for after them."""
    sort = body["sort"]  # (ends with TIES: the index's sorts do)
    with point_in_time(client, index) as pit:
        pit_ref = {"id": pit, "keep_alive": KEEP_ALIVE}
        after = None
        while skip > 0:
            walk: dict[str, Any] = {"query": body["query"], "post_filter": body["post_filter"],
                                    "sort": sort, "size": min(skip, MAX_WINDOW),
                                    "_source": False, "track_total_hits": False, "pit": pit_ref}
            if after is not None:
                walk["search_after"] = after
            hits = client.search(body=walk)["hits"]["hits"]
            if not hits:  # the page lies past the last hit
                break
            after, skip = hits[-1]["sort"], skip - len(hits)
        page = {**body, "from": 0, "pit": pit_ref}
        if after is not None:
            page["search_after"] = after
        if skip > 0:  # past the end: totals and facets, no hits
            page["size"] = 0
        return client.search(body=page)
