"""Mapping structured records (JSON objects, CSV rows) to Articles.

Dumps name their columns in many ways: ``headline`` or ``title``,
``publishedAt`` or ``pub_date``, ``{"source": {"name": ...}}``. Column names
are matched case-insensitively and without ``_``, ``-`` or spaces, so
``published_at``, ``publishedAt`` and ``Published At`` are one name. The user's
``field_map`` (``--map body=story_text``, dotted paths into nested objects)
overrides the automatic choice for the fields it names.

Also here, because the JSON, CSV and feed readers all need it:
:func:`html_to_text`, which turns an HTML fragment into plain paragraphs.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from typing import Any, Iterable

from ...article import Article
from ...text.dates import EARLIEST_YEAR, LATEST_YEAR, parse_date

#: Article field → column names tried, in order (already in `_norm` form, so
#: "publishedat" covers publishedAt, published_at and "Published At").
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("headline", "title", "webtitle", "name"),
    "body": ("text", "content", "body", "article", "story", "fulltext", "bodytext",
             "articlebody", "articletext", "storytext", "maintext"),
    "published": ("publishedat", "published", "date", "pubdate", "datetime", "timestamp",
                  "createdat", "datepublished", "publicationdate", "publisheddate",
                  "webpublicationdate", "created"),
    "url": ("url", "link", "href", "weburl", "permalink", "canonicalurl", "articleurl"),
    "source": ("source", "sourcename", "publisher", "site", "sitename", "outlet",
               "publication", "newspaper"),
    "authors": ("authors", "author", "byline", "creator", "creators", "writer", "writers"),
    "section": ("section", "sectionname", "category", "desk", "newsdesk"),
    # ("topics" is not among them: it is an Article field of its own, and
    # `export` writes both, so an exported archive reads back unchanged.)
    "tags": ("tags", "keywords", "tag", "keyword", "subjects"),
    # The other list fields by their own names: what `export` writes.
    "topics": ("topics",), "places": ("places",), "people": ("people",),
    "orgs": ("orgs",), "exchanges": ("exchanges",), "related": ("related",),
    "language": ("language", "lang", "locale"),
    "id": ("id", "_id", "uuid", "guid", "articleid", "docid"),
}
#: Shorter texts a record may carry: the body only when nothing better is there.
SUMMARY_ALIASES = ("description", "summary", "abstract", "leadparagraph", "snippet",
                   "teaser", "standfirst", "excerpt")

#: Names a user may give on the left of ``--map`` (Article fields and the
#: aliases the query language also knows).
MAP_TARGETS = {
    "id": "id", "title": "title", "headline": "title", "body": "body", "text": "body",
    "source": "source", "authors": "authors", "author": "authors", "byline": "authors",
    "published": "published", "date": "published", "url": "url", "link": "url",
    "section": "section", "category": "section", "tags": "tags", "tag": "tags",
    "keywords": "tags", "language": "language", "lang": "language",
    "topics": "topics", "topic": "topics", "places": "places", "place": "places",
    "people": "people", "person": "people", "orgs": "orgs", "org": "orgs",
    "exchanges": "exchanges", "exchange": "exchanges", "related": "related",
}
LIST_TARGETS = ("authors", "tags", "topics", "places", "people", "orgs", "exchanges", "related")

#: Keys whose value stands for a whole object (`{"source": {"name": "BBC"}}`,
#: `{"title": {"rendered": "…"}}`, `{"headline": {"main": "…"}}`,
#: `{"_id": {"$oid": "…"}}`, MongoDB's `{"$date": "…"}`), in the order they are tried.
NAME_KEYS = ("name", "title", "main", "rendered", "text", "original", "displayname",
             "label", "term", "value", "oid", "date")

#: Every column name the automatic mapping uses (a header check).
KNOWN_COLUMNS = frozenset({a for names in ALIASES.values() for a in names} | set(SUMMARY_ALIASES))
#: Keys of an object given as a body, in the order they are tried.
BODY_KEYS = ("rendered", "text", "content", "body", "html", "value", "paragraphs")

_NORM = re.compile(r"[\s_\-$]+")
_TRUNCATION = re.compile(r"\s*(?:…|\.\.\.)?\s*\[\+\d+ chars\]\s*$")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_HTMLISH = re.compile(r"<\s*(?:p|br|div|span|a|b|i|em|strong|ul|ol|li|h[1-6]|img|figure|"
                      r"blockquote|table|section|article|script|style)\b[^>]*>|</\s*\w+\s*>",
                      re.IGNORECASE)
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_AND = re.compile(r"\s+(?:and|&)\s+|\s*;\s*|\s*\|\s*", re.IGNORECASE)
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md"}
#: Epoch numbers below this (March 1973) are taken as not dates at all.
MIN_EPOCH = 1e8
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")


@lru_cache(maxsize=4096)
def norm(key: str) -> str:
    """A column name as matched: lower case, without ``_ - $`` and spaces."""
    return _NORM.sub("", key.strip().lower())


def map_targets(field_map: dict[str, str] | None) -> dict[str, str]:
    """`field_map` with its keys resolved to Article field names.

    Raises ValueError naming the unknown keys (the CLI can show it as a usage
    error); the readers call :func:`resolve_field_map`, which drops them."""
    resolved: dict[str, str] = {}
    unknown = []
    for key, column in (field_map or {}).items():
        target = MAP_TARGETS.get(key.strip().lower())
        if target is None:
            unknown.append(key)
        elif column and column.strip():
            resolved[target] = column.strip()
    if unknown:
        known = ", ".join(sorted(set(MAP_TARGETS.values())))
        raise ValueError(f"unknown field(s) to map: {', '.join(unknown)} (known: {known})")
    return resolved


def resolve_field_map(field_map: dict[str, str] | None) -> dict[str, str]:
    """Like :func:`map_targets`, ignoring unknown keys."""
    resolved: dict[str, str] = {}
    for key, column in (field_map or {}).items():
        target = MAP_TARGETS.get(str(key).strip().lower())
        if target and isinstance(column, str) and column.strip():
            resolved[target] = column.strip()
    return resolved


class RecordError(Exception):
    """A record that cannot become an article (the file goes on without it)."""


@dataclass
class RecordMapper:
    """Turns records (dicts) from one file into Articles, with the file's
    resolved `field_map` and the `path` every article records."""

    field_map: dict[str, str]
    path: str
    #: Refuse a record with a title and no text (JSON: a title alone is
    #: metadata more often than a story; CSV headline lists are kept).
    require_body: bool = False

    @classmethod
    def for_options(cls, options, path: str) -> "RecordMapper":
        field_map = getattr(options, "field_map", None) if options is not None else None
        return cls(resolve_field_map(field_map), path)

    def by_name_only(self) -> "RecordMapper":
        """This mapper without the columns given by number (``--map body=3``
        is for CSV; a JSON record falls back to the automatic choice)."""
        named = {f: c for f, c in self.field_map.items() if not c.strip().isdigit()}
        return self if named == self.field_map else RecordMapper(named, self.path,
                                                                 self.require_body)

    def knows_any(self, keys: Iterable[str]) -> bool:
        """Whether any of these column names would be used (a header check)."""
        normed = {norm(k) for k in keys if isinstance(k, str)}
        # (A column given by number, --map body=3, names no column.)
        named = [c for c in self.field_map.values() if not c.strip().isdigit()]
        mapped = {norm(c) for c in named} | {norm(c.split(".")[0]) for c in named}
        return bool(normed & mapped) or bool(normed & KNOWN_COLUMNS)

    def has_body(self, record: dict) -> bool:
        """Whether `record` holds story text in a body field (the mapped one,
        or a body alias): a summary or a title alone does not count."""
        if "body" in self.field_map:
            return bool(body_text(lookup(record, self.field_map["body"])))
        return any(norm(k) in ALIASES["body"] and body_text(v)
                   for k, v in record.items() if isinstance(k, str))

    def article(self, record: dict, default_id: str) -> Article:
        """The Article for one record; RecordError when it has no title and no
        body. `default_id` is its id when it has neither an id field nor a URL."""
        if not isinstance(record, dict):
            raise RecordError(f"not an object ({type(record).__name__})")
        index = {}
        for key in record:
            if isinstance(key, str):
                index.setdefault(norm(key), key)

        def pick(field: str) -> Any:
            column = self.field_map.get(field)
            if column is not None:
                return lookup(record, column, index)
            for alias in ALIASES.get(field, ()):
                if alias in index:
                    value = record[index[alias]]
                    if not is_missing(value):
                        return value
            return None

        title = as_text(pick("title"), single_line=True)
        body = self._body(record, index, pick)
        if not title and not body:
            raise RecordError("no title or body")
        exported = "contenthash" in index  # a line of `newssearch export`
        if self.require_body and not body and not exported:
            # (An exported story with a title alone, as Reuters has, is one.)
            raise RecordError("a title alone, no body or text: not an article")
        url = as_text(pick("url"), single_line=True) or None
        record_id = as_id(pick("id")) or url or default_id
        language = as_text(pick("language"), single_line=True) or None
        raw_date = pick("published")
        published = as_date(raw_date, language)
        values: dict[str, Any] = {
            "id": record_id,
            "title": title,
            "body": body,
            "source": as_text(pick("source"), single_line=True) or None,
            "authors": split_authors(pick("authors")),
            "published": published,
            "url": url,
            "section": as_text(first(pick("section")), single_line=True) or None,
            "tags": as_list(pick("tags")),
            "language": language,
            "path": self.path,
        }
        for field in LIST_TARGETS:
            if field not in ("authors", "tags"):
                values[field] = as_list(pick(field))
        if exported and "extraction" in index:  # how an HTML page's body was found
            values["extraction"] = as_text(record[index["extraction"]], single_line=True) or None
        if published is None and language is None and isinstance(raw_date, str) and raw_date.strip():
            values["unread_date"] = raw_date.strip()  # language.assign tries it in the detected language
        return Article(**values)

    def _body(self, record: dict, index: dict, pick) -> str:
        if "body" in self.field_map:
            return body_text(pick("body"))
        candidates = [body_text(record[index[a]]) for a in ALIASES["body"] if a in index]
        best = max(candidates, key=len, default="")
        if best:
            return best
        summaries = [body_text(record[index[a]]) for a in SUMMARY_ALIASES if a in index]
        return max(summaries, key=len, default="")


def body_text(value: Any) -> str:
    """Story text from a body-like value. An object gives its text-like key
    (WordPress ``{"content": {"rendered": "<p>…"}}``), never its name or title."""
    if isinstance(value, dict):
        keys = {norm(k): k for k in value if isinstance(k, str)}
        for name in BODY_KEYS:
            if name in keys and not is_missing(value[keys[name]]):
                return body_text(value[keys[name]])
        return ""
    if isinstance(value, list):
        return "\n\n".join(t for t in (body_text(v) for v in value[:10000]) if t)
    return as_text(value)


def lookup(record: dict, column: str, index: dict | None = None) -> Any:
    """The value at `column` in `record`: an exact (case- and ``_``-insensitive)
    key first, so a CSV header "source.name" works, then a dotted path."""
    index = index if index is not None else {norm(k): k for k in record if isinstance(k, str)}
    key = index.get(norm(column))
    if key is not None:
        return record[key]
    node: Any = record
    for part in column.split("."):
        if isinstance(node, list) and part.isdigit():
            i = int(part)
            node = node[i] if i < len(node) else None
            continue
        if not isinstance(node, dict):
            return None
        found = next((k for k in node if isinstance(k, str) and norm(k) == norm(part)), None)
        if found is None:
            return None
        node = node[found]
    return node


def is_missing(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip() or value.strip().lower() in ("null", "none", "nan", "n/a")
    if isinstance(value, (list, dict)):
        return not value
    return False


def name_of(value: dict) -> Any:
    """The value a dict stands for: its name/title/… key (a name/value pair
    gives its value: `{"name": "subject", "value": "Elections"}`)."""
    keys = {norm(k): k for k in value if isinstance(k, str)}
    if "name" in keys and "value" in keys and isinstance(value[keys["value"]], str):
        return value[keys["value"]]
    for name in NAME_KEYS:
        if name in keys and not is_missing(value[keys[name]]):
            return value[keys[name]]
    return None


def as_text(value: Any, single_line: bool = False, _depth: int = 0) -> str:
    """A clean string from whatever a record holds: numbers are written out,
    lists of paragraphs joined, dicts read through :func:`name_of`, HTML and
    entities turned into text. Missing or unusable values give ""."""
    if _depth > 5 or is_missing(value):
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float)):
        text = format_number(value)
    elif isinstance(value, dict):
        return as_text(name_of(value), single_line, _depth + 1)
    elif isinstance(value, list):
        parts = [as_text(v, single_line, _depth + 1) for v in value]
        parts = [p for p in parts if p]
        if single_line:
            return parts[0] if parts else ""
        return "\n\n".join(parts)
    else:
        return ""
    if "chars]" in text[-40:]:
        text = _TRUNCATION.sub("", text)
    if "<" in text and _HTMLISH.search(text):
        text = html_to_text(text)
    elif "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    if single_line:
        return " ".join(text.split())
    return text.strip()


def format_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def as_id(value: Any) -> str:
    """An id field as a string ("" when missing or not id-like)."""
    if isinstance(value, dict):
        value = name_of(value)
    if is_missing(value) or isinstance(value, list):
        return ""
    if isinstance(value, (int, float)):
        return format_number(value)
    return str(value).strip()


def as_date(value: Any, language: str | None = None) -> datetime | None:
    """A timezone-aware date, or None (`parse_date` decides what is absurd;
    `language`, the record's own, helps it read month names)."""
    if isinstance(value, dict):
        value = name_of(value)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if EARLIEST_YEAR <= value <= LATEST_YEAR and float(value).is_integer():
            value = str(int(value))  # a bare year, as the string "2020" would be read
        elif abs(value) < MIN_EPOCH:
            return None  # 42 is not a date, and not 1970-01-01T00:00:42
    if isinstance(value, str):
        value = value.strip()
        if _EPOCH.match(value):
            value = float(value)
    try:
        return parse_date(value, language)
    except Exception:  # parse_date promises None, but a reader must not crash on data
        return None


def first(value: Any) -> Any:
    """The first item of a list (a section given as ["World", "Europe"])."""
    if isinstance(value, list):
        return next((v for v in value if not is_missing(v)), None)
    return value


def as_list(value: Any, _depth: int = 0) -> list[str]:
    """Tags-like values: a list, a comma/semicolon string, or a JSON list
    written into a CSV cell (``["a", "b"]``); duplicates dropped."""
    items: list[str] = []
    if _depth > 5 or is_missing(value):
        return items
    if isinstance(value, str):
        parsed = _list_literal(value)
        if parsed is not None:
            return as_list(parsed, _depth + 1)
        items = [p for p in re.split(r"\s*[,;|]\s*", value)]
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list):
                items.extend(as_list(item, _depth + 1))
            else:
                items.append(as_text(item, single_line=True, _depth=_depth + 1))
    elif isinstance(value, dict):
        items = [as_text(value, single_line=True, _depth=_depth + 1)]
    elif isinstance(value, (int, float)):
        items = [format_number(value)]
    return _unique(" ".join(i.split()) for i in items)


def split_authors(value: Any, _depth: int = 0) -> list[str]:
    """Author names from a string ("By Jane Doe and John Roe", "Doe, Jane"),
    a list of names, or objects with a name."""
    if _depth > 5 or is_missing(value):
        return []
    if isinstance(value, str):
        parsed = _list_literal(value)
        if parsed is not None:
            return split_authors(parsed, _depth + 1)
        names: list[str] = []
        for part in _AND.split(_BY.sub("", value)):
            names.extend(_split_commas(part))
        return _unique(_BY.sub("", n) for n in names)
    if isinstance(value, list):
        names = []
        for item in value:
            if isinstance(item, str):
                names.extend(split_authors(item, _depth + 1))
            else:
                names.append(as_text(item, single_line=True, _depth=_depth + 1))
        return _unique(names)
    if isinstance(value, dict):
        return split_authors(name_of(value), _depth + 1)
    return []


def _split_commas(part: str) -> list[str]:
    """"Jane Doe, John Roe" is two people; "Doe, Jane" and "John Smith, Jr."
    are one."""
    pieces = [p.strip() for p in part.split(",") if p.strip()]
    if len(pieces) <= 1:
        return pieces
    if len(pieces) == 2 and pieces[1].lower() in _NAME_SUFFIXES:
        return [f"{pieces[0]}, {pieces[1]}"]
    if all(len(p.split()) == 1 for p in pieces) and len(pieces) == 2:
        return [part.strip()]  # "Doe, Jane"
    return [p for p in pieces if p.lower() not in _NAME_SUFFIXES]


def _list_literal(value: str) -> list | None:
    """``["a", "b"]`` or ``['a', 'b']`` written as text (pandas does this)."""
    text = value.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", text)
        parsed = [a or b for a, b in parsed]
        if not parsed and text[1:-1].strip():
            return None
    return parsed if isinstance(parsed, list) else None


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        v = v.strip()
        if v and v.casefold() not in seen:
            seen.add(v.casefold())
            out.append(v)
    return out


# --- HTML fragments to text -------------------------------------------------

#: Elements that start and end a paragraph.
BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "aside", "main", "nav",
    "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "thead",
    "tbody", "tfoot", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption",
    "hr", "address", "details", "summary", "center",
}
#: Elements whose content is never text.
DROPPED = ("script", "style", "noscript", "iframe", "object", "embed", "svg", "form",
           "button", "select", "template", "head", "title", "meta", "link")
_PARA = "\ue000"
_LINE = "\ue001"


def html_to_text(markup: str) -> str:
    """Plain text from an HTML fragment: scripts and styles dropped, entities
    decoded, whitespace collapsed, paragraphs separated by a blank line and
    ``<br>`` kept as a line break."""
    if "<" not in markup:
        return html.unescape(markup).strip() if "&" in markup else markup.strip()
    try:
        from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction

        soup = BeautifulSoup(markup, "html.parser")
        for tag in soup.find_all(DROPPED):
            tag.decompose()
        for node in soup.find_all(string=lambda s: isinstance(
                s, (Comment, Declaration, Doctype, ProcessingInstruction))):
            node.extract()
        for br in soup.find_all("br"):
            br.replace_with(_LINE)
        for tag in soup.find_all(BLOCKS):
            tag.insert_before(_PARA)
            tag.insert_after(_PARA)
        text = soup.get_text()
    except RecursionError:
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    text = text.replace(_PARA + _LINE, _PARA).replace(_LINE + _PARA, _PARA)
    paragraphs = []
    for para in re.split(f"(?:\\s*{_PARA})+|(?:[ \\t]*{_LINE}\\s*){{2,}}", text):
        lines = [" ".join(line.split()) for line in para.split(_LINE)]
        para = "\n".join(line for line in lines if line)
        if para:
            paragraphs.append(para)
    return "\n\n".join(paragraphs)
