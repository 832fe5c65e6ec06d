"""Exact duplicates and near-duplicate clusters on OpenSearch (issue 20):
the same verdicts and cluster names as the embedded engine, within a run
and across runs, the second run finding the first run's articles through
the fingerprints and band keys stored in the cluster (no local file).

Reuters-21578 files (../shared, read by our reader, never copied) are
indexed by the real CLI into an embedded index and into the session's
OpenSearch node, in two runs: reut2-000 and -001, then -002 and -003.
Skips without the corpus, or without a node.
"""

from __future__ import annotations

import json

import pytest

from search import Article, NewsIndex
from tests.conftest import CORPORA
from tests.test_opensearch_parity import reuters_targets, run

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")

REUTERS = CORPORA / "reuters21578"
RUNS = (("000", "001"), ("002", "003"))


def files(numbers) -> list:
    return [REUTERS / f"reut2-{n}.sgm" for n in numbers]


def index_json(target, *paths) -> dict:
    code, out, err = run("index", *paths, "--index", target, "--json", "--jobs", "1")
    assert code == 0, (target, err)
    return json.loads(out)


def clusters(target) -> dict[str, str]:
    """id → cluster of every article the index holds."""
    with NewsIndex.open(target) as ix:
        return {a.id: a.cluster for a in ix.articles()}


def counts(report: dict) -> dict:
    return {k: report[k] for k in ("added", "updated", "unchanged", "duplicates", "files",
                                   "failed")}


@pytest.fixture(scope="module")
def two_runs(opensearch_url, opensearch_client, tmp_path_factory):
    """For each engine, the reports and clusters after each of RUNS."""
    embedded, url, name = reuters_targets(opensearch_url, tmp_path_factory, "dedup",
                                          last=RUNS[-1][-1])
    seen = {}
    for target in (embedded, url):
        seen[target] = []
        for numbers in RUNS:
            report = index_json(target, *files(numbers))
            seen[target].append((report, clusters(target)))
    yield seen[embedded], seen[url], url
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)


def test_each_run_gives_the_same_counts_duplicates_and_clusters(two_runs):
    ours, theirs, _ = two_runs
    for (our_report, our_clusters), (their_report, their_clusters) in zip(ours, theirs):
        assert counts(their_report) == counts(our_report)
        assert sorted(map(str, their_report["duplicate_of"])) == \
            sorted(map(str, our_report["duplicate_of"]))
        assert their_clusters == our_clusters
        assert our_report["duplicates"] > 0
        assert sum(1 for i, c in our_clusters.items() if c != i) > 20  # clustered articles


def test_the_second_run_finds_the_first_runs_articles_in_the_cluster(two_runs):
    """Articles of run 2 join clusters named by run 1's articles, and exact
    copies of run 1's articles are left out: found by querying the stored
    band keys and fingerprints, not a file beside the index."""
    _, theirs, _ = two_runs
    (_, first), (report, after) = theirs
    joined = [i for i, c in after.items() if i not in first and c in first]
    copies = [d for d in report["duplicate_of"] if d["kept"] in first]
    assert len(joined) >= 3 and len(copies) >= 2
    assert all(after[i] == first[i] for i in first)  # run 1's clusters stay


def test_the_cluster_keeps_the_band_keys_and_fingerprints(two_runs, opensearch_client):
    _, _, url = two_runs
    name = url.rsplit("/", 1)[1]
    found = opensearch_client.search(index=name, body={
        "query": {"bool": {"must": [{"exists": {"field": "bands"}},
                                    {"exists": {"field": "text_hash"}}]}},
        "size": 1, "track_total_hits": True})
    assert found["hits"]["total"]["value"] > 3_000  # each article long enough to cluster
    source = found["hits"]["hits"][0]["_source"]
    assert len(source["bands"]) == 16 and source["signature"]
    # The keys are searched (a keyword field), which is how a later run finds them.
    key = source["bands"][0]
    hits = opensearch_client.search(index=name, body={"query": {"term": {"bands": key}}})
    assert source["id"] in {h["_source"]["id"] for h in hits["hits"]["hits"]}


def test_a_second_run_over_the_same_files_writes_nothing_again(two_runs):
    _, theirs, url = two_runs
    report = index_json(url, *files(RUNS[1]))
    assert (report["added"], report["updated"]) == (0, 0)
    # The file ledger skips both files unread: their articles, less the
    # duplicates the run before left out, are unchanged.
    assert (report["files"], report["files_unchanged"], report["duplicates"]) == (0, 2, 0)
    assert report["unchanged"] == 2_000 - theirs[1][0]["duplicates"]
    assert clusters(url) == two_runs[1][1][1]


def test_add_clusters_and_leaves_out_duplicates_like_the_embedded_engine(
        tmp_path, opensearch_url, opensearch_client):
    """NewsIndex.add on both engines: a near copy joins its original's
    cluster, an exact copy (case and punctuation aside) is left out, an
    empty article refused; and in a second add, against what is stored."""
    story = " ".join(f"word{i} of the wire story number {i % 7}" for i in range(30))
    first = [Article(id="a", title="Story", body=story),
             Article(id="b", title="Other", body="A short brief: too short to cluster."),
             Article(id="empty", title="", body="")]
    second = [Article(id="c", title="Story", body=story.replace("word5 ", "word55 ")),
              Article(id="d", title="STORY", body=story.upper() + "!"),
              Article(id="e", title="New", body=" ".join(reversed(story.split())))]
    name = "dedup-add"
    url = f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"
    found = []
    for target in (tmp_path / "index", url):
        with NewsIndex.create(target, overwrite=True) as ix:
            reports = [ix.add(first), ix.add(second)]
            found.append(([(r.added, r.duplicates, [f for f, _ in r.failed]) for r in reports],
                          {a.id: a.cluster for a in ix.articles()}))
    opensearch_client.indices.delete(index=name)
    assert found[1] == found[0]
    assert found[0][1] == {"a": "a", "b": "b", "c": "a", "e": "e"}
    assert found[0][0][1][1] == [("d", "d", "a")]


def test_an_index_made_before_the_run_fields_takes_them(opensearch_url, opensearch_client):
    """An index created with the mapping as it was (no text_hash, bands,
    signature: it is strict) gets them when written to, not a refusal of
    every article."""
    from search.engine.opensearch.mapping import RUN_FIELDS, index_body

    name = "dedup-older-mapping"
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)
    body = index_body()
    for field in RUN_FIELDS:
        del body["mappings"]["properties"][field]
    opensearch_client.indices.create(index=name, body=body)
    url = f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"
    try:
        with NewsIndex.open(url) as ix:
            report = ix.add([Article(id="x", title="Hello", body="World news")])
            assert report.added == 1 and not report.failed and len(ix) == 1
        held = opensearch_client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
        assert set(RUN_FIELDS) <= set(held)
    finally:
        opensearch_client.indices.delete(index=name)
