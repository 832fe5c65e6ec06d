"""CSV and TSV files of articles: one row per article, with or without a
header row.

A first row that names no known column but looks like data (a number, a
sentence) is taken as the first record of a header-less file (AG News's
``class,title,description`` rows). Columns can always be mapped by 1-based
position (``--map title=2 --map body=3``); without a map, a header-less file
takes its longest text column as the body and the text column before it as
the title.

The delimiter is taken from the header line (the most frequent of ``, ; TAB |``
outside quotes; ``.tsv`` files are tab-separated). Quoted fields may span
lines and be very large (article bodies). Column names are mapped by
:mod:`search.ingest.readers.fields`. A row that cannot be used (no title and no
body) is skipped and described in `problems`; a file whose header names no
known column, or that has no usable row, raises ReadError.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterator

from ...article import Article
from ...errors import ReadError
from . import ReadOptions
from .encoding import read_text
from .fields import RecordError, RecordMapper
from .text import relative_id

DELIMITERS = (",", "\t", ";", "|")
_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")

#: The largest field read, in characters. Article bodies are far larger
#: than the csv module's 128 KB default, but a 100 MB field is not an
#: article: past this cap the row is refused (and, as the csv module cannot
#: resynchronise after an error, the rest of the file with it).
MAX_FIELD_CHARS = 16 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)


def read(path: Path, root: Path, options: ReadOptions | None = None,
         problems: list[str] | None = None) -> list[Article]:
    """Read a CSV/TSV file into Articles (see the module notes).

    `problems`, when given, receives one message per skipped row
    ("row 4 (line 6): no title or body")."""
    text = read_text(path)
    found = problems if problems is not None else []
    start = len(found)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text)
    mapper = RecordMapper.for_options(options, str(path.resolve()))
    base_id = relative_id(path, root)

    # Lines handed over one at a time: a StringIO of the text held a second,
    # four-bytes-a-character copy of it (a 100 MB file peaked at 1.8 GB).
    rows = csv.reader(lines_of(text), delimiter=delimiter)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise ReadError(f"{path}: unreadable CSV header ({exc})") from None
    header, pending, mapper = read_header(header or [], mapper, path)
    articles = []
    n = 0
    while True:
        line = 1 if pending else rows.line_num + 1  # a header-less file's first row is line 1
        try:
            row = pending.pop() if pending else next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            n += 1
            reason = (f"a field over the {MAX_FIELD_CHARS // (1024 * 1024)} MB cap"
                      if "field limit" in str(exc) else f"unreadable ({exc})")
            found.append(f"row {n} (line {line}): {reason}; the rest of the file is not read")
            break  # the csv module cannot resynchronise after an error
        if not any(cell.strip() for cell in row):
            continue
        n += 1
        record: dict[str, str] = {str(i): cell for i, cell in enumerate(row, 1)}  # positions
        for name, cell in zip(header, row):
            if name and (name not in record or not record[name].strip()):
                record[name] = cell
        try:
            articles.append(mapper.article(record, f"{base_id}#{n}"))
        except RecordError as exc:
            found.append(f"row {n} (line {line}): {exc}")
        except (RecursionError, ValueError, TypeError) as exc:
            found.append(f"row {n} (line {line}): unusable row ({type(exc).__name__})")
    if not articles and len(found) > start:
        more = len(found) - start - 1
        raise ReadError(f"{path}: no usable rows ({found[start]}{f'; {more} more' if more else ''})")
    return articles


def read_header(first_row: list[str], mapper: RecordMapper,
                path: Path) -> tuple[list[str], list[list[str]], RecordMapper]:
    """(column names, rows still to read as records, mapper) from the first
    row: a header naming known (or mapped) columns; else, if it looks like
    data, no header at all (names all "", the row is the first record, the
    columns guessed where not mapped); else a header the map addresses by
    number; else a ReadError that says how to map."""
    header = [h.strip() for h in first_row]
    if not any(header):
        raise ReadError(f"{path}: no header row")
    if mapper.knows_any(header):
        return header, [], mapper
    if looks_like_data(header):
        guessed = RecordMapper({**guess_columns(first_row), **mapper.field_map}, mapper.path)
        return [""] * len(header), [first_row], guessed
    if positional(mapper.field_map):
        return header, [], mapper
    shown = ", ".join(repr(h) for h in header[:6]) + (", …" if len(header) > 6 else "")
    raise ReadError(f"{path}: no known columns in the header row ({shown}); expected e.g. "
                    f"title/headline and body/text/content, or use --map (by name "
                    f"or by 1-based column number: --map body=3)")


def lines_of(text: str) -> Iterator[str]:
    """The lines of `text`, each with its newline, one copy at a time."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def looks_like_data(row: list[str]) -> bool:
    """A first row that is a record, not column names: one of its cells is a
    number or a sentence (names are short labels)."""
    cells = [c.strip() for c in row if c.strip()]
    return any(_NUMBER.match(c) or len(c.split()) > 3 or len(c) > 40 for c in cells)


def positional(field_map: dict[str, str]) -> bool:
    """Whether the map names columns by number (``--map body=3``)."""
    return any(column.strip().isdigit() for column in field_map.values())


def guess_columns(row: list[str]) -> dict[str, str]:
    """For a header-less file: the longest text cell is the body, the text
    cell before it (else after it) the title; numbers are not text."""
    text = [i for i, c in enumerate(row, 1) if c.strip() and not _NUMBER.match(c.strip())]
    if not text:
        return {}
    body = max(text, key=lambda i: len(row[i - 1]))
    others = [i for i in text if i != body]
    before = [i for i in others if i < body]
    guess = {"body": str(body)}
    if others:
        guess["title"] = str(before[-1] if before else others[0])
    return guess


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate seen most often
    outside double quotes (a comma when there is none)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in text[:65536]:
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","
