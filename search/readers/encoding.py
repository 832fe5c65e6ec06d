"""Turning file bytes into text."""

from __future__ import annotations

from ..errors import ReadError

BOMS = {b"\xef\xbb\xbf": "utf-8-sig", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}


def decode(data: bytes, name: str) -> str:
    """Decode a text file: BOM first, then UTF-8, then CP1252 (what old news
    archives with a stray `£` byte usually are). Binary data is refused."""
    for bom, codec in BOMS.items():
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if b"\x00" in data[:4096]:
        raise ReadError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
