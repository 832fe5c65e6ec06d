"""Incremental, parallel ingest: the file ledger, prune, exact duplicates and
near-duplicate clusters, on real files and real indexes."""

from __future__ import annotations

import os
import shutil

import pytest

from search import NewsIndex
from search.ingest.neardup import signature, similarity

from .conftest import ARTICLES

# A story of our own, long enough to be clustered (≥ 40 words).
STORY = """Harbour cranes idle as dock strike enters third day

Container ships queued outside the port of Halvergate on Wednesday as a strike by dock workers entered its third day, with unions and the port authority still far apart on pay.

The union said its members had been offered a rise well below inflation and would stay out until a better offer was made. The port authority said the offer was fair and that talks could resume at any time.

Shipping agents said at least fourteen vessels were waiting at anchor, and that some lines had begun to divert cargo to other ports along the coast. Retailers warned of empty shelves if the dispute went on into next week.
"""


def edited(text: str) -> str:
    """The same wire story after light editing by a second outlet."""
    return (text.replace("on Wednesday", "on Wednesday morning")
                .replace("at least fourteen", "at least 14")
                .replace("Retailers warned", "Supermarkets warned"))


UNRELATED = """Library reopens after flood repairs

The town library reopened its doors on Saturday after eight months of repairs following the winter floods, which soaked thousands of books and ruined the ground floor.

Volunteers spent weeks drying and sorting the collection, and the council paid for new shelving, a lift and a children's reading room. Staff said borrowing had already returned to the level it was before the floods, and that a local history exhibition would open next month with photographs donated by residents.
"""


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "news"
    shutil.copytree(ARTICLES, target)
    return target


def test_second_run_reads_no_file(tmp_path, folder):
    with NewsIndex.create(tmp_path / "ix") as ix:
        first = ix.index_paths([folder])
        second = ix.index_paths([folder])
    assert (first.files, first.added) == (4, 4)
    assert (second.files, second.files_unchanged, second.unchanged, second.added) == (0, 4, 4, 0)


def test_touched_but_unchanged_file_is_not_parsed_again(tmp_path, folder):
    target = folder / "missile-purchase.txt"
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([folder])
        stat = target.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        touched = ix.index_paths([folder])
        again = ix.index_paths([folder])  # the ledger learnt the new mtime
    assert (touched.files, touched.files_unchanged, touched.updated) == (0, 4, 0)
    assert again.files_unchanged == 4


def test_changed_file_is_updated(tmp_path, folder):
    target = folder / "missile-purchase.txt"
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([folder])
        target.write_text(target.read_text("utf-8") + "\nA late paragraph about Incirlik.\n",
                          "utf-8")
        report = ix.index_paths([folder])
        assert (report.files, report.updated, report.files_unchanged) == (1, 1, 3)
        assert ix.search("Incirlik").total == 1


def test_prune_removes_articles_of_deleted_files_only_when_asked(tmp_path, folder):
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([folder])
        (folder / "economy" / "lira-slides.txt").unlink()
        kept = ix.index_paths([folder])
        assert kept.removed == 0 and len(ix) == 4
        pruned = ix.index_paths([folder], prune=True)
        assert pruned.removed == 1 and len(ix) == 3
        assert ix.get("economy/lira-slides.txt") is None
        assert ix.index_paths([folder], prune=True).removed == 0  # ledger forgot it


def test_exact_duplicates_are_indexed_once(tmp_path):
    folder = tmp_path / "news"
    write(folder, "a.txt", STORY)
    # Same words, different spacing and punctuation: the same story.
    write(folder, "b.txt", STORY.replace("  ", " ").replace(", with", " with"))
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.index_paths([folder])
        assert len(ix) == 1 and report.added == 1
        assert report.duplicates == [(str(folder / "b.txt"), "b.txt", "a.txt")]
        # A later run on another folder still recognises it.
        other = tmp_path / "other"
        write(other, "c.txt", STORY)
        later = ix.index_paths([other])
        assert later.added == 0 and [d[2] for d in later.duplicates] == ["a.txt"]


def test_signature_similarity_separates_edits_from_other_stories():
    base = signature(STORY)
    assert similarity(base, signature(edited(STORY))) >= 0.7
    assert similarity(base, signature(UNRELATED)) < 0.2
    assert signature("Too short to judge.") is None


def reference_signature(text: str) -> bytes | None:
    """MinHash as first written, one body at a time over the de-duplicated
    shingle set: the ledger keeps band keys of such signatures, so the
    batched computation must give the very same bytes."""
    import zlib

    import numpy as np

    from search.ingest import neardup

    words = neardup._WORD.findall(text[:neardup.SCAN_CHARS].casefold())
    if len(words) < neardup.MIN_WORDS:
        return None
    _np, a, b, mix = neardup._hashing()
    ids = np.array([zlib.crc32(w.encode()) for w in words], dtype=np.uint64)
    with np.errstate(over="ignore"):
        shingles = np.unique((ids[:-2] * mix[0] + ids[1:-1] * mix[1] + ids[2:]) >> np.uint64(32))
        hashed = (np.outer(shingles, a) + b) >> np.uint64(32)
    return (hashed.min(axis=0) & np.uint64(0xFFFF)).astype(np.uint16).tobytes()


def test_batched_signatures_are_those_of_one_body_at_a_time():
    from search.ingest.neardup import BATCH_SHINGLES, signatures

    stories = [STORY, edited(STORY), UNRELATED, "Too short to judge.", ""]
    # Enough long bodies to fill several batches, and repeated shingles.
    stories += [f"{STORY} {' '.join(['again and again'] * i)}" for i in range(20)]
    stories += [" ".join(f"word{i}x{j}" for j in range(60)) for i in range(20)]
    assert sum(len(s.split()) for s in stories) > 3 * BATCH_SHINGLES
    found = signatures(stories)
    assert found == [reference_signature(s) for s in stories]
    assert found[3] is None and found[4] is None
    assert len(set(found[25:])) == 20  # different words, different signatures


def test_near_duplicates_share_a_cluster_and_collapse(tmp_path):
    folder = tmp_path / "news"
    write(folder, "wire.txt", STORY)
    write(folder, "reprint.txt", edited(STORY))
    write(folder, "library.txt", UNRELATED)
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([folder])
        wire, reprint, library = (ix.get(i) for i in ("wire.txt", "reprint.txt", "library.txt"))
        assert reprint.cluster == wire.cluster
        assert library.cluster not in (wire.cluster, None)
        plain = ix.search("strike OR library")
        collapsed = ix.search("strike OR library", collapse=True)
    assert plain.total == 3 and collapsed.total == 2
    strike = [h for h in collapsed.hits if h.cluster == wire.cluster]
    assert len(strike) == 1 and strike[0].similar == 1
    assert [h.similar for h in collapsed.hits if h.id == "library.txt"] == [0]


def test_near_duplicate_found_across_runs(tmp_path):
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([write(tmp_path / "day1", "wire.txt", STORY)])
        ix.index_paths([write(tmp_path / "day2", "copy.txt", edited(STORY))])
        assert ix.get("copy.txt").cluster == ix.get("wire.txt").cluster == "wire.txt"


def test_parallel_parsing_gives_the_same_index(tmp_path):
    folder = tmp_path / "many"
    for i in range(40):
        write(folder, f"s{i:02d}.txt", f"Story number {i}\n\n{UNRELATED.split(chr(10), 2)[2]} "
                                       f"Extra detail {i} about shelf {i * 7}.\n")
    write(folder, "junk.txt", "")  # a bad file in the batch
    results = {}
    for jobs in (1, 2):
        with NewsIndex.create(tmp_path / f"ix{jobs}") as ix:
            report = ix.index_paths([folder], jobs=jobs)
            results[jobs] = sorted((a.id, a.content_hash, a.cluster) for a in ix.articles())
            assert [p for p, _ in report.failed] == [str(folder / "junk.txt")]
            assert report.formats == {"text": 40}
    assert results[1] == results[2] and len(results[1]) == 40


def test_newssearch_jobs_sets_the_default_number_of_processes(tmp_path, monkeypatch, cli):
    """$NEWSSEARCH_JOBS is the default of `jobs` (--jobs and jobs= win);
    a value that is no count of processes is a one-line error, exit 2."""
    from search.engine.workers import JOBS_ENV, default_jobs
    from search.errors import NewsSearchError

    monkeypatch.delenv(JOBS_ENV, raising=False)
    assert default_jobs() == (os.cpu_count() or 1) and default_jobs(3) == 3
    monkeypatch.setenv(JOBS_ENV, " 5 ")
    assert default_jobs() == 5 and default_jobs(2) == 2
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv(JOBS_ENV, bad)
        with pytest.raises(NewsSearchError, match="whole number of processes"):
            default_jobs()
    write(tmp_path / "news", "wire.txt", STORY)
    result = cli("index", tmp_path / "news", "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("newssearch: error: NEWSSEARCH_JOBS must be a whole "
                                     "number of processes, 1 or more (got 'many')")
    assert cli("index", tmp_path / "news", "--index", tmp_path / "ix",
               "--jobs", "2").exit_code == 0


def test_rebuild_keeps_the_ledger_and_clusters(tmp_path):
    folder = tmp_path / "news"
    write(folder, "wire.txt", STORY)
    write(folder, "reprint.txt", edited(STORY))
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([folder])
        ix.rebuild()
        assert ix.get("reprint.txt").cluster == ix.get("wire.txt").cluster
        after = ix.index_paths([folder])
    assert (after.files, after.files_unchanged) == (0, 2)


def test_cli_map_validation_and_collapse_output(cli, tmp_path):
    folder = tmp_path / "news"
    write(folder, "wire.txt", STORY)
    write(folder, "reprint.txt", edited(STORY))
    index = tmp_path / "ix"
    bad = cli("index", folder, "--index", index, "--map", "nonsense")
    assert bad.exit_code == 2 and "FIELD=COLUMN" in bad.stderr
    unknown = cli("index", folder, "--index", index, "--map", "colour=c")
    assert unknown.exit_code == 2 and '"colour"' in unknown.stderr
    assert cli("index", folder, "--index", index, "--jobs", "2").exit_code == 0
    result = cli("query", "dock strike", "--index", index, "--collapse")
    assert result.exit_code == 0
    assert "1 result " in result.stdout and "+1 similar" in result.stdout


def test_collapse_with_a_filter_and_facets(tmp_path):
    # Whoosh 2.7.4 fails counting results when a filter and collapsing meet;
    # the searcher must work around it.
    from search import Article

    def art(id_, text, source):
        title, body = text.split("\n", 1)
        return Article(id=id_, title=title, body=body, source=source)

    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add([art("wire", STORY, "Wire"), art("reprint", edited(STORY), "Wire"),
                art("library", UNRELATED, "Wire"), art("other", UNRELATED + " More.", "Post")])
        res = ix.search("strike OR library", collapse=True, source="wire",
                        facets=["source"], limit=1, page=2)
    assert res.total == 2 and len(res.hits) == 1
    assert {c.value: c.count for c in res.facets["source"]} == {"Wire": 3, "Post": 1}


def test_collapse_under_a_filter_shows_one_hit_per_cluster(tmp_path):
    """Whoosh 2.7.4 collapsed nothing when a filter was given (its filter
    collector hands documents past the collapsing one): a filtered,
    collapsed search listed every near-duplicate."""
    from datetime import datetime, timezone

    from search import Article

    stories = [("wire", STORY), ("reprint", edited(STORY)), ("library", UNRELATED)]
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add([Article(id=i, title=text.split("\n", 1)[0], body=text.split("\n", 1)[1],
                        source="Wire", published=datetime(2020, 1, 2, tzinfo=timezone.utc))
                for i, text in stories])
        for options in ({"source": "wire"}, {"since": "2020"}, {"filters": {"source": "wire"}},
                        {"source": "wire", "sort": "newest"}, {}):
            res = ix.search("strike OR library", collapse=True, **options)
            assert res.total == 2 and len(res.hits) == 2, options
            assert len({h.cluster for h in res.hits}) == 2, options
            assert sorted(h.similar for h in res.hits) == [0, 1], options


def test_words_found_once_give_the_same_fingerprints_and_signatures():
    """The parse workers find a body's words once for both its exact
    fingerprint and its signature: the results must be those each makes on
    its own, and the fingerprint the one stored by earlier versions."""
    import hashlib
    import re

    from search.article import text_fingerprint
    from search.ingest.neardup import SCAN_CHARS, signatures, words

    def first_fingerprint(title: str, body: str) -> str:  # as first written
        joined = " ".join(re.findall(r"\w+", f"{title} {body}".casefold()))
        return hashlib.blake2b(joined.encode("utf-8"), digest_size=8).hexdigest()

    pairs = [("Harbour strike", STORY), ("", UNRELATED), ("ΣΊΣΥΦΟΣ Straße", "ǅemal ﬁnance İstanbul"),
             ("Title-only", ""), ("x", "word " * 50 + "tail" * (SCAN_CHARS // 4))]
    bodies = [body for _, body in pairs]
    found = [words(body) for body in bodies]
    for (title, body), body_words in zip(pairs, found):
        assert text_fingerprint(title, body, body_words) == first_fingerprint(title, body)
        assert text_fingerprint(title, body) == first_fingerprint(title, body)
    assert signatures(bodies, found) == signatures(bodies) == [
        reference_signature(body) for body in bodies]
    assert len(bodies[-1]) > SCAN_CHARS and signatures(bodies)[-1] is not None


def test_article_text_is_marked_and_normalised_and_ascii_kept_as_is():
    """Lone surrogates become U+FFFD in every text field and list item,
    text is NFC (ASCII, the common case, is taken as it is), and lists are
    the article's own copies."""
    from search import Article

    tags = ["plain", "bad\udc80tag", "Cafe\u0301"]
    article = Article(id="s1", title="Cafe\u0301 \ud800 report\r\n", body="Line one\r\nLine two\x00",
                      authors=["Ann\udfff"], tags=tags)
    assert article.title == "Café \ufffd report"
    assert article.body == "Line one\nLine two"
    assert article.authors == ["Ann\ufffd"]
    assert article.tags == ["plain", "bad\ufffdtag", "Cafe\u0301"]  # (values: not normalised)
    assert article.tags is not tags
    plain = Article(id="s2", title="Plain title", body="Plain body.")
    assert (plain.title, plain.body) == ("Plain title", "Plain body.")


def test_ledger_records_under_a_folder_are_read_a_page_at_a_time(tmp_path, monkeypatch):
    """Ledger.under pages through the records (a few at a time here) in
    path order, stays inside the folder (not /news-old beside /news), and
    is not thrown by records removed and committed while it is read."""
    from search.ingest import ledger as ledger_module
    from search.ingest.ledger import FileRecord, Ledger

    monkeypatch.setattr(ledger_module, "RECORDS_A_PAGE", 7)
    ledger = Ledger(tmp_path)
    paths = [f"/news/{n % 5}/{n:04}.txt" for n in range(103)] + ["/news"]
    for path in [*paths, "/news-old/0001.txt", "/new/0002.txt"]:
        ledger.put(FileRecord(path, 1, 2, "sha", "text", [path], ""))
    ledger.commit()
    read = []
    for record in ledger.under("/news"):
        read.append(record.path)
        ledger.remove(record.path)  # as prune forgets the files it finds gone
        ledger.commit()
    assert read == sorted(paths)
    assert [r.path for r in ledger.under("/")] == ["/new/0002.txt", "/news-old/0001.txt"]
    ledger.close()
