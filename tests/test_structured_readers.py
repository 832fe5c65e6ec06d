"""The structured readers (JSON/JSON Lines, CSV/TSV, RSS/Atom) and the
encoding detection they share, on fixture files written for these tests
(tests/fixtures/structured/)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from search import NewsIndex
from search.errors import ReadError
from search.ingest.readers import ReadOptions, csvfile, feeds, fields, jsonl
from search.ingest.readers.discover import READERS, discover
from search.ingest.readers.encoding import decode

from .conftest import FIXTURES

STRUCTURED = FIXTURES / "structured"
BAD = STRUCTURED / "bad"


def read(name: str, options: ReadOptions | None = None, problems: list | None = None):
    path = STRUCTURED / name
    return READERS[path.suffix](path, STRUCTURED, options, problems=problems)


def by_id(articles):
    return {a.id: a for a in articles}


# --- encoding ----------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_decode_honours_byte_order_marks(codec):
    text = "Grüße – “quoted”\r\nline two"
    data = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + text).encode(codec)
    assert decode(data, "x") == "Grüße – “quoted”\nline two"


def test_decode_reads_cp1252_and_does_not_let_a_pound_sign_become_japanese():
    # charset-normalizer guesses cp932 for English text with one 0xA3 byte.
    data = "Tickets cost £40 at the café – “cheap”, fans said.\r\n".encode("cp1252")
    assert decode(data, "x") == "Tickets cost £40 at the café – “cheap”, fans said.\n"


@pytest.mark.parametrize("codec", ["cp1251", "koi8-r"])
def test_decode_asks_charset_normalizer_for_non_western_text(codec):
    text = "Президент заявил в среду, что переговоры о прекращении огня продолжатся на следующей неделе."
    assert decode(text.encode(codec), "x") == text


def test_decode_uses_a_declared_charset_when_utf8_fails():
    text = "Zażółć gęślą jaźń"
    assert decode(text.encode("iso-8859-2"), "x", declared="iso-8859-2") == text


def test_decode_normalises_to_nfc_and_unix_newlines():
    assert decode("Cafe\u0301\rnext".encode("utf-8"), "x") == "Café\nnext"


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    bytes(range(1, 32)) * 40,
    b"plain text\x00\x00\x00 with NULs",
])
def test_decode_refuses_binary(data):
    with pytest.raises(ReadError, match="binary"):
        decode(data, "x")


# --- JSON: the three shapes ---------------------------------------------------


def test_json_object_with_articles_list_maps_newsapi_fields():
    articles = read("newsapi.json")
    assert len(articles) == 3
    port = articles[0]
    assert port.id == "https://harbourtimes.example/2021/03/02/port-reopens"  # the URL: no id field
    assert port.title == "Port of Eastvale reopens after storm"
    assert port.source == "Harbour Times"  # {"source": {"id": …, "name": …}}
    assert port.authors == ["Jane Doe", "John Roe"]
    assert port.published == datetime(2021, 3, 2, 8, 15, tzinfo=timezone.utc)
    assert port.url == "https://harbourtimes.example/2021/03/02/port-reopens"
    # content (the longer text) beats description; NewsAPI's "[+1843 chars]" is cut off
    assert port.body.startswith("The port of Eastvale reopened on Tuesday")
    assert "chars]" not in port.body
    assert port.path == str((STRUCTURED / "newsapi.json").resolve())


def test_description_is_the_body_only_when_nothing_better_is_there():
    bridge, frost = read("newsapi.json")[1:]
    assert bridge.body == "A short teaser about the bridge."  # content is null
    assert bridge.title == "Council approves & funds new bridge"  # entity decoded
    assert bridge.authors == ["Doe, Jane"]  # one person, not two
    assert bridge.published == datetime(2021, 3, 1, 17, 0, tzinfo=timezone(timedelta(hours=1)))
    # HTML in a body field becomes paragraphs, entities decoded
    assert frost.body == "Frost is expected overnight.\n\nGardeners should cover young plants & seedlings."
    assert frost.published is None  # "not a date"


def test_json_array_maps_case_insensitive_columns_and_skips_non_objects():
    problems: list[str] = []
    articles = read("array.json", problems=problems)
    assert [a.title for a in articles] == [
        "Library extends opening hours", "Tram line delayed again", "Museum receives rare map"]
    library, tram, museum = articles
    assert library.id == "101"  # a numeric id, stringified
    assert library.section == "Local"  # first of a list
    assert library.tags == ["libraries", "city council", "budget"]
    assert library.authors == ["Amira Haddad"]  # "By " dropped
    assert library.language == "en"
    assert library.published == datetime(2020, 3, 3, tzinfo=timezone.utc)
    assert tram.authors == ["Lee Park", "Sam Ortiz"]
    assert tram.tags == ["trams", "transport"]
    assert museum.published is None  # "32/13/2020"
    assert museum.id == "array.json#4"  # no id, no URL: file id + item number
    assert problems == ["item 3: not an object (str)"]


def test_single_json_object_is_one_article():
    [article] = read("single.json")
    assert article.id == "single.json#1"
    assert (article.title, article.source, article.section, article.tags, article.language) == (
        "Single story file", "Example Wire", "Science", ["space"], "en")
    assert article.published == datetime(2019, 11, 5, 14, 30, tzinfo=timezone.utc)


def test_nested_container_and_name_keys():
    budget, snow = read("nested.json")  # {"response": {"docs": [...]}}
    assert budget.id == "nyt://article/0001"
    assert budget.title == "Budget talks stall"  # {"headline": {"main": …}}
    assert budget.authors == ["Maria Lopez", "Tom Becker"]  # {"byline": {"original": "By …"}}
    assert budget.tags == ["Budgets", "Capital City"]  # name/value pairs give the value
    assert budget.section == "Politics"
    assert budget.url == "https://paper.example/2020/01/10/budget.html"
    assert budget.published == datetime(2020, 1, 10, 5, tzinfo=timezone.utc)
    assert budget.body == "Talks on the budget stalled on Thursday."  # the longer summary
    assert snow.id == "5e1a0000aa"  # {"_id": {"$oid": …}}
    assert snow.published == datetime(2020, 1, 10, 10, tzinfo=timezone.utc)  # epoch seconds


def test_body_objects_give_their_text_not_their_name(tmp_path):
    path = tmp_path / "wp.json"
    path.write_text('[{"id": 9, "title": {"rendered": "Hello &#8211; world"},'
                    ' "content": {"rendered": "<p>One</p><p>Two</p>", "protected": false},'
                    ' "excerpt": {"rendered": "<p>One</p>"}, "link": "https://blog.example/?p=9"},'
                    ' {"headline": "Blocks", "body": [{"type": "p", "text": "Para 1"},'
                    ' {"type": "img", "name": "picture.jpg"}, {"type": "p", "text": "Para 2"}]}]')
    wordpress, blocks = jsonl.read(path, tmp_path)
    assert (wordpress.id, wordpress.title, wordpress.body) == ("9", "Hello – world", "One\n\nTwo")
    assert blocks.body == "Para 1\n\nPara 2"


# --- JSON Lines: bad records are skipped, the rest kept -------------------------


@pytest.fixture(scope="module")
def wire():
    problems: list[str] = []
    return read("wire.jsonl", problems=problems), problems


def test_jsonl_skips_bad_lines_and_keeps_the_others(wire):
    articles, problems = wire
    assert [a.title for a in articles] == [
        "First wire story", "2022", "", "Same id again", "No id, no url", "Last line has no newline"]
    assert problems[0].startswith("line 3: invalid JSON (")
    assert problems[1:] == ["line 5: not a JSON object (array)", "line 6: no title or body"]


def test_jsonl_wrong_types_are_handled_sanely(wire):
    articles = by_id(wire[0])
    numbered = articles["w-3"]
    assert numbered.title == "2022"  # a number as title is written out
    assert numbered.tags == []  # tags as an unnamed dict: nothing usable
    assert numbered.authors == ["Ana Silva", "Ben Okafor"]  # strings and {"name": …}


def test_jsonl_missing_title_bad_dates_and_epoch(wire):
    articles, _ = wire
    untitled = articles[2]
    assert untitled.id == "w-5" and untitled.title == "" and untitled.body
    assert untitled.published is None  # "0000-00-00"
    assert articles[3].published is None  # year 99999
    assert articles[4].published == datetime(2022, 5, 1, 10, tzinfo=timezone.utc)  # epoch
    assert articles[0].published == datetime(2022, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert articles[0].tags == ["economy", "trade"]


def test_jsonl_duplicate_ids_are_both_returned(wire):
    articles, _ = wire
    assert [a.id for a in articles].count("w-1") == 2


def test_jsonl_ids_fall_back_to_record_numbers_counting_non_blank_lines(wire):
    articles, _ = wire
    assert articles[4].id == "wire.jsonl#8"  # 8th non-blank line (line 9 of the file)
    assert articles[5].id == "wire.jsonl#9"


def test_utf16_json_lines_with_bom():
    first, second = read("utf16.jsonl")
    assert first.title == "Ünïcode in UTF-16"
    assert first.body == "Grüße aus Köln – “quoted”."
    assert second.title == "Second UTF-16 line"


def test_field_map_overrides_and_dotted_paths():
    options = ReadOptions(field_map={
        "title": "headline_text", "body": "story_text", "source": "meta.outlet",
        "published": "meta.when", "people": "meta.people", "tag": "kw"})
    problems: list[str] = []
    [first] = read("custom.ndjson", options, problems)
    assert first.title == "Mapped headline"
    assert first.body == "Mapped body text from a custom column."  # not the "text" caption
    assert first.source == "Custom Outlet"
    assert first.published == datetime(2021, 7, 4, 12, tzinfo=timezone.utc)
    assert first.people == ["Kim Lee"]
    assert first.tags == ["alpha", "beta"]
    # A mapped column is the only source for its field: an empty one is not
    # replaced by another column, and a JSON record left with a title alone
    # is not an article.
    assert problems == ["line 2: a title alone, no body or text: not an article"]
    # A dict at the end of a path gives its name.
    options = ReadOptions(field_map={"body": "text", "source": "meta.outlet"})
    assert read("custom.ndjson", options)[1].source == "Nested Outlet"


def test_without_a_field_map_custom_columns_fall_back_to_known_names():
    first, _ = read("custom.ndjson")
    assert first.title == ""
    assert first.body == "Mapped body text from a custom column."  # "story_text" is a known body name
    assert first.source is None


def test_truncated_json_array_keeps_the_complete_items():
    problems: list[str] = []
    [article] = jsonl.read(BAD / "truncated.json", BAD, problems=problems)
    assert article.title == "Kept before the cut"
    assert problems and problems[0].startswith("item 2: invalid JSON, rest of file ignored")


def test_invalid_json_lines_inside_a_large_file(tmp_path):
    lines = [f'{{"id": "r{i}", "title": "Story {i}", "text": "Body {i}."}}' for i in range(200)]
    lines[50] = '{"id": "r50", "title": "cut'
    lines[120] = "\x1b[31mnot json\x1b[0m"
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    problems: list[str] = []
    articles = jsonl.read(path, tmp_path, problems=problems)
    assert len(articles) == 198
    assert [p.split(":")[0] for p in problems] == ["line 51", "line 121"]


def test_deeply_nested_json_is_a_read_error_or_a_skipped_record(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ReadError):
        jsonl.read(deep, tmp_path)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"title": "ok", "text": "fine"}\n' + "[" * 100000 + "]" * 100000 + "\n")
    problems: list[str] = []
    assert len(jsonl.read(mixed, tmp_path, problems=problems)) == 1
    assert problems == ["line 2: invalid JSON (nested too deeply)"]


# --- CSV / TSV -------------------------------------------------------------------


def test_csv_with_bom_crlf_quoted_newlines_and_duplicate_ids():
    problems: list[str] = []
    articles = read("articles.csv", problems=problems)
    assert [a.id for a in articles] == ["1", "2", "4", "1"]  # both rows with id 1 come back
    cranes = articles[0]
    assert cranes.title == 'Harbour "smart" cranes arrive'
    assert cranes.body == "The first cranes arrived on Monday.\n\nA second batch, of four, follows in May."
    assert cranes.authors == ["Doe, Jane"]
    assert cranes.tags == ["ports", "automation"]
    assert cranes.section == "Business" and cranes.source == "Port Gazette"
    assert cranes.url == "https://port.example/cranes"
    assert cranes.published == datetime(2023, 4, 3, 9, tzinfo=timezone.utc)
    strike = articles[1]
    assert strike.authors == ["Sam Ortiz", "Lee Park"]
    assert strike.url is None and strike.tags == []
    assert articles[2].title == "" and articles[2].published is None  # "not a date"
    assert problems == ["row 3 (line 6): no title or body"]  # the all-empty row is just skipped


def test_tsv_with_other_column_names():
    wind, quote = read("articles.tsv")
    assert wind.id == "https://energy.example/wind"
    assert wind.title == "Wind farm approved"
    assert wind.body == "The offshore wind farm, the largest yet, was approved."
    assert wind.authors == ["Ravi Kumar"] and wind.section == "Energy"
    assert quote.title == 'Quote "marks" kept' and quote.body == 'He said "no" twice.'
    assert quote.published == datetime(2022, 12, 1, 8, tzinfo=timezone(timedelta(hours=-5)))
    assert quote.id == "articles.tsv#2"


def test_utf16_be_tsv():
    [row] = read("utf16be.tsv")
    assert (row.title, row.body) == ("UTF-16 BE row", "Big-endian text.")


def test_csv_delimiter_is_sniffed():
    [article] = read("semicolon.csv")
    assert article.title == "Preise steigen"
    assert article.body == "Die Preise stiegen im März um 2,1 Prozent."
    assert article.published == datetime(2023, 3, 31, tzinfo=timezone.utc)


def test_cp1252_csv():
    cafe, naive = read("cp1252.csv")
    assert cafe.title == "Café prices rise"
    assert cafe.body == "“Coffee now costs £3.50 – up 10%,” the owner said."
    assert naive.title == "Naïve résumé" and naive.body == "Déjà vu for the jury."


def test_csv_field_larger_than_the_default_limit(tmp_path):
    body = "word " * 60000  # 300 KB, over csv's 128 KB default
    path = tmp_path / "huge.csv"
    path.write_text(f'title,body\nHuge body,"{body.strip()}"\nSmall,after it\n', encoding="utf-8")
    huge, small = csvfile.read(path, tmp_path)
    assert len(huge.body) == len(body.strip())
    assert small.body == "after it"


def test_csv_with_field_map(tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("hl,story text,outlet\nMapped,Body here,Gazette\n", encoding="utf-8")
    options = ReadOptions(field_map={"title": "hl", "body": "Story_Text", "source": "outlet"})
    [article] = csvfile.read(path, tmp_path, options)
    assert (article.title, article.body, article.source) == ("Mapped", "Body here", "Gazette")


# --- RSS and Atom --------------------------------------------------------------------


@pytest.fixture(scope="module")
def rss():
    problems: list[str] = []
    return read("feed.rss", problems=problems), problems


def test_rss_item_fields(rss):
    articles, problems = rss
    barrier = articles[0]
    assert barrier.id == "riverside-2024-0113"  # the guid
    assert barrier.title == "Flood barrier passes its first test"
    assert barrier.url == "https://riverside.example/news/flood-barrier"
    assert barrier.source == "Riverside Gazette"  # the feed's title
    assert barrier.language == "en"  # en-gb: the BCP 47 primary subtag
    assert barrier.authors == ["Priya Nair"]  # dc:creator
    assert barrier.tags == ["Environment", "Floods"]
    assert barrier.published == datetime(2024, 1, 13, 9, 30, tzinfo=timezone.utc)
    assert problems == ["item 4: no title or text"]


def test_rss_html_is_cleaned_to_paragraphs(rss):
    barrier, market = rss[0][:2]
    # content:encoded (the longer text) is the body; no tags, scripts or styles
    assert barrier.body == (
        "The new barrier held back the river on Friday night, when the water rose two metres.\n\n"
        "Engineers said it worked as designed & no homes flooded.\nResidents were relieved.\n\n"
        "The barrier at dawn.")
    for text in (barrier.body, market.body, market.title):
        assert "<" not in text and "&amp;" not in text and "color:red" not in text
    assert market.title == "Market hall: traders & shoppers return"
    assert market.body == ("The market hall reopened after repairs.\n\n"
                           "Stallholders welcomed the crowds & the sunshine.")


def test_rss_author_address_link_id_and_zone_names(rss):
    market, undated = rss[0][1:]
    assert market.authors == ["Tom Becker"]  # "editor@… (Tom Becker)"
    assert market.id == "https://riverside.example/news/market-hall"  # no guid: the link
    # "EST" is understood (dateutil alone would drop it and be 5 hours out)
    assert market.published == datetime(2024, 1, 12, 22, 45, tzinfo=timezone.utc)
    assert undated.published is None and undated.url is None
    assert undated.id == "feed.rss#3"
    assert undated.body == "Plain text description with no markup."


def test_atom_entries():
    bridge, second = read("feed.atom")
    assert bridge.id == "urn:example:collines:42"
    assert bridge.title == "Le pont rouvert à la circulation"  # type="html" title cleaned
    assert bridge.url == "https://collines.example/pont"
    assert bridge.authors == ["Claire Dubois", "Marc Petit"]
    assert bridge.tags == ["Transport", "travaux"]  # label, else term
    assert bridge.language == "fr"
    assert bridge.source == "Le Journal des Collines"
    assert bridge.published == datetime(2024, 2, 1, 8, tzinfo=timezone(timedelta(hours=1)))
    assert bridge.body == ("Le pont a rouvert jeudi matin après six mois de travaux.\n\n"
                           "Les cyclistes & piétons l'empruntent déjà.")
    # no <published>: the updated date; no link: no URL (an urn is not one);
    # no author: the feed's; xhtml content as paragraphs
    assert second.published == datetime(2024, 2, 2, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert second.url is None
    assert second.authors == ["Rédaction Collines"]
    assert second.body == "Premier paragraphe.\n\nSecond paragraphe."


def test_feed_with_no_items_is_empty_not_an_error():
    assert read("empty-feed.rss") == []


def test_feeds_are_never_fetched_or_taken_for_file_names(tmp_path):
    # feedparser treats a bytes *string* as a file name first; the reader
    # hands it a stream, so a file whose content is a path is not followed.
    target = tmp_path / "secret.rss"
    target.write_text('<rss version="2.0"><channel><title>Secret</title><item>'
                      '<title>leak</title></item></channel></rss>')
    pointer = tmp_path / "pointer.rss"
    pointer.write_bytes(str(target).encode())
    with pytest.raises(ReadError, match="not an RSS or Atom feed"):
        feeds.read(pointer, tmp_path)
    remote = tmp_path / "remote.rss"
    remote.write_text("https://example.com/feed.xml")
    with pytest.raises(ReadError):
        feeds.read(remote, tmp_path)


# --- bad files: ReadError and nothing else --------------------------------------------


@pytest.mark.parametrize("name, reason", [
    ("empty.csv", "empty file"),
    ("blank.jsonl", "empty file"),
    ("image.json", "binary"),
    ("noise.csv", "binary"),
    ("binary.rss", "binary"),
    ("prose.jsonl", "not JSON or JSON Lines"),
    ("scalar.json", "JSON int, not articles"),
    ("settings.json", "JSON object with no articles"),
    ("no-known-columns.csv", "no known columns in the header row"),
    ("no-usable-rows.csv", "no usable rows (row 1 (line 2): no title or body; 1 more)"),
    ("sitemap.xml", "not an RSS or Atom feed"),
    ("truncated.rss", "not well-formed"),
    ("no-records.sgm", "no <REUTERS> records"),
])
def test_bad_files_raise_read_error_with_a_reason(name, reason):
    path = BAD / name
    with pytest.raises(ReadError) as caught:
        READERS[path.suffix](path, BAD, None)
    assert reason in str(caught.value)
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize("reader", [jsonl.read, csvfile.read, feeds.read])
def test_missing_file_is_a_read_error(reader, tmp_path):
    with pytest.raises(ReadError, match="cannot read"):
        reader(tmp_path / "gone.json", tmp_path)


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".csv", ".tsv", ".rss", ".atom", ".xml", ".sgm"])
@pytest.mark.parametrize("junk", [
    b"\xff\xfe\x00",  # a UTF-16 BOM and half a character
    b'{"title": ["nested", {"deeper": [1, 2, {"x": null}]}], "text": 5e999}',
    b'"a","b\n"c,"d"""\n\r\n,,,\n\x1a',
    b'<rss><channel><item><title>&bogus; &#99999999;</title></item>',
    b"<REUTERS NEWID=\"1\"><DATE>99-XYZ-99999 99:99:99</DATE><TEXT>&#0;&#xD800;",
    "é".encode("utf-8") * 5 + b"\x80\x81",
])
def test_junk_never_raises_anything_but_read_error(suffix, junk, tmp_path):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(junk)
    try:
        articles = READERS[suffix](path, tmp_path, None, problems=[])
    except ReadError:
        return
    assert isinstance(articles, list)


# --- the shared field helpers -------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("By Jane Doe, John Roe", ["Jane Doe", "John Roe"]),
    ("Doe, Jane", ["Doe, Jane"]),
    ("John Smith, Jr.", ["John Smith, Jr."]),
    ("Ana Silva; Ben Okafor & Kim Lee", ["Ana Silva", "Ben Okafor", "Kim Lee"]),
    (["Ana Silva", {"name": "Ben Okafor"}, None, 7], ["Ana Silva", "Ben Okafor", "7"]),
    ('["Ana Silva", "Ben Okafor"]', ["Ana Silva", "Ben Okafor"]),
    ({"unexpected": True}, []),
    (None, []),
])
def test_split_authors(value, expected):
    assert fields.split_authors(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("a, b;c | d", ["a", "b", "c", "d"]),
    (["x", "X", " y "], ["x", "y"]),
    ("['one', 'two']", ["one", "two"]),
    ([{"term": "t"}, ["nested"]], ["t", "nested"]),
    (3, ["3"]),
    ({"k": 1}, []),
])
def test_as_list(value, expected):
    assert fields.as_list(value) == expected


@pytest.mark.parametrize("value", ["10:30", "March 3", "32/13/2020", "0000-01-01", "99999-01-01",
                                   "yesterday", "", None, True, {"a": 1}, float("nan"), 42, -7])
def test_dates_without_a_year_or_absurd_are_none(value):
    assert fields.as_date(value) is None


@pytest.mark.parametrize("value, expected", [
    (2020, datetime(2020, 1, 1, tzinfo=timezone.utc)),
    ("1583020800", datetime(2020, 3, 1, tzinfo=timezone.utc)),
    (1583020800000, datetime(2020, 3, 1, tzinfo=timezone.utc)),
    ("Tue, 03 Mar 2020 10:00:00 EST", datetime(2020, 3, 3, 15, tzinfo=timezone.utc)),
    ({"$date": "2020-03-01T00:00:00Z"}, datetime(2020, 3, 1, tzinfo=timezone.utc)),
    ({"value": "2020-03-01"}, datetime(2020, 3, 1, tzinfo=timezone.utc)),
])
def test_as_date(value, expected):
    assert fields.as_date(value) == expected


def test_html_to_text_keeps_paragraphs_and_line_breaks():
    markup = ("<div><h2>Head</h2><p>One &amp; <i>two</i>\n   words.</p>"
              "<ul><li>first</li><li>second</li></ul>line<br>break<br/><br/>new para"
              "<script>var x = '<p>no</p>';</script><!-- comment --></div>")
    assert fields.html_to_text(markup) == "Head\n\nOne & two words.\n\nfirst\n\nsecond\n\nline\nbreak\n\nnew para"


def test_map_targets_checks_names():
    assert fields.map_targets({"Body": "story", "author": "by", "date": "when"}) == {
        "body": "story", "authors": "by", "published": "when"}
    with pytest.raises(ValueError, match="colour"):
        fields.map_targets({"colour": "x"})


# --- routing and end to end -----------------------------------------------------------


def test_discover_routes_the_structured_extensions():
    found = {c.path.name: c for c in discover([STRUCTURED])}
    for name, module in [("wire.jsonl", "jsonl"), ("custom.ndjson", "jsonl"), ("array.json", "jsonl"),
                         ("articles.csv", "csvfile"), ("articles.tsv", "csvfile"),
                         ("feed.rss", "feeds"), ("feed.atom", "feeds"), ("sitemap.xml", "feeds"),
                         ("mini.sgm", "reuters")]:
        assert found[name].reader.__module__ == f"search.ingest.readers.{module}", name


def test_index_a_folder_of_structured_files(tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    for name in ("newsapi.json", "wire.jsonl", "articles.csv", "feed.rss", "feed.atom"):
        (folder / name).write_bytes((STRUCTURED / name).read_bytes())
    (folder / "sitemap.xml").write_bytes((BAD / "sitemap.xml").read_bytes())
    with NewsIndex.create(tmp_path / "ix") as ix:
        report = ix.index_paths([folder])
        # A readable XML file that is not a feed holds no articles: skipped
        # with its reason, not failed.
        assert report.failed == []
        assert [(Path(p).name, r) for p, r in report.skipped if p.endswith(".xml")] == [
            ("sitemap.xml", "not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> element)")]
        assert any("invalid JSON" in problem for _, problem in report.problems)
        results = ix.search("barrier", facets=["source"])
        assert results.total == 1 and results.hits[0].source == "Riverside Gazette"
        assert ix.search('source:"harbour times"').total == 1
        assert ix.get("w-3").title == "2022"
