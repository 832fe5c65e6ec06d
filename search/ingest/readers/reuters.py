"""Reuters-21578 SGML (``reut2-000.sgm`` … ``reut2-021.sgm``): one article per
``<REUTERS>`` record.

The files are SGML, not XML (no root element, control-character entities
such as ``&#3;``, a stray Latin-1 byte), so records are cut out with regular
expressions, which also reads all 22 files in a couple of seconds.

Per record: id = ``NEWID``; title = ``<TITLE>``; body = the ``<DATELINE>``
("SALVADOR, Feb 26 -") followed by ``<BODY>``, with the closing "Reuter"
signature and the control characters removed, entities decoded and wrapped
lines joined into paragraphs (an indented line starts a new paragraph, as
on the wire); date = ``<DATE>`` ("26-FEB-1987 15:01:01.79", naive, read as
UTC; a broken time of day keeps the day); topics, places, people, orgs and
exchanges from their ``<D>`` lists; authors from ``<AUTHOR>`` ("By Jane Doe,
Reuters"); source "Reuters"; language "en".

Brief stories (``<TEXT TYPE="BRIEF">``, a headline and "Blah blah blah.")
keep the headline with an empty body; unprocessed ones (``TYPE="UNPROC"``, no
markup) take their first line as the title and the rest as the body.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

from ...article import Article
from ...errors import ReadError
from ...text.dates import parse_date
from . import ReadOptions
from .encoding import detect_bom, normalise, read_file
from .text import relative_id

#: The largest .sgm file read (the distribution's are 1.3 MB each).
MAX_BYTES = 64 * 1024 * 1024
SOURCE = "Reuters"
LANGUAGE = "en"
LIST_TAGS = {"topics": "TOPICS", "places": "PLACES", "people": "PEOPLE",
             "orgs": "ORGS", "exchanges": "EXCHANGES"}

_RECORD_START = re.compile(r"<REUTERS\b([^>]*)>", re.IGNORECASE)
_RECORD_END = re.compile(r"</REUTERS\s*>", re.IGNORECASE)
_ATTR = re.compile(r'([A-Za-z]+)\s*=\s*"([^"]*)"')
_TAG_NAMES = ("DATE", "TITLE", "DATELINE", "BODY", "AUTHOR", "TEXT", *LIST_TAGS.values())
_OPEN = {name: re.compile(rf"<{name}\b[^>]*>", re.IGNORECASE) for name in _TAG_NAMES}
_CLOSE = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _TAG_NAMES}
_D = re.compile(r"<D>(.*?)</D>", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"</?[A-Za-z][^>]*>")
#: Control characters (after entities are decoded) other than tab and newline.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: The sign-off at the end of a story: "Reuter", "REUTER...", "Reuters^M".
#: "Reuter"/"REUTERS" on a line of its own, or "Reuter" (never "Reuters":
#: "… told Reuters.") after the last sentence on the same line.
_SIGNATURE = re.compile(r"(?:(?:\n|\A)[ \t]*reuters?|[ \t]+reuter)(?:[ \t]*(?:\^M|\.{2,}))*\s*\Z",
                        re.IGNORECASE)
#: Characters the sign-off search looks at first (see _drop_signature), and
#: those a sign-off longer than that is made of.
SIGNATURE_WINDOW = 64
_SIGNATURE_TAIL = re.compile(r"[\s.^mreuts]*\Z", re.IGNORECASE)
#: What BRIEF stories have for a body: "******", "Blah blah blah." or both.
_PLACEHOLDER = re.compile(r"^[\s*]*(?:blah blah blah\.?)?[\s*]*$", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,3}):(\d{2}):(\d{2})(?:\.\d+)?)?")
MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_BYLINE = re.compile(r"^\s*by\s+", re.IGNORECASE)
_AGENCY = re.compile(r"\s*,\s*reuters?\s*$", re.IGNORECASE)


def read(path: Path, root: Path, options: ReadOptions | None = None,
         problems: list[str] | None = None) -> list[Article]:
    """Read one Reuters-21578 ``.sgm`` file into Articles, in file order."""
    text = decode_sgml(read_file(path, cap=MAX_BYTES))
    resolved = str(path.resolve())
    base_id = relative_id(path, root)
    found = problems if problems is not None else []
    articles = []
    for n, (attrs, chunk) in enumerate(split_records(text), 1):
        try:
            article = parse_record(attrs, chunk, default_id=f"{base_id}#{n}", path=resolved)
        except (RecursionError, ValueError, TypeError) as exc:
            found.append(f"record {n}: unusable ({type(exc).__name__})")
            continue
        if article is None:
            found.append(f"record {n}: no title or text")
        else:
            articles.append(article)
    if not articles:
        if found:
            raise ReadError(f"{path}: no usable <REUTERS> records ({found[0]})")
        raise ReadError(f"{path}: no <REUTERS> records (not Reuters-21578 SGML)")
    return articles


def decode_sgml(data: bytes) -> str:
    """UTF-8 if the file is valid UTF-8, else Latin-1 (the corpus is ASCII
    with one stray 0xFC byte; Latin-1 never fails and keeps every byte). A
    byte-order mark (a copy saved as UTF-16) is honoured first."""
    bom = detect_bom(data)
    if bom:
        return normalise(data[bom[1]:].decode(bom[0], errors="replace"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return normalise(text)


def split_records(text: str):
    """(attribute text, record text) per ``<REUTERS …>`` start tag; a record
    runs to its ``</REUTERS>`` or, when that is missing, to the next start."""
    starts = list(_RECORD_START.finditer(text))
    for i, match in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        end = _RECORD_END.search(text, match.end(), stop)
        yield match.group(1), text[match.end(): end.start() if end else stop]


def parse_record(attrs: str, chunk: str, default_id: str, path: str | None = None) -> Article | None:
    """One record's Article, or None when it has neither title nor text."""
    attributes = {k.upper(): v for k, v in _ATTR.findall(attrs)}
    newid = attributes.get("NEWID", "").strip()
    inner = _element(chunk, "TEXT") or ""

    title = _single_line(_field(inner, "TITLE"))
    dateline = _single_line(_field(inner, "DATELINE"))
    body_raw = _field(inner, "BODY", raw=True)
    if body_raw is None:
        # BRIEF and UNPROC stories: whatever text is left outside the markup.
        rest = inner
        for name in ("TITLE", "DATELINE", "AUTHOR"):
            rest = _drop_element(rest, name)
        body_raw = _ANY_TAG.sub(" ", rest)
    cleaned = clean(body_raw, signature=True)
    if not title:
        # UNPROC stories: the headline is the first line of the raw text.
        lines = cleaned.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        title, cleaned = (_single_line(lines[0]), "\n".join(lines[1:])) if lines else ("", "")
    body = paragraphs(cleaned)
    if _PLACEHOLDER.match(body):
        body = ""
    if dateline and body:
        body = f"{dateline} {body}"
    if not title and not body and not newid:
        return None
    # A record with a NEWID is kept even when empty (one UNPROC story is):
    # the collection is a reference set and every NEWID is one of its ids.
    return Article(
        id=newid or default_id,
        title=title,
        body=body,
        source=SOURCE,
        authors=_authors(_field(inner, "AUTHOR")),
        published=reuters_date(_field(chunk, "DATE")),
        language=LANGUAGE,
        path=path,
        **{name: _codes(chunk, tag) for name, tag in LIST_TAGS.items()},
    )


def clean(raw: str, signature: bool = False) -> str:
    """Entities decoded and control characters dropped; with `signature`,
    the closing "Reuter" line removed too."""
    text = html.unescape(raw) if "&" in raw else raw
    text = _CONTROLS.sub("", text).rstrip()
    if signature:
        for _ in range(3):  # some stories are signed twice ("REUTER\n Reuter")
            text, found = _drop_signature(text)
            if not found:
                break
    return text


def _drop_signature(text: str) -> tuple[str, bool]:
    """`text` without its sign-off, and whether it had one. The pattern is
    anchored at the end, but a search tries it at every blank of the body
    (a third of reading the corpus). So it looks in the last
    SIGNATURE_WINDOW characters first, and through the whole text only when
    the sign-off may reach further back: the match begins right at the
    window's edge, or there is none and the window could all be sign-off."""
    start = len(text) - SIGNATURE_WINDOW
    if start > 0:
        match = _SIGNATURE.search(text, start)
        if (match is None and _SIGNATURE_TAIL.match(text, start)) or (
                match is not None and match.start() == start):
            match = _SIGNATURE.search(text)
    else:
        match = _SIGNATURE.search(text)
    if match is None:
        return text, False
    return text[:match.start()], True


def paragraphs(text: str) -> str:
    """Join wrapped lines; an indented line (or a blank one) starts a new
    paragraph. Paragraphs are separated by a blank line."""
    paras: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if not line.strip() or line[:1] in (" ", "\t"):
            if current:
                paras.append(" ".join(current))
                current = []
        if line.strip():
            current.append(" ".join(line.split()))
    if current:
        paras.append(" ".join(current))
    return "\n\n".join(paras)


def reuters_date(raw: str | None):
    """ "26-FEB-1987 15:01:01.79" → 1987-02-26 15:01:01 UTC. Trailing junk is
    ignored; a time of day that cannot be read ("605:12:19") keeps the day."""
    if not raw:
        return None
    match = _DATE.search(_CONTROLS.sub(" ", html.unescape(raw)))
    if not match:
        return parse_date(raw.strip())
    day, month, year, hour, minute, second = match.groups()
    month_no = MONTHS.get(month.upper())
    if month_no is None:
        return None
    for fields in ((hour, minute, second), (0, 0, 0)):
        if fields[0] is None:
            continue
        try:
            moment = datetime(int(year), month_no, int(day), *map(int, fields), tzinfo=timezone.utc)
        except ValueError:
            continue
        return parse_date(moment)  # the shared range check
    return None


def _element(chunk: str, name: str) -> str | None:
    """The raw text inside the first ``<NAME …>…</NAME>`` (to the end of
    `chunk` when the end tag is missing), or None when there is none."""
    start = chunk.find(f"<{name}>")
    if start >= 0:
        start += len(name) + 2
    else:
        match = _OPEN[name].search(chunk)
        if match is None:
            return None
        start = match.end()
    end = chunk.find(f"</{name}>", start)
    if end < 0:
        match = _CLOSE[name].search(chunk, start)
        end = match.start() if match else len(chunk)
    return chunk[start:end]


def _drop_element(chunk: str, name: str) -> str:
    """`chunk` without its first NAME element (tags and content)."""
    match = _OPEN[name].search(chunk)
    if match is None:
        return chunk
    close = _CLOSE[name].search(chunk, match.end())
    return chunk[:match.start()] + " " + (chunk[close.end():] if close else "")


def _field(chunk: str, name: str, raw: bool = False) -> str | None:
    value = _element(chunk, name)
    if value is None:
        return None if raw else ""
    return value if raw else clean(value)


def _single_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _codes(chunk: str, tag: str) -> list[str]:
    inner = _element(chunk, tag)
    if not inner:
        return []
    values = []
    for value in _D.findall(inner):
        value = " ".join(clean(value).split())
        if value and value not in values:
            values.append(value)
    return values


def _authors(raw: str) -> list[str]:
    """ "    By Jane Doe, Reuters" → ["Jane Doe"]."""
    name = _AGENCY.sub("", _BYLINE.sub("", " ".join(raw.split())))
    parts = re.split(r"\s+and\s+|\s*,\s*", name) if name else []
    return [p.strip() for p in parts if p.strip()]
