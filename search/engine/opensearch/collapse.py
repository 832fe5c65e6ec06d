"""`--collapse` on OpenSearch: one hit per near-duplicate cluster, as the
embedded engine gives it (query.searcher).

The page is OpenSearch's field collapsing on ``cluster``: each cluster's
best hit in the search's order. The total is the number of clusters among
every match and each hit's `similar` the other members of its cluster among
the matches, both counted without collapsing (the embedded engine counts
them so too): a composite aggregation walks every cluster of the matches,
:data:`PAGE` clusters a request, exact where a cardinality aggregation
would only estimate.
"""

from __future__ import annotations

from ...errors import QueryError
from ...results import SearchResults
from .paging import MAX_WINDOW

#: Clusters read per request of the walk.
PAGE = 10_000
#: Why a collapsed search is refused on an index whose articles lack clusters.
NO_CLUSTERS = ("--collapse needs near-duplicate clusters, and some articles of this index "
               "were written before OpenSearch indexes assigned them: run newssearch rebuild")


def collapsed(body: dict) -> dict:
    """A search body whose hits are collapsed on ``cluster``; a page past
    the result window is refused (search_after cannot walk collapsed hits
    in our sort orders)."""
    if body["from"] + body["size"] > MAX_WINDOW:
        raise QueryError(f"--collapse shows the first {MAX_WINDOW:,} clusters on an "
                         "OpenSearch index; narrow the query or go to an earlier page")
    return dict(body, collapse={"field": "cluster"})


def cluster_sizes(client, index: str, body: dict) -> dict[str, int]:
    """cluster → how many of the search's matches (its query and filters)
    are in it."""
    query = {"bool": {"must": [body["query"]], "filter": [body["post_filter"]]}}
    sources = [{"cluster": {"terms": {"field": "cluster", "missing_bucket": True}}}]
    sizes: dict[str, int] = {}
    after = None
    while True:
        walk = {"size": PAGE, "sources": sources, **({"after": after} if after else {})}
        answer = client.search(index=index, body={"size": 0, "query": query,
                                                  "track_total_hits": False,
                                                  "aggs": {"clusters": {"composite": walk}}})
        found = answer["aggregations"]["clusters"]
        for bucket in found["buckets"]:
            if bucket["key"]["cluster"] is None:
                raise QueryError(NO_CLUSTERS)
            sizes[bucket["key"]["cluster"]] = bucket["doc_count"]
        after = found.get("after_key")
        if len(found["buckets"]) < PAGE or after is None:
            return sizes


def count_clusters(results: SearchResults, sizes: dict[str, int]) -> SearchResults:
    """The collapsed results' total (clusters) and each hit's `similar`."""
    results.total = len(sizes)
    for hit in results.hits:
        hit.similar = sizes.get(hit.cluster, 1) - 1
    return results
