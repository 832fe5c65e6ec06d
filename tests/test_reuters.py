"""The Reuters-21578 SGML reader: unit tests on a small file written in the
corpus format for these tests, and integration tests on the real corpus in
../shared/corpora/reuters21578 (skipped when it is absent)."""

from __future__ import annotations

import html
import re
import time
from collections import Counter
from datetime import datetime, timezone

import pytest

from search import NewsIndex
from search.errors import ReadError
from search.ingest.readers import reuters
from search.ingest.readers.discover import discover

from .conftest import CORPORA, FIXTURES

MINI_DIR = FIXTURES / "structured" / "reuters"
MINI = MINI_DIR / "mini.sgm"
CORPUS = CORPORA / "reuters21578"


@pytest.fixture(scope="module")
def mini():
    problems: list[str] = []
    articles = reuters.read(MINI, MINI_DIR, problems=problems)
    assert problems == []
    return {a.id: a for a in articles}


# --- unit: the fixture file ----------------------------------------------------


def test_every_record_is_read_with_newid_as_id(mini):
    assert list(mini) == ["501", "502", "503", "504", "505"]
    assert all(a.source == "Reuters" and a.language == "en" for a in mini.values())
    assert all(a.path == str(MINI.resolve()) for a in mini.values())


def test_full_story(mini):
    story = mini["501"]
    assert story.title == "PRAIRIE WHEAT HARVEST SEEN <HIGHER> THIS YEAR"  # &lt; decoded
    assert story.body == (
        "WINNIPEG, Feb 26 - Wheat growers on the prairies expect a larger harvest this year "
        "after a wet spring, the <Prairie Grain Board> said.\n\n"
        "The board put the crop at 31 mln tonnes, up from 28 mln, and said exports to the "
        "U.S. & Asia would rise.")  # wrapped lines joined, indented line = new paragraph, no "Reuter"
    assert story.published == datetime(1987, 2, 26, 15, 1, 1, tzinfo=timezone.utc)
    assert story.topics == ["grain", "wheat"]
    assert story.places == ["canada", "usa"]
    assert story.people == ["jane-doe"]
    assert story.orgs == ["gatt"]
    assert story.exchanges == ["cbt"]
    assert story.tags == [] and story.section is None and story.url is None


def test_author_line_and_table_body(mini):
    story = mini["502"]
    assert story.authors == ["Sam Ortiz"]  # "By Sam Ortiz, Reuters"
    assert story.body == ("CHICAGO, March 2 - Shr 40 cts vs 31 cts\n\n"
                          "Net 1,200,000 vs 930,000\n\nRevs 12.5 mln vs 11.0 mln")  # "REUTER..." gone
    assert story.published == datetime(1987, 3, 2, 9, 15, 5, tzinfo=timezone.utc)  # leading space


def test_brief_story_keeps_its_headline_and_drops_the_placeholder(mini):
    brief = mini["503"]
    assert brief.title == "HARBOR BANK SAYS DEPOSITS ROSE 12 PCT IN FIRST QUARTER"
    assert brief.body == ""  # "******" and "Blah blah blah." are not text
    # trailing junk after the time ("&#5;&#5;&#5;V RM") is ignored
    assert brief.published == datetime(1987, 3, 27, 14, 1, 21, tzinfo=timezone.utc)


def test_unprocessed_story_takes_its_first_line_as_title(mini):
    raw = mini["504"]
    assert raw.title == "TOWN BANK WEEKLY RESERVES - MARCH 31"
    assert raw.body.startswith("Week ended March 30 daily avgs-mlns\n\nFree reserves")
    assert not raw.body.lower().endswith("reuter")
    # "605:12:19" is no time of day: the day is kept, the time is not invented
    assert raw.published == datetime(1987, 3, 31, tzinfo=timezone.utc)
    assert raw.topics == ["money-supply"]


def test_latin1_byte_and_missing_end_tag(mini):
    last = mini["505"]
    assert "Düsseldorf" in last.body
    assert last.body.endswith("its chairman told Reuters")  # the sign-off line only is cut
    assert last.places == ["west-germany"]


STORY_END = "The company said profits rose 12 pct in the year to March, the first rise since 1985."


@pytest.mark.parametrize("ending", [
    "\n Reuter",
    "\nREUTER\n Reuter",  # signed twice
    " Reuter",  # after the last sentence
    "\n REUTER" + " ^M" * 40,  # a sign-off longer than the window looked at first
    "\n Reuter" + "." * 70,
    " " * 70 + "Reuter",
    "\n" + " " * 70 + "Reuter ^M",
])
def test_sign_off_is_cut_however_long(ending):
    body = f"{STORY_END}{ending}"
    assert reuters.clean(body, signature=True) == STORY_END


@pytest.mark.parametrize("ending", [" told Reuters", " Reuters" + " ^M" * 40, " reuterz ^M"])
def test_text_that_only_looks_like_a_sign_off_stays(ending):
    body = f"{STORY_END}{ending}"
    assert reuters.clean(body, signature=True) == body


@pytest.mark.parametrize("raw, expected", [
    ("26-FEB-1987 15:01:01.79", datetime(1987, 2, 26, 15, 1, 1, tzinfo=timezone.utc)),
    (" 2-JUN-1987 08:00:00.00", datetime(1987, 6, 2, 8, tzinfo=timezone.utc)),
    ("3-MAR-1987  13:04:18.47", datetime(1987, 3, 3, 13, 4, 18, tzinfo=timezone.utc)),
    ("9-APR-1987 00:00:00.00    # date added by S Finch as guesswork ",
     datetime(1987, 4, 9, tzinfo=timezone.utc)),
    ("31-FOO-1987 10:00:00.00", None),
    ("31-FEB-1987 10:00:00.00", None),
    ("1-JAN-0000 10:00:00.00", None),
    ("", None),
])
def test_reuters_dates(raw, expected):
    assert reuters.reuters_date(raw) == expected


def test_files_that_are_not_reuters_sgml(tmp_path):
    empty = tmp_path / "empty.sgm"
    empty.write_bytes(b"")
    other = tmp_path / "other.sgm"
    other.write_text("<!DOCTYPE x>\n<P>some other SGML</P>\n")
    binary = tmp_path / "binary.sgm"
    binary.write_bytes(b"\x00\x01\x02<REUTERS NEWID=\"1\">")
    for path, reason in [(empty, "empty file"), (other, "no <REUTERS> records"), (binary, "binary")]:
        with pytest.raises(ReadError, match=reason):
            reuters.read(path, tmp_path)


def test_record_without_newid_gets_a_file_id(tmp_path):
    path = tmp_path / "x.sgm"
    path.write_text('<REUTERS><TEXT><TITLE>NO ID</TITLE><BODY>Text.\n Reuter\n&#3;</BODY></TEXT></REUTERS>\n'
                    '<REUTERS NEWID="7"></REUTERS>\n')
    first, second = reuters.read(path, tmp_path)
    assert (first.id, first.title, first.body) == ("x.sgm#1", "NO ID", "Text.")
    assert (second.id, second.title, second.body) == ("7", "", "")  # kept: a NEWID is a story id


# --- integration: the real corpus ------------------------------------------------


@pytest.fixture(scope="module")
def corpus_files():
    files = sorted(CORPUS.glob("reut2-*.sgm"))
    if len(files) != 22:
        pytest.skip("../shared/corpora/reuters21578 not available")
    return files


@pytest.fixture(scope="module")
def corpus(corpus_files):
    started = time.perf_counter()
    problems: list[str] = []
    articles = [a for path in corpus_files for a in reuters.read(path, CORPUS, problems=problems)]
    return articles, problems, time.perf_counter() - started


def test_corpus_gives_21578_articles_with_unique_ids(corpus):
    articles, problems, seconds = corpus
    assert problems == []
    assert len(articles) == 21578
    assert {a.id for a in articles} == {str(n) for n in range(1, 21579)}
    assert seconds < 20, f"parsing the corpus took {seconds:.1f} s"


def test_corpus_dates_parsed_and_in_1987(corpus):
    articles = corpus[0]
    dated = [a.published for a in articles if a.published is not None]
    assert len(dated) >= 21570
    assert all(d.year == 1987 and d.tzinfo is not None for d in dated)


def test_corpus_topics_and_places(corpus):
    articles = corpus[0]
    topics = Counter(t for a in articles for t in a.topics)
    places = Counter(p for a in articles for p in a.places)
    assert topics["earn"] == 3987 and topics["acq"] == 2448 and topics["money-fx"] == 801
    assert len(topics) == 120 and len(places) == 147
    assert places.most_common(1) == [("usa", 12541)]  # stories naming the US (one names it twice)
    assert sum(bool(a.topics) for a in articles) == 11367


def test_corpus_text_is_clean(corpus):
    articles = corpus[0]
    control = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    for a in articles:
        assert not control.search(a.title + a.body), a.id
        assert "&#" not in a.body and "&lt;" not in a.body and "&amp;" not in a.body, a.id
        assert not re.search(r"(\breuter|\n\s*reuters)\W*$", a.body, re.IGNORECASE), a.id
    assert sum(bool(a.title) for a in articles) >= 21577  # all but one empty UNPROC record
    assert sum(bool(a.body) for a in articles) >= 19043  # every <BODY>, plus UNPROC text
    assert any("ü" in a.body for a in articles)  # the one raw 0xFC byte, read as Latin-1


def test_first_story_field_by_field(corpus_files):
    raw = corpus_files[0].read_text(encoding="latin-1")
    record = raw[raw.index("<REUTERS "): raw.index("</REUTERS>")]

    def between(start: str, end: str) -> str:
        return record[record.index(start) + len(start): record.index(end)]

    [first, *_] = reuters.read(corpus_files[0], CORPUS)
    assert first.id == re.search(r'NEWID="(\d+)"', record).group(1) == "1"
    assert first.title == between("<TITLE>", "</TITLE>")
    date = between("<DATE>", "</DATE>")  # "DD-MON-YYYY HH:MM:SS.cc"
    assert first.published == datetime.strptime(date[:20], "%d-%b-%Y %H:%M:%S").replace(
        tzinfo=timezone.utc)
    for name, tag in [("topics", "TOPICS"), ("places", "PLACES"), ("people", "PEOPLE"),
                      ("orgs", "ORGS"), ("exchanges", "EXCHANGES")]:
        assert getattr(first, name) == re.findall(r"<D>(.*?)</D>", between(f"<{tag}>", f"</{tag}>"))
    assert first.topics == ["cocoa"]
    dateline = " ".join(between("<DATELINE>", "</DATELINE>").split())
    body = html.unescape(between("<BODY>", "</BODY>")).replace("\x03", "")
    words = body.split()
    assert words[-1] == "Reuter"  # the sign-off the reader removes
    assert first.body.split() == dateline.split() + words[:-1]
    paragraphs = first.body.split("\n\n")
    assert len(paragraphs) == 1 + len(re.findall(r"\n {2,}\S", body))  # indented lines start paragraphs
    assert first.source == "Reuters" and first.authors == [] and first.url is None


def test_discover_reads_sgm_files(corpus_files):
    candidates = [c for c in discover([CORPUS]) if c.path.suffix == ".sgm"]
    assert len(candidates) == 22
    assert all(c.reader is reuters.read for c in candidates)


def test_index_one_file_and_facet_on_topics(corpus_files, tmp_path):
    path = corpus_files[0]
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.index_paths([path])
        assert not report.failed
        # exact duplicates (same headline and text, e.g. repeated briefs) are indexed once
        assert report.added + len(report.duplicates) == 1000
        assert report.added > 950
        results = ix.search("cocoa", facets=["topics", "places"])
        assert results.total >= 2
        assert results.hits[0].id == "1"
        topics = {c.value: c.count for c in results.facets["topics"]}
        assert topics["cocoa"] >= 2
        earn = ix.search("", facets=["topics"], limit=1)
        counts = {c.value: c.count for c in earn.facets["topics"]}
        assert counts["earn"] > 100 and counts["acq"] > 50
        assert counts["earn"] == ix.search("topics:earn").total
        story = ix.get("1")
        assert story.topics == ["cocoa"] and story.places == ["el-salvador", "usa", "uruguay"]
        assert story.published == datetime(1987, 2, 26, 15, 1, 1, tzinfo=timezone.utc)


def test_acronyms_and_recency_on_one_file(corpus_files, tmp_path):
    """Issue 16: Reuters writes U.S. (BBC: US); and --sort recent decays
    each score by exactly 0.5^(age in days / half-life)."""
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.index_paths([corpus_files[0]])
        us = ix.search("U.S.", limit=0).total
        assert us > 100
        assert ix.search("US", limit=0).total == ix.search("u.s.", limit=0).total == us
        assert ix.search('"U.S. Agriculture Department"', limit=0).total == \
            ix.search('"US Agriculture Department"', limit=0).total > 0
        plain = {h.id: h.score for h in ix.search("OPEC oil", limit=1000, snippets=0).hits}
        newest = ix.stats().latest
        for hit in ix.search("OPEC oil", sort="recent", limit=20, snippets=0).hits:
            published = hit.published.astimezone(timezone.utc).replace(tzinfo=None)
            age = (newest - published).total_seconds() / 86_400
            assert hit.score == pytest.approx(plain[hit.id] * 0.5 ** (age / 30), rel=1e-4)
