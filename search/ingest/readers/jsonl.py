"""JSON Lines and JSON files of articles.

Three shapes are read, whatever the extension says (many ``.json`` dumps are
really JSON Lines):

* JSON Lines: one object per line (blank lines ignored);
* a JSON array of objects;
* a JSON object: one holding the list of articles under a key such as
  ``articles``, ``items``, ``data`` or ``results`` (also one level down, as in
  ``{"response": {"docs": [...]}}``), or else one object that is one article
  if it has a body (a lone object with only a title, a name or a description
  is metadata, such as ``package.json`` or a page's sidecar: skipped).

Column names are mapped by :mod:`search.ingest.readers.fields`. A bad record (invalid
JSON, not an object, no title and no body) is skipped and described in
`problems`; the rest of the file is kept. A file with no usable record at all
raises ReadError.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...article import Article
from ...errors import NotAnArticleError, ReadError
from . import ReadOptions
from .encoding import read_text
from .fields import RecordError, RecordMapper
from .text import relative_id

#: Keys under which a JSON object keeps its list of articles, most likely first.
CONTAINER_KEYS = ("articles", "items", "data", "results", "docs", "documents", "entries",
                  "stories", "posts", "records", "news", "hits", "rows", "response", "feed")
#: How deep to look for the list ({"response": {"docs": [...]}} is depth 2).
CONTAINER_DEPTH = 3


def read(path: Path, root: Path, options: ReadOptions | None = None,
         problems: list[str] | None = None) -> list[Article]:
    """Read a JSON Lines or JSON file into Articles (see the module notes).

    `problems`, when given, receives one message per skipped record
    ("line 7: invalid JSON (…)")."""
    text = read_text(path)
    mapper = replace(RecordMapper.for_options(options, str(path.resolve())).by_name_only(),
                     require_body=True)
    base_id = relative_id(path, root)
    found = problems if problems is not None else []
    start = len(found)

    whole, error = _load_whole(text)
    stripped = text.lstrip()
    if error is None:
        records, label = _records_of(whole, mapper, path)
        articles = _map_all(records, mapper, base_id, label, found)
    elif stripped.startswith("["):
        # A JSON array cut short (an interrupted dump): keep the whole items.
        records, tail_error = _salvage_array(stripped)
        if not records:
            raise ReadError(f"{path}: invalid JSON ({error})")
        articles = _map_all(records, mapper, base_id, "item", found)
        found.append(f"item {len(records) + 1}: invalid JSON, rest of file ignored ({tail_error})")
    elif stripped.split("\n", 1)[0].strip() == "{":
        raise ReadError(f"{path}: invalid JSON ({error})")  # pretty-printed, not JSON Lines
    else:
        articles = _read_lines(text, mapper, base_id, found, path, error)
    if not articles and len(found) > start:
        raise ReadError(f"{path}: no usable records ({found[start]}"
                        f"{f'; {len(found) - start - 1} more' if len(found) - start > 1 else ''})")
    return articles


def _load_whole(text: str) -> tuple[Any, str | None]:
    """The whole text as one JSON value, or the reason it is not one."""
    try:
        return json.loads(text), None
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:  # JSONDecodeError, and int literals past the digit limit
        return None, _reason(exc)


def _salvage_array(text: str) -> tuple[list, str]:
    """The items of a JSON array up to the first one that does not parse."""
    decoder = json.JSONDecoder()
    items: list = []
    pos = 1
    while True:
        while pos < len(text) and text[pos] in " \t\n\r,":
            pos += 1
        if pos >= len(text):
            return items, "the file ends before the array is closed"
        if text[pos] == "]":
            return items, "text after the closing ]"
        try:
            item, pos = decoder.raw_decode(text, pos)
        except RecursionError:
            return items, "nested too deeply"
        except ValueError as exc:
            return items, _reason(exc)
        items.append(item)


def _records_of(value: Any, mapper: RecordMapper, path: Path) -> tuple[list, str]:
    """The records in a whole-file JSON value, and how to name one in messages."""
    if isinstance(value, list):
        return value, "item"
    if isinstance(value, dict):
        nested = _find_list(value, CONTAINER_DEPTH)
        if nested is not None:
            return nested, "item"
        if mapper.has_body(value):
            return [value], "object"
        if mapper.knows_any(value.keys()):
            # A title, a name or a description without a story: the metadata
            # of something else (Readability's expected-metadata.json, a
            # page's sidecar, package.json), not an article.
            raise NotAnArticleError(f"{path}: JSON object without an article body (metadata, "
                                    f"not an article; an article needs a body or text field)")
        raise NotAnArticleError(f"{path}: JSON object with no articles in it (expected a list under "
                        f"\"articles\", \"items\", \"data\" or \"results\", or article fields "
                        f"such as \"title\" and \"body\")")
    raise NotAnArticleError(f"{path}: JSON {type(value).__name__}, not articles")


def _find_list(obj: dict, depth: int) -> list | None:
    """A list of objects under a container key (or the only list of objects)."""
    if depth <= 0:
        return None
    keys = {k.lower(): k for k in obj if isinstance(k, str)}
    for name in CONTAINER_KEYS:
        value = obj.get(keys.get(name, name))
        if isinstance(value, list) and (not value or any(isinstance(v, dict) for v in value)):
            return value
        if isinstance(value, dict):
            inner = _find_list(value, depth - 1)
            if inner is not None:
                return inner
    lists = [v for v in obj.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if len(lists) == 1 and not _looks_like_article(obj):
        return lists[0]
    return None


def _looks_like_article(obj: dict) -> bool:
    return any(isinstance(k, str) and k.lower() in ("title", "headline", "body", "text", "content")
               for k in obj)


def _map_all(records: list, mapper: RecordMapper, base_id: str, label: str,
             problems: list[str]) -> list[Article]:
    articles = []
    for n, record in enumerate(records, 1):
        try:
            articles.append(mapper.article(record, f"{base_id}#{n}"))
        except RecordError as exc:
            problems.append(f"{label} {n}: {exc}")
        except (RecursionError, ValueError, TypeError) as exc:
            problems.append(f"{label} {n}: unusable record ({type(exc).__name__})")
    return articles


def _read_lines(text: str, mapper: RecordMapper, base_id: str, problems: list[str],
                path: Path, whole_error: str) -> list[Article]:
    """JSON Lines: one record per non-blank line; n counts those lines."""
    articles = []
    n = 0
    parsed_any = False
    for line_no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        n += 1
        try:
            record = json.loads(line)
        except RecursionError:
            problems.append(f"line {line_no}: invalid JSON (nested too deeply)")
            continue
        except ValueError as exc:
            problems.append(f"line {line_no}: invalid JSON ({_reason(exc)})")
            continue
        parsed_any = True
        if not isinstance(record, dict):
            problems.append(f"line {line_no}: not a JSON object ({_json_type(record)})")
            continue
        try:
            articles.append(mapper.article(record, f"{base_id}#{n}"))
        except RecordError as exc:
            problems.append(f"line {line_no}: {exc}")
        except (RecursionError, ValueError, TypeError) as exc:
            problems.append(f"line {line_no}: unusable record ({type(exc).__name__})")
    if not parsed_any:
        raise ReadError(f"{path}: not JSON or JSON Lines ({whole_error})")
    return articles


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        msg = exc.msg.removesuffix(" at")  # "Unterminated string starting at"
        return f"{msg} at column {exc.colno}" if exc.lineno == 1 else \
            f"{msg} at line {exc.lineno} column {exc.colno}"
    return str(exc).split("\n")[0][:120]


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number",
            bool: "boolean", type(None): "null"}.get(type(value), type(value).__name__)
