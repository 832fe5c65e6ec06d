"""`--index opensearch://HOST:PORT/INDEX` (issue 20): the CLI's `index` and
`query` on a real OpenSearch node (tests/opensearch_fixture.py) find what the
embedded engine finds — the same ids, totals and facet counts — and say in
one line what they cannot do.
"""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from search.cli import app
from tests.conftest import ARTICLES, SEEDS, dated_articles

pytestmark = pytest.mark.opensearch
pytest.importorskip("opensearchpy")

#: Queries of every kind, each run on both engines (with its options).
QUERIES = [
    ("Patriot Idlib",), ("Idlib",), ("Turkey",), ("Patriot OR lira",), ("Idlib NOT Moscow",),
    ("Idlib -ceasefire",), ('"Patriot missile systems"',), ('"Idlib ceasefire"',),
    ("title:Idlib",), ("source:Reuters",), ("minist*",), ("m?scow",), ("S-400",),
    ("published:2020",), ("published:[2020-02-01 TO 2020-03-31]",),
    ("Idlib", "--source", "Reuters"), ("Idlib", "--filter", "tags=Syria", "--filter", "tags=Turkey"),
    ("Idlib", "--since", "2020-03"), ("", "--until", "2020-02-28"),
    ("Idlib", "--section", "World", "--source", "AFP"), ("Turkey Russia", "--any"),
    ("Patriot lira",), ("Idlib", "--sort", "newest"),
]
FACETS = ["--facet", "source", "--facet", "tags", "--facet", "section", "--facet", "year",
          "--facet", "month"]


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def one_line_exit_2(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The seed, the fixture articles and the dated wire articles (JSON Lines)."""
    folder = tmp_path_factory.mktemp("dated")
    lines = [json.dumps(a.to_dict(), default=str) for a in dated_articles()]
    (folder / "wires.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [SEEDS, ARTICLES, folder]


@pytest.fixture(scope="module")
def indexes(corpus, opensearch_url, opensearch_client, tmp_path_factory):
    """(embedded index folder, opensearch:// URL), each built by `newssearch index`."""
    name = f"engine-{tmp_path_factory.getbasetemp().name}".lower()
    yield built_on_both(corpus, name, opensearch_url, opensearch_client,
                        tmp_path_factory.mktemp("embedded") / "index")
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)


def built_on_both(corpus, name: str, opensearch_url: str, opensearch_client, embedded):
    """(`embedded`, opensearch:// URL of index `name`), each built from
    `corpus` by `newssearch index` (an index left by a killed run is replaced)."""
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)
    url = f"opensearch://{opensearch_url.removeprefix('http://')}/{name}"
    for target in (embedded, url):
        code, out, err = run("index", *corpus, "--index", target, "--json", "--jobs", "1")
        assert code == 0 and json.loads(out)["failed"] == [], (target, out, err)
    return embedded, url


def module_indexes(prefix: str, corpus, opensearch_url: str, opensearch_client,
                   tmp_path_factory):
    """A module fixture's body: `built_on_both` into an index named for the
    session, yielded, then the OpenSearch index deleted."""
    name = f"{prefix}-{tmp_path_factory.getbasetemp().name}".lower()
    yield built_on_both(corpus, name, opensearch_url, opensearch_client,
                        tmp_path_factory.mktemp(f"{prefix}-embedded") / "index")
    opensearch_client.indices.delete(index=name, ignore_unavailable=True)


def query_json(target, *args) -> dict:
    code, out, err = run("query", *args, "--index", target, "--json", "--limit", "100")
    assert code == 0, (args, out, err)
    return json.loads(out)


def test_index_reports_the_same_articles(corpus, indexes, opensearch_client):
    embedded, url = indexes
    name = url.rsplit("/", 1)[1]
    assert opensearch_client.count(index=name)["count"] == 9
    code, out, _ = run("index", *corpus, "--index", url.replace("/" + name, "/again-" + name),
                       "--json", "--jobs", "1")
    assert code == 0 and json.loads(out)["added"] == 9 and json.loads(out)["files"] == 6
    opensearch_client.indices.delete(index="again-" + name)


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: " ".join(a) or "(empty)")
def test_same_ids_totals_and_facets_as_the_embedded_engine(indexes, args):
    embedded, url = indexes
    ours, theirs = query_json(embedded, *args, *FACETS), query_json(url, *args, *FACETS)
    assert theirs["total"] == ours["total"], (ours, theirs)
    assert sorted(h["id"] for h in theirs["hits"]) == sorted(h["id"] for h in ours["hits"])
    assert theirs["facets"] == ours["facets"]
    assert theirs["relaxed"] == ours["relaxed"]


def test_the_seed_query_has_the_same_top_hit_and_highlights(indexes):
    embedded, url = indexes
    ours, theirs = query_json(embedded, "Patriot Idlib"), query_json(url, "Patriot Idlib")
    assert theirs["hits"][0]["id"] == ours["hits"][0]["id"]
    hit = theirs["hits"][0]
    assert set(hit) >= {"id", "score", "title", "source", "published", "url", "section",
                        "tags", "path", "snippets"}
    marked = {s["text"][a:b].lower() for s in hit["snippets"] for a, b in s["highlights"]}
    assert {"patriot", "idlib"} <= marked
    for snippet in hit["snippets"]:
        assert set(snippet) == {"text", "start", "end", "highlights", "cut_after"}
        assert snippet["end"] - snippet["start"] == len(snippet["text"])


def test_text_output_marks_the_words(indexes):
    code, out, err = run("query", "Patriot Idlib", "--index", indexes[1], "--highlight", "marks")
    assert code == 0, err
    assert "[Patriot]" in out and "[Idlib]" in out


def test_show_prints_a_stored_article(indexes):
    code, out, err = run("show", "wire-1", "--index", indexes[1], "--json")
    assert code == 0, err
    assert json.loads(out)["title"] == "Idlib ceasefire holds for a second day"


def test_the_python_api_opens_by_url(indexes):
    from search import NewsIndex

    with NewsIndex.open(indexes[1]) as ix:
        assert len(ix) == 9
        results = ix.search("Idlib", facets=["source"], source="Reuters")
    assert results.total == 2 and {f.value for f in results.facets["source"]} >= {"Reuters", "AFP"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_url_is_one_line(tmp_path):
    url = f"opensearch://127.0.0.1:{free_port()}/news"
    one_line_exit_2(*run("query", "Idlib", "--index", url), "unreachable")
    one_line_exit_2(*run("index", str(SEEDS), "--index", url), "unreachable")


def test_check_is_not_supported_in_one_line(indexes):
    one_line_exit_2(*run("check", "--index", indexes[1]), "not supported on an OpenSearch index yet")


def test_a_missing_index_is_one_line(opensearch_url):
    url = f"opensearch://{opensearch_url.removeprefix('http://')}/no-such-index"
    one_line_exit_2(*run("query", "Idlib", "--index", url), "no index no-such-index")


def test_title_highlights_match_the_embedded_engine(indexes):
    embedded, url = indexes
    spans = [{h["id"]: h["title_highlights"] for h in query_json(target, "Idlib ceasefire")["hits"]}
             for target in (embedded, url)]
    assert spans[1] == spans[0]
    assert spans[1]["wire-1"]


def test_newssearch_index_may_name_an_opensearch_index(indexes):
    result = CliRunner().invoke(app, ["query", "Idlib", "--json"],
                                env={"NEWSSEARCH_INDEX": indexes[1]}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total"] == query_json(indexes[0], "Idlib")["total"]


@pytest.mark.parametrize("option", [["--lang", "pl"]])  # (no Snowball Polish in Lucene)
def test_an_unsupported_query_option_is_one_line(indexes, option):
    one_line_exit_2(*run("query", "Idlib", *option, "--index", indexes[1]),
                    "not supported on an OpenSearch index")


def test_facet_limit_keeps_the_same_top_values(indexes):
    args = ("", "--facet", "tags", "--facet", "month", "--facet-limit", "2", "--sort", "newest")
    ours, theirs = query_json(indexes[0], *args), query_json(indexes[1], *args)
    assert theirs["facets"] == ours["facets"]
    assert [h["id"] for h in theirs["hits"]] == [h["id"] for h in ours["hits"]]


def test_create_is_an_error_on_an_existing_index_unless_overwrite(indexes, opensearch_url):
    from search import Article, NewsIndex
    from search.errors import NewsSearchError

    url = f"opensearch://{opensearch_url.removeprefix('http://')}/engine-created"
    with NewsIndex.create(url, overwrite=True) as ix:
        report = ix.add([Article(id="a1", title="Hello", body="World news"),
                         Article(id="a2", title="", body="")])
        assert report.added == 1 and len(report.failed) == 1 and len(ix) == 1
        assert ix.get("a1").title == "Hello" and ix.get("nope") is None
    with pytest.raises(NewsSearchError, match="already exists"):
        NewsIndex.create(url)
    with NewsIndex.create(url, overwrite=True) as ix:
        assert len(ix) == 0
        ix._client.indices.delete(index="engine-created")


def test_index_paths_reports_progress(corpus, opensearch_url, opensearch_client):
    from search import NewsIndex

    url = f"opensearch://{opensearch_url.removeprefix('http://')}/engine-progress"
    calls = []
    with NewsIndex.create(url, overwrite=True) as ix:
        report = ix.index_paths(corpus, progress=lambda *call: calls.append(call), jobs=1)
    opensearch_client.indices.delete(index="engine-progress")
    assert report.added == 9 and report.files == 6
    assert calls[-1] == (6, 6, 9)
