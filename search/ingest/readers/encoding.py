"""Turning file bytes into text.

The order of evidence, strongest first:

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. strict UTF-8 (valid non-ASCII UTF-8 is almost never an accident);
3. a charset the file declares itself (``declared``: an HTML ``<meta charset>``
   or an XML declaration, passed in by the reader that found it);
4. Western text with a few stray bytes (``£``, ``é``, curly quotes): CP1252.
   charset-normalizer is bad at this case — it reads a BBC story with one
   ``£`` byte as Shift-JIS (cp932) — so it is not asked when the non-ASCII
   bytes stand alone between ASCII letters, the way CP1252 text looks;
5. otherwise charset-normalizer's best guess (Cyrillic, Greek, CJK, …);
6. CP1252 as the last resort.

Binary data is refused with :class:`ReadError`: NUL bytes that no UTF-16/32
BOM explains, or decoded text that is mostly control characters. The result
has ``\\n`` line endings and is NFC-normalised.
"""

from __future__ import annotations

from pathlib import Path

import codecs
import os
import re
import unicodedata

from ...errors import ReadError

#: Checked longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

MB = 1024 * 1024
#: The largest file any reader reads whole (JSON, JSON Lines, CSV/TSV,
#: feeds): their text is held in memory while it is parsed. Readers of
#: one-article files pass a lower cap of their own (text.MAX_BYTES).
MAX_FILE_BYTES = 256 * MB

#: How much of a file the binary checks look at.
SAMPLE = 65536
#: NUL bytes in the first KBs mean binary; further in, only if they are more
#: than a trace (one stray NUL in a 200 MB dump should not sink it).
NUL_HEAD = 8192
NUL_SHARE = 0.001
#: ... unless letters, digits and spaces are at least this share of it.
TEXT_SHARE = 0.75
#: UTF-16 without a BOM: the share of high (or low) bytes that are NUL.
UTF16_NUL_SHARE = 0.7
#: Decoded text with more than this share of control characters is not text.
CONTROL_SHARE = 0.05
#: Western text: at least this share of non-ASCII bytes stand alone (runs of
#: one or two bytes), as "café", "£5" or "don’t" do in CP1252.
WESTERN_ISOLATED_SHARE = 0.5

#: Declared labels that mean CP1252 in practice (as browsers read them).
CP1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii",
                  "windows-1252", "cp1252", "iso_8859-1"}

_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")
#: Control characters other than tab, newline, carriage return, form feed and
#: vertical tab, plus U+FFFD (what undecodable bytes became).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f\x80-\x9f\ufffd]")


def decode(data: bytes, name: str, declared: str | None = None) -> str:
    """Decode a text file's bytes (see the module notes for the order).

    `name` is used in error messages; `declared` is a charset the file
    states itself, if the caller found one. Raises ReadError for binary data.
    """
    text = _decode(data, name, declared)
    _refuse_control_heavy(text, name)
    return normalise(text)


def normalise(text: str) -> str:
    """Unify line endings to ``\\n`` and normalise to NFC."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def detect_bom(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when `data` starts with a byte-order mark, or
    (codec, 0) for UTF-16 without one (see utf16_without_bom)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    codec = utf16_without_bom(data)
    return (codec, 0) if codec else None


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" for UTF-16 text saved without a BOM: nearly
    every other byte is NUL (Latin-script text), the rest almost never.
    Such a file is text, not the binary file its NULs suggest."""
    head = data[:SAMPLE] if len(data[:SAMPLE]) % 2 == 0 else data[:SAMPLE - 1]
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= pairs * UTF16_NUL_SHARE and even <= pairs * 0.05:
        return "utf-16-le"
    if even >= pairs * UTF16_NUL_SHARE and odd <= pairs * 0.05:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """True for bytes with NULs no BOM explains (see NUL_HEAD / NUL_SHARE)."""
    if detect_bom(data):
        return False
    if b"\x00" in data[:NUL_HEAD]:
        return True
    nuls = data.count(b"\x00")
    return nuls > 0 and nuls > len(data) * NUL_SHARE


def _decode(data: bytes, name: str, declared: str | None) -> str:
    bom = detect_bom(data)
    if bom:
        codec, size = bom
        try:
            return data[size:].decode(codec)
        except UnicodeDecodeError:
            # A truncated UTF-16 file (odd length) still has readable text.
            return data[size:].decode(codec, errors="replace")
    if looks_binary(data):
        raise ReadError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _codec(declared)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    if not _looks_western(data):
        guessed = _guess(data)
        if guessed is not None:
            return guessed
    return decode_cp1252(data)


def decode_cp1252(data: bytes) -> str:
    """CP1252, with its five unassigned bytes read as Latin-1 (C1 controls)."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _codec(declared: str | None) -> str | None:
    """A Python codec name for a declared charset label, or None."""
    if not declared:
        return None
    label = declared.strip().strip("\"'").lower()
    if label in CP1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _looks_western(data: bytes) -> bool:
    """Non-ASCII bytes mostly alone between ASCII: CP1252-style text."""
    runs = [len(m) for m in _HIGH_RUNS.findall(data[: SAMPLE * 4])]
    total = sum(runs)
    if not total:
        return True
    isolated = sum(n for n in runs if n <= 2)
    return isolated / total >= WESTERN_ISOLATED_SHARE


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best reading of `data`, or None."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # a detector bug must not sink the file: CP1252 follows
        return None
    if best is None or not best.encoding:
        return None
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _refuse_control_heavy(text: str, name: str) -> None:
    sample = text[:SAMPLE]
    if not sample:
        return
    controls = len(_CONTROLS.findall(sample))
    if controls >= 4 and controls > len(sample) * CONTROL_SHARE and not _mostly_words(sample):
        raise ReadError(f"{name}: looks like a binary file, not text")


def _mostly_words(sample: str) -> bool:
    """Letters, digits and spaces make up most of `sample`, as in prose with
    a few control characters (a 20 Newsgroups post's signature box drawn
    with 0x02 bytes); binary data read as CP1252 has about half."""
    wordy = sum(1 for char in sample if char.isalnum() or char.isspace())
    return wordy >= len(sample) * TEXT_SHARE


def read_file(path: Path, *, text_only: bool = True, cap: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes, or a ReadError naming why not: unreadable, empty,
    larger than `cap` bytes, or (with `text_only`) binary.

    The size is checked before anything is read, and no more than `cap` + 1
    bytes are ever read: a 1 GB sparse file is refused at the cost of a stat,
    and a file that grows (or a /proc-like one that reports size 0) still
    cannot make us read past the cap."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > cap:
                raise ReadError(too_large(path, size, cap))
            data = fh.read((min(size, cap) if size else cap) + 1)
    except OSError as exc:
        raise ReadError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise ReadError(too_large(path, len(data), cap, at_least=True))
    if not data.strip():
        raise ReadError(f"{path}: empty file")
    if text_only and looks_binary(data):
        raise ReadError(f"{path}: looks like a binary file, not text")
    return data


def too_large(path: Path, size: int, cap: int, at_least: bool = False) -> str:
    """The refusal for a file over its cap, in megabytes."""
    more = "more than " if at_least else ""
    return (f"{path}: too large ({more}{size / MB:,.0f} MB; the cap for this kind of file is "
            f"{cap / MB:,.0f} MB: split it, see docs/readers.md)")


def read_text(path: Path, cap: int = MAX_FILE_BYTES) -> str:
    """A text file decoded (see :func:`decode`); empty text is a ReadError,
    and so is a file over `cap` bytes (see read_file)."""
    text = decode(read_file(path, text_only=False, cap=cap), str(path))
    if not text.strip():
        raise ReadError(f"{path}: empty file")
    return text
