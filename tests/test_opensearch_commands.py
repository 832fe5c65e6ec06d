"""Every command on `--index opensearch://…` (issue 20): similar, export,
stats, deep pages, rebuild, eval and serve, on a real OpenSearch node
(tests/opensearch_fixture.py), each compared with the embedded engine on
the same articles through the real CLI, and `export` from one engine
indexed into the other moving an archive both ways.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from search import Article, NewsIndex
from tests.conftest import ARTICLES, SEED_FILE, SEED_ID
# The engine tests' corpus (a fixture: the seed, the fixture articles and
# four dated wires) and their ways of running the CLI.
from tests.test_opensearch_engine import corpus, one_line_exit_2, run  # noqa: F401

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")

#: What indexing assigns an article read from a file: where it was read
#: from, and the hash of what was read.
READ_FROM = {"path", "content_hash"}


def ok_json(*args) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, (args, out, err)
    return json.loads(out)


def os_url(opensearch_url: str, name: str) -> str:
    return f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"


def drop(client, name: str) -> None:
    """Delete index `name`, or every generation behind alias `name`."""
    client.indices.delete(index=f"{name},{name}-*", ignore_unavailable=True)


@pytest.fixture(scope="module")
def indexes(corpus, opensearch_url, opensearch_client, tmp_path_factory):
    """(embedded index folder, opensearch:// URL) of the same 9 articles."""
    name = "commands"
    drop(opensearch_client, name)
    url = os_url(opensearch_url, name)
    embedded = tmp_path_factory.mktemp("embedded") / "index"
    for target in (embedded, url):
        ok_json("index", *corpus, "--index", target, "--jobs", "1")
    yield embedded, url
    drop(opensearch_client, name)


def export_of(target) -> dict[str, dict]:
    code, out, err = run("export", "--index", target)
    assert code == 0, err
    articles = [json.loads(line) for line in out.splitlines()]
    by_id = {a["id"]: a for a in articles}
    assert len(by_id) == len(articles)
    return by_id


def same_articles(ours: dict[str, dict], theirs: dict[str, dict], leave_out=frozenset()) -> None:
    """Field by field (but those in `leave_out`)."""
    assert theirs.keys() == ours.keys()
    for article_id, article in ours.items():
        assert set(theirs[article_id]) == set(article)
        for name in set(article) - set(leave_out):
            assert theirs[article_id][name] == article[name], (article_id, name)


def moved(source, dump, target) -> dict[str, dict]:
    """`export` from `source` into `dump`, `index` it into `target`: its export."""
    code, _, err = run("export", "--index", source, "--output", dump)
    assert code == 0 and "Exported 9 articles" in err
    assert ok_json("index", dump, "--index", target, "--jobs", "1")["added"] == 9
    return export_of(target)


# --- similar -------------------------------------------------------------------

def test_similar_has_the_embedded_shape_and_leaves_the_article_out(indexes):
    embedded, url = indexes
    ours = ok_json("similar", "wire-1", "--index", embedded, "--limit", "8")
    theirs = ok_json("similar", "wire-1", "--index", url, "--limit", "8")
    assert set(theirs) == set(ours) and theirs["query"] == ours["query"] == "similar to wire-1"
    ids = [h["id"] for h in theirs["hits"]]
    # Every other article shares a word with it: both engines list the same 8.
    assert theirs["total"] == ours["total"] == 8 and "wire-1" not in ids
    assert sorted(ids) == sorted(h["id"] for h in ours["hits"])
    assert ids[0] == ours["hits"][0]["id"]  # the ceasefire story, on both
    three = [ok_json("similar", "wire-1", "--index", where, "--limit", "3") for where in indexes]
    assert [len(r["hits"]) for r in three] == [3, 3]
    assert [r["total"] for r in three] == [8, 8]  # every match counted, on both engines
    for hit in theirs["hits"]:
        assert set(hit) == set(ours["hits"][0])
        assert hit["snippets"] and all(s["end"] - s["start"] == len(s["text"]) for s in hit["snippets"])


def test_similar_of_an_unknown_article_is_one_line_on_both(indexes):
    for target in indexes:
        one_line_exit_2(*run("similar", "no-such-id", "--index", target), 'no article with id "no-such-id"')


# --- export, both ways -----------------------------------------------------------

def test_export_gives_the_embedded_engines_articles(indexes):
    same_articles(export_of(indexes[0]), export_of(indexes[1]))


# Moving an archive through an export: whatever it keeps or loses (the JSON
# reader does not read `related` back), it is the same as moving it from one
# embedded index to another, and every field the archive had comes back but
# those READ_FROM.

def test_export_from_opensearch_into_the_embedded_engine_moves_the_archive(indexes, tmp_path):
    within = moved(indexes[0], tmp_path / "a.jsonl", tmp_path / "within")
    across = moved(indexes[1], tmp_path / "b.jsonl", tmp_path / "across")
    same_articles(within, across, READ_FROM)
    same_articles(export_of(indexes[1]), across, READ_FROM | {"related"})


def test_export_from_the_embedded_engine_into_opensearch_moves_the_archive(
        indexes, tmp_path, opensearch_url, opensearch_client):
    url = os_url(opensearch_url, "moved-in")
    drop(opensearch_client, "moved-in")
    try:
        within = moved(indexes[0], tmp_path / "a.jsonl", tmp_path / "within")
        across = moved(indexes[0], tmp_path / "b.jsonl", url)
        same_articles(within, across, READ_FROM)
        same_articles(export_of(indexes[0]), across, READ_FROM | {"related"})
    finally:
        drop(opensearch_client, "moved-in")


# --- stats -------------------------------------------------------------------------

def test_stats_says_what_the_embedded_stats_say(indexes, corpus):
    embedded, url = indexes
    ours = ok_json("stats", "--index", embedded)
    theirs = ok_json("stats", "--index", url)
    assert set(theirs) == set(ours)
    for name in ("documents", "sources", "sections", "earliest", "latest", "undated"):
        assert theirs[name] == ours[name], name
    assert theirs["roots"] == ours["roots"] == [str(p.resolve()) for p in corpus]
    assert theirs["size_bytes"] > 0 and theirs["path"] == url
    assert {"title", "body", "source", "published"} <= set(theirs["fields"])
    assert theirs["created"] and theirs["updated"] >= theirs["created"]
    code, out, _ = run("stats", "--index", url)
    assert code == 0 and "Articles     9" in out and "Reuters (2)" in out


# --- deep pages ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def deep(opensearch_url, opensearch_client):
    """10,010 dated articles, one a minute: past the 10,000-hit window."""
    name = "deep-pages"
    drop(opensearch_client, name)
    url = os_url(opensearch_url, name)
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)
    articles = [Article(id=f"d{i:05d}", title=f"Bulletin {i}", body="Markets were calm today.",
                        source="Wire", published=start + timedelta(minutes=i))
                for i in range(10_010)]
    with NewsIndex.create(url) as ix:
        assert ix.add(articles).added == 10_010
    yield url
    drop(opensearch_client, name)


def test_a_page_past_ten_thousand_hits_comes_by_search_after(deep):
    data = ok_json("query", "calm", "--index", deep, "--sort", "oldest", "--limit", "7",
                   "--page", "1430", "--facet", "source")
    assert data["total"] == 10_010 and data["page"] == 1430
    assert [h["id"] for h in data["hits"]] == [f"d{i:05d}" for i in range(10_003, 10_010)]
    assert data["facets"]["source"] == [{"value": "Wire", "count": 10_010}]
    assert data["hits"][0]["snippets"]  # the page itself is a full page


def test_a_page_past_the_last_hit_is_empty_with_the_totals(deep):
    data = ok_json("query", "calm", "--index", deep, "--limit", "10", "--page", "1500")
    assert data["total"] == 10_010 and data["hits"] == []


def test_pages_across_the_window_hold_every_article_once(deep):
    """By relevance (every score equal here: ties all the way), pages 1-10
    (from/size) and 11 (search_after) list each article exactly once."""
    with NewsIndex.open(deep) as ix:
        ids = [h.id for page in range(1, 12)
               for h in ix.search("calm", limit=1000, page=page, snippets=0).hits]
    assert len(ids) == 10_010 and set(ids) == {f"d{i:05d}" for i in range(10_010)}


def test_export_reads_every_article_past_the_window(deep):
    with NewsIndex.open(deep) as ix:
        ids = [a.id for a in ix.articles()]
    assert ids == [f"d{i:05d}" for i in range(10_010)]


# --- rebuild -------------------------------------------------------------------------

def make_corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(ARTICLES, folder)
    shutil.copy(SEED_FILE, folder / SEED_ID)
    return folder


def test_rebuild_matches_the_embedded_rebuild_and_switches_an_alias(
        tmp_path, opensearch_url, opensearch_client):
    folder = make_corpus(tmp_path)
    name = "rebuilt"
    drop(opensearch_client, name)
    url, local = os_url(opensearch_url, name), tmp_path / "local"
    try:
        for target in (local, url):
            assert ok_json("index", folder, "--index", target, "--jobs", "1")["added"] == 5
            with NewsIndex.open(target) as ix:  # an article with no file: carried over
                ix.add([Article(id="api-1", title="Added by hand", body="No file holds it.")])
        (folder / "missile-purchase.txt").unlink()
        (folder / "new.txt").write_text("Fresh wire\n\nA story written after the index.",
                                        encoding="utf-8")
        ours = ok_json("rebuild", "--index", local)
        theirs = ok_json("rebuild", "--index", url)
        for count in ("added", "removed", "updated", "unchanged", "files"):
            assert theirs[count] == ours[count], (count, ours, theirs)
        assert theirs["added"] == 1 and theirs["removed"] == 1
        assert sorted(export_of(url)) == sorted(export_of(local))
        assert opensearch_client.indices.get_alias(name=name) == {f"{name}-1": {"aliases": {name: {}}}}
        ok_json("rebuild", "--index", url)  # the next generation; the old one is deleted
        assert list(opensearch_client.indices.get_alias(name=name)) == [f"{name}-2"]
        assert not opensearch_client.indices.exists(index=f"{name}-1")
        assert ok_json("stats", "--index", url)["roots"] == [str(folder.resolve())]
        # The alias takes writes as the index did, and is overwritten whole.
        (folder / "later.txt").write_text("Later wire\n\nOne more.", encoding="utf-8")
        again = ok_json("index", folder, "--index", url, "--jobs", "1")
        assert (again["added"], again["unchanged"]) == (1, 5)  # as the embedded engine counts
        assert ok_json("query", "", "--index", url)["total"] == 7
        with NewsIndex.create(url, overwrite=True) as ix:
            assert len(ix) == 0
        assert not opensearch_client.indices.exists(index=f"{name}-2")
    finally:
        drop(opensearch_client, name)


def test_rebuild_keeps_a_gone_folder_unless_drop_missing(tmp_path, opensearch_url,
                                                         opensearch_client):
    folder = make_corpus(tmp_path)
    name = "rebuilt-gone"
    drop(opensearch_client, name)
    url = os_url(opensearch_url, name)
    try:
        ok_json("index", folder, "--index", url, "--jobs", "1")
        shutil.rmtree(folder)
        code, out, err = run("rebuild", "--index", url, "--json")
        assert code == 2 and "source folder is gone" in err
        assert len(export_of(url)) == 5 and json.loads(out)["unchanged"] == 5
        code, out, _ = run("rebuild", "--index", url, "--json", "--drop-missing")
        assert code == 2 and json.loads(out)["removed"] == 5
        assert export_of(url) == {} and ok_json("stats", "--index", url)["roots"] == []
    finally:
        drop(opensearch_client, name)


def test_readers_never_see_a_half_built_index(tmp_path, opensearch_url, opensearch_client):
    """While rebuild fills the new generation, the alias still answers with every article."""
    folder = make_corpus(tmp_path)
    name = "rebuilt-live"
    drop(opensearch_client, name)
    url = os_url(opensearch_url, name)
    seen = []
    try:
        ok_json("index", folder, "--index", url, "--jobs", "1")
        with NewsIndex.open(url) as ix:
            def progress(*_):  # called as each new article is written
                seen.append(ix.search("", limit=0).total)
            ix.rebuild(progress=progress, jobs=1)
        assert seen and set(seen) == {5}
    finally:
        drop(opensearch_client, name)


# --- eval ---------------------------------------------------------------------------

def test_eval_measures_opensearch_rankings_the_same_way(indexes, tmp_path):
    from search.query.evaluation import measure, read_qrels

    queries, qrels = tmp_path / "q.tsv", tmp_path / "qrels"
    queries.write_text("1\tIdlib ceasefire\n2\tlira\n3\tPatriot missile\n", encoding="utf-8")
    qrels.write_text("1 0 wire-1 2\n1 0 wire-2 1\n2 0 wire-3 1\n3 0 " + SEED_ID + " 1\n",
                     encoding="utf-8")
    reports = {}
    for target in indexes:
        run_file = tmp_path / f"run-{len(reports)}"
        reports[target] = ok_json("eval", "--queries", queries, "--qrels", qrels,
                                  "--run", run_file, "--index", target)
        rankings: dict = {}
        for line in run_file.read_text().splitlines():
            qid, _, docid, _, score, _ = line.split()
            rankings.setdefault(qid, []).append((docid, float(score)))
        again = measure({"1": "", "2": "", "3": ""}, read_qrels(qrels), rankings)
        assert round(again.map, 6) == reports[target]["map"]
    ours, theirs = reports.values()
    assert set(theirs) == set(ours) and theirs["queries"] == ours["queries"] == 3
    assert theirs["map"] > 0.5 and theirs["relevant_not_indexed"] == 0


def test_eval_of_a_bad_query_is_one_line(indexes, tmp_path):
    queries, qrels = tmp_path / "q.tsv", tmp_path / "qrels"
    queries.write_text("1\tnosuchfield:x\n", encoding="utf-8")
    qrels.write_text("1 0 wire-1 1\n", encoding="utf-8")
    for target in indexes:
        code, out, err = run("eval", "--queries", queries, "--qrels", qrels, "--index", target,
                             "--json")
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


# --- serve ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clients(indexes):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search.web.app import create_app

    with TestClient(create_app(indexes[0])) as ours, TestClient(create_app(indexes[1])) as theirs:
        yield ours, theirs


@pytest.mark.parametrize("params", [{"q": "Idlib", "facet": "source,tags,year"},
                                    {"q": "Patriot Idlib"},
                                    {"q": "Idlib", "filter.source": "Reuters", "facet": "source"},
                                    {"q": "", "sort": "newest", "limit": "3", "page": "2"}])
def test_api_search_answers_as_the_embedded_server(clients, params):
    ours, theirs = (c.get("/api/search", params=params) for c in clients)
    assert theirs.status_code == ours.status_code == 200
    ours, theirs = ours.json(), theirs.json()
    assert set(theirs) == set(ours) and theirs["total"] == ours["total"]
    assert sorted(h["id"] for h in theirs["hits"]) == sorted(h["id"] for h in ours["hits"])
    if "sort" in params:  # by date, undated ties in index order: the same page on both
        assert [h["id"] for h in theirs["hits"]] == [h["id"] for h in ours["hits"]]
    assert theirs["facets"] == ours["facets"]
    for hit in theirs["hits"]:
        assert set(hit) == set(ours["hits"][0])


def test_api_search_collapses_as_the_embedded_server(clients):
    params = {"q": "", "collapse": "true", "sort": "newest", "limit": "50", "facet": "source"}
    ours, theirs = (c.get("/api/search", params=params) for c in clients)
    assert theirs.status_code == ours.status_code == 200
    ours, theirs = ours.json(), theirs.json()
    assert theirs["total"] == ours["total"] > 0 and theirs["facets"] == ours["facets"]
    assert [(h["id"], h["cluster"], h["similar"]) for h in theirs["hits"]] == \
        [(h["id"], h["cluster"], h["similar"]) for h in ours["hits"]]


def test_api_article_similar_and_stats(clients):
    ours, theirs = clients
    assert theirs.get("/api/article/wire-1").json() == ours.get("/api/article/wire-1").json()
    assert theirs.get("/api/article/nope").status_code == 404
    similar = theirs.get("/api/similar/wire-1", params={"limit": 3}).json()
    assert similar["hits"] and "wire-1" not in {h["id"] for h in similar["hits"]}
    assert theirs.get("/api/similar/nope").status_code == 404
    stats = [c.get("/api/stats").json() for c in clients]
    assert set(stats[1]) == set(stats[0]) and stats[1]["documents"] == stats[0]["documents"] == 9
    assert stats[1]["path"] == "commands"


def test_api_suggest_completes_from_the_cluster(clients):
    data = clients[1].get("/api/suggest", params={"q": "Idl"}).json()
    assert "Idlib" in data["completions"]
    assert ("wire-1", "Idlib ceasefire holds for a second day") in {
        (t["id"], t["title"]) for t in data["titles"]}
    data = clients[1].get("/api/suggest", params={"q": "ceasefire Mos"}).json()
    assert data["completions"] == ["ceasefire Moscow"]


def test_pages_render_with_highlights(clients):
    page = clients[1].get("/", params={"q": "Idlib", "filter.source": "Reuters"})
    assert page.status_code == 200 and page.text.count("<li class=\"hit\">") == 2
    assert "Talks on <mark>Idlib</mark> open in Moscow" in page.text
    article = clients[1].get("/article/wire-2", params={"q": "Moscow"})
    assert article.status_code == 200 and "<mark>Moscow</mark>" in article.text


def test_highlight_spans_match_the_embedded_snapshot(indexes):
    from search.engine.base import Reader

    spans = []
    for target in indexes:
        with NewsIndex.open(target) as ix, ix.snapshot() as snap:
            assert isinstance(snap, Reader)  # the engine seam's reads, on both
            article = snap.get("wire-2")
            spans.append(snap.highlight(article, "Idlib Moscow"))
            assert snap.contains("wire-2") and not snap.contains("nope")
            assert snap.fields_with_values(["source", "topics", "tags"]) == ["source", "tags"]
    assert spans[1] == spans[0]


# --- an unreachable cluster --------------------------------------------------------------

@pytest.mark.parametrize("command", [["similar", "x"], ["stats"], ["export"], ["rebuild"],
                                     ["eval", "--queries", "q", "--qrels", "r"]])
def test_an_unreachable_cluster_is_one_line_for_every_command(command, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "q").write_text("1\tIdlib\n")
    (tmp_path / "r").write_text("1 0 wire-1 1\n")
    args = [a if a not in ("q", "r") else tmp_path / a for a in command]
    one_line_exit_2(*run(*args, "--index", f"opensearch://127.0.0.1:{port}/news"), "unreachable")


# --- loosening an AND that finds nothing ------------------------------------------

@pytest.mark.parametrize("query", ["ceasefire zzyqx", "ceasefire zzyqx -lira",
                                   "zzyqx NOT ceasefire", "zzyqx -ceasefire",
                                   "ceasefire NOT Idlib NOT lira", "zzyqx"])
def test_both_engines_loosen_the_same_queries(indexes, query):
    """Only an AND of two or more words looked for is asked again with any
    of them: a single word beside an exclusion is not (OpenSearch had
    loosened "zzyqx NOT ceasefire" to every article without "ceasefire")."""
    embedded, url = indexes
    ours = ok_json("query", query, "--index", embedded)
    theirs = ok_json("query", query, "--index", url)
    assert (theirs["total"], theirs["relaxed"]) == (ours["total"], ours["relaxed"]), query
    assert sorted(h["id"] for h in theirs["hits"]) == sorted(h["id"] for h in ours["hits"])


def test_the_app_takes_an_open_index_of_either_engine(indexes):
    """`newssearch serve` opens the index once and hands it to the app (an
    OpenSearchIndex, on a cluster, had been taken for a path)."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from search import NewsIndex
    from search.web.app import create_app

    totals = []
    for target in indexes:
        with TestClient(create_app(NewsIndex.open(target))) as client:
            answer = client.get("/api/search", params={"q": "Idlib"})
            assert answer.status_code == 200, answer.text
            totals.append(answer.json()["total"])
    assert totals[0] == totals[1] > 0
