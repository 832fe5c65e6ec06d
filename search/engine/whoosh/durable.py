"""Durable file operations: what a commit needs to survive a power cut.

A write is only on disk once its file is fsynced, and a new name (a created
or renamed file, a new folder) only once its folder is. Lucene's commit
order is followed throughout: fsync every new file, write the new table of
contents under a temporary name, fsync it, rename it, fsync the folder, and
only then delete what the previous commit used (see `toc.write_toc` and
`segment_writer.NewsSegmentWriter._commit_toc`).
"""

from __future__ import annotations

import os
import zlib

#: Bytes read at a time when checksumming a file.
CHUNK = 1 << 20


def fsync_dir(path: str | os.PathLike) -> None:
    """Make the names in folder `path` (created, renamed, deleted) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: str | os.PathLike, data: bytes) -> None:
    """Replace `path` by `data` atomically and durably: write a temporary
    file beside it, fsync it, rename it over `path`, fsync the folder."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(folder)


def checksum_and_sync(path: str | os.PathLike) -> tuple[int, int]:
    """(size, CRC32) of a file just written, which is fsynced on the way
    (the bytes are still in the page cache: reading them back is cheap)."""
    with open(path, "rb") as fh:
        size, crc = checksum_of(fh)
        os.fsync(fh.fileno())
    return size, crc


def checksum(path: str | os.PathLike) -> tuple[int, int]:
    """(size, CRC32) of a file."""
    with open(path, "rb") as fh:
        return checksum_of(fh)


def checksum_of(fh) -> tuple[int, int]:
    size, crc = 0, 0
    while chunk := fh.read(CHUNK):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
    return size, crc
