"""Plain-text articles in the seed format.

The first non-blank line is the title, the rest is the body. Scraped text of
this kind carries some debris that a reader should not see as story text:

* quotes escaped by the scraper in the title (``\\"face-off\\"``);
* a trailing "Read More:" block of related headlines;
* a dateline gluing source and section to a sentence
  (``Iran PressMiddle East: Hulusi Akar said…``).

The date is never guessed: text that does not state one leaves it unknown.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...article import Article
from ...errors import NotAnArticleError, ReadError
from . import ReadOptions
from .encoding import read_text

#: A line that opens a block of related headlines at the end of a story.
RELATED_MARKER = re.compile(
    r"^\s*(read more|related( stories| articles| news)?|see also|also read|more on this story)\s*:?\s*$",
    re.IGNORECASE,
)

#: Section names we recognise in a glued dateline. A dateline is only split
#: where the section is one of these, so "McDonald: …" is never taken apart.
KNOWN_SECTIONS = {
    "africa", "americas", "arts", "asia", "business", "culture", "defence", "defense",
    "economy", "education", "energy", "entertainment", "environment", "europe",
    "health", "iran", "latin america", "lifestyle", "local", "middle east", "national",
    "opinion", "politics", "science", "society", "sport", "sports", "tech",
    "technology", "travel", "uk", "us", "world", "world news",
}

#: "<Source><Section>: " with no space between the two, at the start of a paragraph.
GLUED_DATELINE = re.compile(
    r"^(?P<source>[A-Z][\w&.' ]{1,40}?[a-z0-9.])(?P<section>[A-Z][A-Za-z ]{1,30}?):\s+(?=\S)"
)

#: A file of at least this many lines, none longer than three words and none
#: a sentence, is a word list (AG News's four-line classes.txt is one; a
#: story has sentences).
WORD_LIST_LINES = 4

#: The largest text file read (one article: the biggest real ones are a few
#: MB; a 50 MB one is still read, past this it is refused unread).
MAX_BYTES = 64 * 1024 * 1024

#: How many leading paragraphs may hold the dateline.
DATELINE_WINDOW = 3


def read(path: Path, root: Path, options: ReadOptions | None = None) -> list[Article]:
    """Read one seed-format text file into a single Article."""
    text = read_text(path, cap=MAX_BYTES)
    article = parse(text, article_id=relative_id(path, root), path=str(path.resolve()))
    if article.section is None:
        article.section = folder_section(path, root)
        article.content_hash = article.compute_hash()
    return [article]


def folder_section(path: Path, root: Path) -> str | None:
    """The BBC layout (``bbc/<category>/NNN.txt``): a file in a named subfolder
    of the indexed folder belongs to that section. Folders named by numbers
    (``2020/03``) are dates, not sections."""
    parent = path.parent
    if parent.resolve() == root.resolve():
        return None
    name = parent.name.replace("_", " ").replace("-", " ").strip()
    return name if name and all(word.isalpha() for word in name.split()) else None


def parse(text: str, article_id: str, path: str | None = None) -> Article:
    """Parse seed-format text (already decoded) into an Article."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ReadError(f"{path or article_id}: empty file")
    if looks_like_word_list(lines):
        raise NotAnArticleError(f"{path or article_id}: a list of words, not an article")
    title = unescape_title(lines[0].strip())
    paragraphs = split_paragraphs(lines[1:])
    paragraphs, related = split_related(paragraphs)
    paragraphs, source, section = take_dateline(paragraphs)
    return Article(
        id=article_id,
        title=title,
        body="\n\n".join(paragraphs),
        source=source,
        section=section,
        related=related,
        path=path,
    )


def looks_like_word_list(lines: list[str]) -> bool:
    """Many short lines and no prose: a vocabulary or code list (such as the
    category lists shipped with Reuters-21578), not a story."""
    filled = [line.strip() for line in lines if line.strip()]
    return len(filled) >= WORD_LIST_LINES and all(
        len(line.split()) <= 3 and not line.endswith((".", "!", "?", '"', "”"))
        for line in filled)


def relative_id(path: Path, root: Path) -> str:
    """The stable id of a file: its path relative to the indexed root."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def unescape_title(title: str) -> str:
    r"""Undo scraper escaping: ``\"`` is ``"`` and ``\'`` is ``'``."""
    return title.replace('\\"', '"').replace("\\'", "'")


def split_paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs at blank lines; joins wrapped lines."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def split_related(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """Cut a trailing "Read More:" block off the body; its lines are headlines."""
    for i in range(len(paragraphs) - 1, -1, -1):
        if RELATED_MARKER.match(paragraphs[i]):
            # Only a block near the end counts: a story that merely mentions
            # "Related:" in its middle keeps its text.
            if len(paragraphs) - i <= 12:
                return paragraphs[:i], paragraphs[i + 1:]
            break
    return paragraphs, []


def take_dateline(paragraphs: list[str]) -> tuple[list[str], str | None, str | None]:
    """Find "Iran PressMiddle East: …" in the first paragraphs; return the
    paragraphs with the dateline removed, and the source and section."""
    for i, para in enumerate(paragraphs[:DATELINE_WINDOW]):
        match = GLUED_DATELINE.match(para)
        if match and match.group("section").strip().lower() in KNOWN_SECTIONS:
            cleaned = paragraphs[:i] + [para[match.end():]] + paragraphs[i + 1:]
            return cleaned, match.group("source").strip(), match.group("section").strip()
    return paragraphs, None, None
