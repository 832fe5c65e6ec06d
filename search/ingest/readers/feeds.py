"""RSS (0.9x, 1.0, 2.0) and Atom feeds saved to disk, read with feedparser.

Each item is an article: title, link, id (guid / atom:id, else the link),
published (else updated) date, authors, categories as tags, the feed's title
as source (an item's own ``<source>`` wins: aggregators name the original
publisher there), the longest of content and summary as body with its HTML
turned into paragraphs, and the language of the item or feed.

Nothing is fetched: the file's bytes are handed to feedparser as a stream
(a bytes *string* would be tried as a file name first), and feedparser does
not load external DTDs or entities. A feed with no items gives no articles;
a file that is not a feed (an ``.xml`` sitemap, a config file) raises
ReadError.
"""

from __future__ import annotations

import calendar
import io
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...article import Article
from ...errors import NotAnArticleError, ReadError
from ...text.dates import parse_date
from . import ReadOptions
from .encoding import detect_bom, read_file
from .fields import as_date, as_text, html_to_text, split_authors
from .text import relative_id

#: A feed names itself in its first few KB.
_FEED_ROOT = re.compile(r"<(?:[\w-]+:)?(?:rss|feed|rdf|channel)\b", re.IGNORECASE)
SNIFF_BYTES = 8192
#: "jane@example.org (Jane Doe)" and "Jane Doe <jane@example.org>".
_EMAIL_NAME = re.compile(r"^\s*[^\s()<>]+@[^\s()<>]+\s*\((?P<name>[^()]+)\)\s*$")
_NAME_EMAIL = re.compile(r"^\s*(?P<name>[^<>@]+?)\s*<[^<>]+@[^<>]+>\s*$")
#: Links that are web addresses (an Atom id such as "urn:…" is not one).
_WEB_LINK = re.compile(r"^(?:https?|ftp)://|^//", re.IGNORECASE)


def is_feed(data: bytes) -> bool:
    """Whether `data` looks like an RSS/Atom/RDF feed (its root element)."""
    head = data[:SNIFF_BYTES]
    bom = detect_bom(head)
    text = head[bom[1]:].decode(bom[0], errors="ignore") if bom else head.decode("latin-1")
    return bool(_FEED_ROOT.search(text))


def read(path: Path, root: Path, options: ReadOptions | None = None,
         problems: list[str] | None = None) -> list[Article]:
    """Read one saved RSS/Atom feed into one Article per item.

    `problems`, when given, receives notes on a feed that had to be read
    leniently (not well-formed XML) and on skipped items."""
    data = read_file(path)
    if not is_feed(data):
        raise NotAnArticleError(f"{path}: not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> element)")
    parsed = _parse(data, path)
    reason = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.entries:
        raise NotAnArticleError(f"{path}: not an RSS or Atom feed"
                        + (f" ({_short(reason)})" if reason else ""))
    if parsed.get("bozo") and not parsed.entries:
        # A feed cut short before its first item: broken, not merely empty.
        raise ReadError(f"{path}: feed is not well-formed XML and has no items ({_short(reason)})")
    found = problems if problems is not None else []
    if parsed.get("bozo") and parsed.entries:
        found.append(f"not well-formed XML, read leniently ({_short(parsed.get('bozo_exception'))})")

    feed = parsed.feed
    feed_title = as_text(feed.get("title"), single_line=True) or None
    feed_language = _language(feed.get("language"))
    feed_authors = _authors(feed) if str(parsed.get("version", "")).startswith("atom") else []
    base_id = relative_id(path, root)
    resolved = str(path.resolve())
    articles = []
    for n, entry in enumerate(parsed.entries, 1):
        try:
            article = _article(entry, n, base_id, resolved, feed_title, feed_language, feed_authors)
        except (RecursionError, ValueError, TypeError, AttributeError) as exc:
            found.append(f"item {n}: unusable ({type(exc).__name__})")
            continue
        if article is None:
            found.append(f"item {n}: no title or text")
        else:
            articles.append(article)
    return articles


def _parse(data: bytes, path: Path):
    import feedparser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return feedparser.parse(io.BytesIO(data), resolve_relative_uris=True,
                                    sanitize_html=True)
    except Exception as exc:  # feedparser's loose parser can fail in many ways on junk
        raise ReadError(f"{path}: unreadable feed ({type(exc).__name__}: {_short(exc)})") from None


def _article(entry, n: int, base_id: str, path: str, feed_title: str | None,
             feed_language: str | None, feed_authors: list[str]) -> Article | None:
    title = _text(entry.get("title_detail"), entry.get("title"), single_line=True)
    body = _body(entry)
    if not title and not body:
        return None
    link = (entry.get("link") or "").strip()
    url = link if _WEB_LINK.match(link) else None
    item_id = (entry.get("id") or "").strip() or url or f"{base_id}#{n}"
    source = entry.get("source") or {}
    source_title = as_text(source.get("title"), single_line=True) if hasattr(source, "get") else ""
    tags = []
    for tag in entry.get("tags") or []:
        value = as_text(tag.get("label") or tag.get("term"), single_line=True)
        if value and value.casefold() not in {t.casefold() for t in tags}:
            tags.append(value)
    language = None
    for detail in (entry.get("title_detail"), *(entry.get("content") or []), entry.get("summary_detail")):
        if detail and detail.get("language"):
            language = _language(detail.get("language"))
            break
    return Article(
        id=item_id,
        title=title,
        body=body,
        source=source_title or feed_title,
        authors=_authors(entry) or list(feed_authors),
        published=_date(entry, "published") or _date(entry, "updated") or _date(entry, "created"),
        url=url,
        tags=tags,
        language=language or feed_language,
        path=path,
    )


def _text(detail: Any, value: Any, single_line: bool = False) -> str:
    """A feed text construct as plain text (HTML and entities decoded)."""
    if not value:
        return ""
    kind = (detail or {}).get("type", "") if hasattr(detail, "get") else ""
    if "html" in kind:
        text = html_to_text(value)
        return " ".join(text.split()) if single_line else text
    return as_text(value, single_line=single_line)


def _body(entry) -> str:
    """The longest of the item's content and summary, as text."""
    candidates = []
    for content in entry.get("content") or []:
        candidates.append(_text(content, content.get("value")))
    candidates.append(_text(entry.get("summary_detail"), entry.get("summary")))
    return max(candidates, key=len, default="")


def _authors(node) -> list[str]:
    """Names from the item's (or feed's) authors. An RSS ``<author>`` is an
    address, "jane@example.org (Jane Doe)"; the name is read from it here
    (feedparser's own split cuts long domain names short) and a bare address
    gives no name."""
    raw = node.get("author")
    names: list[str] = []
    if isinstance(raw, str) and "@" in raw:
        match = _EMAIL_NAME.match(raw) or _NAME_EMAIL.match(raw)
        names = split_authors(match.group("name")) if match else []
    else:
        for author in node.get("authors") or []:
            name = author.get("name") if hasattr(author, "get") else None
            if isinstance(name, str) and name.strip() and "@" not in name:
                names.extend(split_authors(name))
        if not names and isinstance(raw, str):
            names = split_authors(raw)
    seen: set[str] = set()
    return [n for n in names if not (n.casefold() in seen or seen.add(n.casefold()))]


def _date(entry, key: str) -> datetime | None:
    """The item's date: its own text read by parse_date (keeps the offset),
    unless feedparser, which knows more zone names ("EST"), disagrees about
    the instant; then feedparser's UTC reading."""
    # dict.get: FeedParserDict.get("published") falls back to "updated" with
    # a DeprecationWarning; the caller asks for each key itself.
    raw = dict.get(entry, key)
    ours = as_date(raw) if isinstance(raw, str) else None
    theirs = None
    struct = dict.get(entry, f"{key}_parsed")
    if struct:
        try:
            theirs = parse_date(datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc))
        except (OverflowError, OSError, ValueError, TypeError):
            theirs = None
    if ours and theirs and ours != theirs:
        return theirs
    return ours or theirs


def _language(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _short(exc: Any) -> str:
    return str(exc).split("\n")[0][:160] if exc else ""
