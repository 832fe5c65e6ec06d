"""HTML article pages: one saved news page in, one Article out.

The page is decoded (BOM, declared charset, then detection) and parsed once
with lxml through BeautifulSoup; :mod:`html_meta` reads what the page says
about itself (title, date, authors, site, ...) and :mod:`html_body` finds the
story: trafilatura, readability-lxml and our own extractor vote, with the
JSON-LD ``articleBody`` and the meta description as fallbacks. The route that
produced the body is kept in the article's ``extraction`` field. Measured
figures and the reasoning: docs/html-extraction.md.

Pages saved compressed (``page.html.gz``) are read the same way.
"""

from __future__ import annotations

import codecs
import gzip
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from lxml import etree

from ...article import Article
from ...errors import ReadError
from . import ReadOptions
from .encoding import read_file, decode
from .html_body import extract_body
from .html_meta import read_metadata
from .text import relative_id

#: Pages nested deeper than this are refused: browsers' parsers cap the DOM
#: depth at 512, so anything deeper is broken or hostile, never a news page.
MAX_DEPTH = 512
#: Larger files are not article pages (and would take long to parse).
MAX_BYTES = 30 * 1024 * 1024
#: A body shorter than this (in words) from a truncated file is of no use.
MIN_TRUNCATED_WORDS = 40

# --------------------------------------------------------------------------
# Reading and decoding
# --------------------------------------------------------------------------


def read(path: Path, root: Path, options: ReadOptions | None = None) -> list[Article]:
    """Read one saved HTML page into one Article (ReadError if it is unusable)."""
    name = str(path)
    data = read_page_bytes(path)
    try:
        page = extract(data, name)
        return [page.to_article(relative_id(path, root), str(path.resolve()))]
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(f"{name}: HTML nested too deeply to read") from None
    except Exception as exc:  # a parser or data surprise: report it, never crash the batch
        raise ReadError(f"{name}: cannot read HTML ({type(exc).__name__}: {exc})") from None


def read_page_bytes(path: Path) -> bytes:
    """The page's bytes; a ``.gz`` file is decompressed, reading no more than
    :data:`MAX_BYTES` + 1 of it (a small gzip bomb must not fill memory)."""
    if path.suffix.lower() != ".gz":
        return read_file(path, text_only=False)  # decode_html judges binary itself
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:  # gzip.BadGzipFile, a truncated stream, an unreadable file
        raise ReadError(f"{path}: cannot read compressed page ({exc.strerror or exc})") from None
    except EOFError:
        raise ReadError(f"{path}: compressed page cut short") from None
    return data


@dataclass
class Page:
    """What we got out of one page (before it becomes an Article)."""

    title: str = ""
    body: str = ""
    paragraphs: list[str] = field(default_factory=list)
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    url: str | None = None
    #: Which route produced the body: "trafilatura", "readability",
    #: "newssearch" (our own extractor), "json-ld" or "meta-description".
    extraction: str | None = None

    def to_article(self, fallback_id: str, path: str | None) -> Article:
        return Article(
            id=self.url or fallback_id,
            title=self.title,
            body=self.body,
            source=self.source,
            authors=self.authors,
            published=self.published,
            url=self.url,
            section=self.section,
            tags=self.tags,
            language=self.language,
            path=path,
            extraction=self.extraction,
        )


def extract(data: bytes, name: str = "<html>") -> Page:
    """Decode, parse and extract one page. Raises ReadError for unusable input."""
    if len(data) > MAX_BYTES:
        raise ReadError(f"{name}: too large for an article page ({len(data):,} bytes)")
    text = decode_html(data, name)
    soup = parse(text, name)
    page = Page()
    meta, ld = read_metadata(soup, page)
    body = extract_body(soup, page.title, ld, meta)
    page.paragraphs = body.paragraphs
    page.body = "\n\n".join(body.paragraphs)
    page.extraction = body.route
    words = len(page.body.split())
    if looks_truncated(text) and words < MIN_TRUNCATED_WORDS:
        raise ReadError(f"{name}: truncated HTML (cut off mid-tag, no usable article text)")
    if not words:
        raise ReadError(f"{name}: no article text found")
    return page


#: Labels that WHATWG maps to other encodings than their names say.
_ENCODING_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "iso_8859-1": "cp1252",
    "windows-1252": "cp1252", "x-cp1252": "cp1252", "iso-8859-9": "cp1254",
    "tis-620": "cp874", "iso-8859-11": "cp874", "x-sjis": "shift_jis", "gb2312": "gb18030",
    "gbk": "gb18030", "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    # A page that reached us as bytes in an ASCII-compatible form cannot be UTF-16.
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8",
}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
#: Control characters that never appear in text (tab, newlines, form feed do).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_html(data: bytes, name: str) -> str:
    """Bytes → text: a BOM wins, then valid UTF-8, then a declared charset (``<meta charset>``,
    ``http-equiv`` Content-Type, XML declaration), then the shared detector."""
    if not data.strip():
        raise ReadError(f"{name}: empty file")
    text = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(codec, errors="replace")
            break
    if text is None:
        if b"\x00" in data[:8192]:
            raise ReadError(f"{name}: looks like a binary file, not HTML")
        codec = declared_encoding(data[:8192])
        if codec and codec != "utf-8" and not data.isascii() and valid_utf8(data):
            # Valid non-ASCII UTF-8 is almost never an accident: a page saved
            # as UTF-8 that still declares its old charset (gb2312, a qq.com
            # page) would come out as mojibake (as in encoding.py).
            codec = "utf-8"
        if codec:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                # A page declaring UTF-8 that is not is usually CP1252: let the
                # detector decide. Other declared codecs are trusted.
                text = None if codec == "utf-8" else data.decode(codec, errors="replace")
        if text is None:
            text = decode(data, name)
    sample = text[:8192]
    if not sample.strip():
        raise ReadError(f"{name}: empty file")
    bad = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    if bad > max(8, len(sample) // 50):
        raise ReadError(f"{name}: looks like a binary file, not HTML")
    return text


def valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def declared_encoding(head: bytes) -> str | None:
    """The Python codec a page declares for itself in its first bytes, if any."""
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii", "ignore").strip().lower()
    label = _ENCODING_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def parse(text: str, name: str) -> BeautifulSoup:
    """Parse with lxml; refuse absurdly deep trees (first with lxml alone,
    which takes milliseconds where building BeautifulSoup's tree of a hostile
    20,000-level page took seconds)."""
    if lxml_depth(text) > MAX_DEPTH:
        raise ReadError(f"{name}: HTML nested too deeply (more than {MAX_DEPTH} levels)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # XML-looking pages, "looks like a URL" etc.
        soup = BeautifulSoup(text, "lxml")
    depth = max_depth(soup)
    if depth > MAX_DEPTH:
        raise ReadError(f"{name}: HTML nested too deeply (more than {MAX_DEPTH} levels)")
    return soup


def lxml_depth(text: str) -> int:
    """Deepest element nesting as lxml's own parser sees it (0 when it cannot
    parse the text: BeautifulSoup then decides)."""
    try:
        root = etree.fromstring(text, etree.HTMLParser(huge_tree=True))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # e.g. an XML declaration
        return 0
    if root is None:
        return 0
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
    return deepest


def max_depth(root: Tag) -> int:
    """Deepest element nesting under `root` (iterative: no recursion limit)."""
    deepest = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if depth > MAX_DEPTH:
                break
        for child in node.contents:
            if isinstance(child, Tag):
                stack.append((child, depth + 1))
    return deepest


def looks_truncated(text: str) -> bool:
    """True when the file stops inside a tag (a download cut short)."""
    tail = text.rstrip()[-4096:]
    return tail.rfind("<") > tail.rfind(">")


# --------------------------------------------------------------------------
# Metadata
