"""The plain-text (seed format) reader, on the real seed and on fixture files."""

from __future__ import annotations

import pytest

from search.errors import ReadError
from search.ingest.readers import text
from search.ingest.readers.discover import discover

from .conftest import ARTICLES, SEED_FILE, SEEDS


@pytest.fixture(scope="module")
def seed():
    [article] = text.read(SEED_FILE, SEEDS)
    return article


def test_seed_title_has_escaped_quotes_undone(seed):
    assert seed.title == 'Ankara not seeking "face-off" with Russia: Defence Min.'


def test_seed_dateline_gives_source_and_section_and_leaves_the_body(seed):
    assert seed.source == "Iran Press"
    assert seed.section == "Middle East"
    assert "Iran PressMiddle East" not in seed.body
    assert "Hulusi Akar said on Thursday that NATO members" in seed.body


def test_seed_read_more_block_is_related_not_body(seed):
    assert seed.related == [
        "Syrian air defence intercept rocket attack near Latakia",
        "Russia announces possibility of Syria trilateral summit in Tehran",
        "Russian forces at Syrian air base repel drone attack by militants",
    ]
    assert "Read More" not in seed.body
    assert "Latakia" not in seed.body
    assert seed.body.endswith("require immediate and ongoing humanitarian assistance.")


def test_seed_keeps_curly_quotes_and_has_no_invented_date(seed):
    assert "Turkey’s artillery" in seed.body
    assert "“supporting terrorists”" in seed.body
    assert seed.published is None


def test_seed_id_is_path_relative_to_root_and_hash_is_stable(seed):
    assert seed.id == SEED_FILE.name
    assert seed.path == str(SEED_FILE.resolve())
    [again] = text.read(SEED_FILE, SEEDS)
    assert again.content_hash == seed.content_hash and len(seed.content_hash) == 32


def test_paragraphs_are_kept(seed):
    assert seed.body.count("\n\n") >= 10


def test_fixture_dateline_with_two_word_source():
    [article] = text.read(ARTICLES / "ceasefire-talks.txt", ARTICLES)
    assert (article.source, article.section) == ("Anadolu Agency", "Europe")
    assert article.body.startswith("Russian and Turkish officials")
    assert "Turkey’s foreign minister told reporters" in article.body
    assert article.related == ["Turkey sends more troops to Idlib border",
                               "Aid agencies warn of winter crisis in northern Syria"]


def test_no_dateline_means_no_source_and_the_folder_is_the_section():
    [article] = text.read(ARTICLES / "economy" / "lira-slides.txt", ARTICLES)
    assert article.source is None and article.section == "economy"
    assert article.id == "economy/lira-slides.txt"
    # Read with its own folder as the root, it is in no section.
    [alone] = text.read(ARTICLES / "economy" / "lira-slides.txt", ARTICLES / "economy")
    assert alone.section is None


def test_numbered_folders_are_dates_not_sections(tmp_path):
    (tmp_path / "2020" / "03").mkdir(parents=True)
    story = tmp_path / "2020" / "03" / "a.txt"
    story.write_text("Title\n\nBody.\n")
    assert text.read(story, tmp_path)[0].section is None


def test_latin1_file_is_decoded_with_cp1252_fallback():
    [article] = text.read(ARTICLES / "economy" / "sterling-latin1.txt", ARTICLES)
    assert "£1.17" in article.body


@pytest.mark.parametrize("dateline, source, section", [
    ("Iran PressMiddle East: Akar said", "Iran Press", "Middle East"),
    ("Daily SabahPolitics: The ministry said", "Daily Sabah", "Politics"),
    ("McDonald: said he would", None, None),           # not a known section
    ("Reuters World: no glue here", None, None),        # nothing glued
])
def test_dateline_recognition(dateline, source, section):
    article = text.parse(f"Title\n\n{dateline} more text.\n", article_id="x")
    assert (article.source, article.section) == (source, section)


def test_read_more_in_the_middle_of_a_long_story_is_kept():
    paragraphs = ["Para %d." % i for i in range(20)]
    body = "\n\n".join(paragraphs[:3] + ["Read More:"] + paragraphs[3:])
    article = text.parse(f"Title\n\n{body}\n", article_id="x")
    assert article.related == []
    assert "Para 19." in article.body


def test_crlf_and_bom(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffA title\r\n\r\nFirst line\r\nwrapped.\r\n\r\nSecond.\r\n".encode("utf-8"))
    [article] = text.read(path, tmp_path)
    assert article.title == "A title"
    assert article.body == "First line wrapped.\n\nSecond."


@pytest.mark.parametrize("content", [b"", b"   \n\n  \n", b"\x00\x01\x02binary\x00junk"])
def test_empty_or_binary_files_are_read_errors(tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError):
        text.read(path, tmp_path)


def test_discover_routes_and_skips(tmp_path):
    (tmp_path / "a.txt").write_text("T\n\nB\n")
    (tmp_path / "README.txt").write_text("about this corpus\n")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / ".hidden.txt").write_text("T\n\nB\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_text("T\n\nB\n")
    found = {c.path.relative_to(tmp_path).as_posix(): c for c in discover([tmp_path])}
    assert set(found) == {"a.txt", "README.txt", "photo.jpg", "sub/b"}
    assert found["a.txt"].reader is text.read and found["sub/b"].reader is text.read
    assert found["README.txt"].reader is None and "not an article" in found["README.txt"].skip_reason
    assert found["photo.jpg"].reader is None and ".jpg" in found["photo.jpg"].skip_reason
    [missing] = list(discover([tmp_path / "nope"]))
    assert missing.failed and missing.reader is None


def test_discover_survives_a_symlink_loop(tmp_path):
    (tmp_path / "a.txt").write_text("T\n\nB\n")
    (tmp_path / "loop").symlink_to(tmp_path)
    paths = [c.path.name for c in discover([tmp_path])]
    assert paths.count("a.txt") <= 2


def test_word_lists_are_not_articles(tmp_path):
    from search.errors import NotAnArticleError

    path = tmp_path / "codes.txt"
    path.write_text("\n".join(f"code{i}" for i in range(40)) + "\n")
    with pytest.raises(NotAnArticleError):
        text.read(path, tmp_path)


def test_reuters_support_files_are_skipped(tmp_path):
    (tmp_path / "reut2-000.sgm").write_text("<REUTERS NEWID=\"1\"></REUTERS>")
    (tmp_path / "cat-descriptions.txt").write_text("Some notes\n\nAbout the categories.\n")
    found = {c.path.name: c for c in discover([tmp_path])}
    assert found["reut2-000.sgm"].reader is not None
    assert found["cat-descriptions.txt"].reader is None
    assert "Reuters-21578 support file" in found["cat-descriptions.txt"].skip_reason
