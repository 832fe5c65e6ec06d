"""The table of contents (TOC) of a generation: what one commit holds, written
durably, checksummed, and read without running code.

A Whoosh TOC (``_MAIN_<n>.toc``) holds the pickled schema and segment list.
Ours is Whoosh's layout followed by a footer::

    [Whoosh TOC bytes][checksums: JSON][u32 JSON length][u32 CRC32][magic]

The CRC32 covers everything before it; the JSON maps every file of the
commit's segments to its size and CRC32 (Lucene keeps a CRC32 footer in each
file; a manifest in the TOC leaves the codec's files as they are). Whoosh's
reader stops at the end of its pickle, so the footer costs it nothing. A TOC
without a footer (written before checksums) is read if it parses exactly.

Committing (:func:`commit`) follows Lucene: checksum and fsync every new
segment file, write the TOC under a temporary name, fsync it, rename it,
fsync the folder; Whoosh's ``clean_files`` deletes what the previous commit
used only after that.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import zlib

from whoosh.codec.base import Segment
from whoosh.fields import ensure_schema
from whoosh.filedb.structfile import StructFile
from whoosh.index import _CURRENT_TOC_VERSION, _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE, TOC
from whoosh.index import clean_files
from whoosh import __version__ as WHOOSH_VERSION

from ...errors import IndexDamagedError
from . import durable, safepickle

#: The last 8 bytes of a TOC with our footer.
MAGIC = b"NSTOC\x00v1"
FOOTER = struct.Struct("<II8s")  # JSON length, CRC32 of all before, MAGIC
#: Suffix of a TOC being written (a crash may leave one; the next commit
#: deletes it).
TEMP_SUFFIX = ".tmp"

Checksums = dict[str, list[int]]  # file name → [size, CRC32]

safepickle.install()


def write_toc(storage, indexname: str, schema, segments: list, generation: int,
              checksums: Checksums) -> None:
    """Write generation `generation`'s TOC durably (temporary name, fsync,
    rename, fsync of the folder)."""
    body = _encode(ensure_schema(schema), segments, generation)
    sums = json.dumps({"files": checksums}, sort_keys=True).encode("utf-8")
    data = body + sums
    data += FOOTER.pack(len(sums), zlib.crc32(data), MAGIC)
    name = TOC._filename(indexname, generation)
    tmp = os.path.join(storage.folder, name + TEMP_SUFFIX)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, os.path.join(storage.folder, name))
    durable.fsync_dir(storage.folder)


def read_toc(storage, indexname: str, generation: int | None = None, schema=None) -> TOC:
    """The TOC of `generation` (default: the latest), with its checksums as
    ``.checksums`` (None for a TOC written before checksums). IndexDamagedError
    if it is missing, empty, fails its checksum or holds a forbidden pickle."""
    if generation is None:
        generation = TOC._latest_generation(storage, indexname)
        if generation < 0:
            raise IndexDamagedError(shown(storage, f"_{indexname}_*.toc"),
                                    "no table of contents")
    name = TOC._filename(indexname, generation)
    with open(os.path.join(storage.folder, name), "rb") as fh:  # FileNotFoundError: a race
        data = fh.read()
    try:
        body, checksums = split_footer(data)
        toc = _decode(body, generation, schema, exact=checksums is None)
    except IndexDamagedError:
        raise
    except ValueError as exc:
        raise IndexDamagedError(shown(storage, name), str(exc)) from None
    except Exception as exc:  # whatever a damaged pickle or varint raises
        raise IndexDamagedError(shown(storage, name),
                                f"unreadable ({type(exc).__name__}: {exc})") from None
    toc.checksums = checksums
    return toc


def split_footer(data: bytes) -> tuple[bytes, Checksums | None]:
    """(Whoosh's TOC bytes, checksums) of a TOC file's bytes; checksums are
    None if it has no footer. ValueError if damaged."""
    if not data:
        raise ValueError("empty file (a write lost in a power cut?)")
    if not data.endswith(MAGIC):
        return data, None
    if len(data) < FOOTER.size:
        raise ValueError("truncated")
    length, crc, _ = FOOTER.unpack(data[-FOOTER.size:])
    if zlib.crc32(data[:-FOOTER.size]) != crc:
        raise ValueError("checksum mismatch")
    end = len(data) - FOOTER.size - length
    if end < 0:
        raise ValueError("bad footer")
    return data[:end], json.loads(data[end:-FOOTER.size])["files"]


def read_checksums(storage, indexname: str, generation: int) -> Checksums | None:
    """Only the checksums of a generation's TOC (None if it has none or
    cannot be read): a commit's files carried over need no new checksum."""
    try:
        with open(os.path.join(storage.folder, TOC._filename(indexname, generation)), "rb") as fh:
            return split_footer(fh.read())[1]
    except (OSError, ValueError):
        return None


def commit(storage, indexname: str, schema, segments: list, generation: int) -> None:
    """Make `segments` generation `generation`, durably; then delete the
    files of the previous one that this one does not use."""
    checksums = sync_segment_files(storage, indexname, segments,
                                   read_checksums(storage, indexname, generation - 1) or {})
    write_toc(storage, indexname, schema, segments, generation, checksums)
    clean_files(storage, indexname, generation, segments)
    # A TOC being written when a crash came (ours, or Whoosh's
    # "_MAIN_<n>.toc.<time>" from earlier versions): in no commit.
    temporary = re.compile(rf"_{re.escape(indexname)}_[0-9]+\.toc\..+")
    for name in storage.list():
        if temporary.fullmatch(name):
            _remove(storage, name)


def sync_segment_files(storage, indexname: str, segments: list, known: Checksums) -> Checksums:
    """Checksums of every file of `segments`: `known` ones kept, new ones
    computed and fsynced (Whoosh writes them without fsync)."""
    checksums = {}
    for name in segment_files(storage, indexname, segments):
        checksums[name] = known.get(name) or list(
            durable.checksum_and_sync(os.path.join(storage.folder, name)))
    return checksums


def verify_segments(storage, indexname: str, segments: list, generation: int) -> None:
    """Check the files of `segments` against generation `generation`'s
    checksums (IndexDamagedError if one differs). A merge calls it on its
    sources: merged, a damaged segment would get a new, valid checksum."""
    checksums = read_checksums(storage, indexname, generation) or {}
    for segment in segments:
        for name in files_of(segment, checksums):
            path = os.path.join(storage.folder, name)
            try:
                found = list(durable.checksum(path))
            except FileNotFoundError:
                raise IndexDamagedError(shown(storage, name), "missing") from None
            if found != checksums[name]:
                raise IndexDamagedError(shown(storage, name), "checksum mismatch")


def segment_files(storage, indexname: str, segments: list) -> list[str]:
    """The names of the files in `storage` belonging to `segments`."""
    ids = {segment.segment_id() for segment in segments}
    pattern = TOC._segment_pattern(indexname)
    return sorted(name for name in storage.list()
                  if (m := pattern.match(name)) and m.group(1) in ids)


def files_of(segment, checksums: Checksums) -> list[str]:
    """The files of `segment` named in a TOC's checksums."""
    prefix = segment.segment_id() + "."
    return sorted(name for name in checksums if name.startswith(prefix))


def _encode(schema, segments: list, generation: int) -> bytes:
    """Whoosh's TOC layout (as whoosh.index.TOC.write writes it)."""
    import pickle

    schema.clean()
    stream = StructFile(io.BytesIO())
    for size in (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE):
        stream.write_varint(size)
    stream.write_int(-12345)
    stream.write_int(_CURRENT_TOC_VERSION)
    for number in WHOOSH_VERSION[:3]:
        stream.write_varint(number)
    stream.write_string(pickle.dumps(schema, 2))
    stream.write_int(generation)
    stream.write_int(0)  # unused
    stream.write_pickle(segments)
    return stream.file.getvalue()


def _decode(body: bytes, generation: int, schema, exact: bool) -> TOC:
    """Read Whoosh's TOC layout with restricted unpickling (`exact`: the
    bytes must end where the segment list does)."""
    stream = StructFile(io.BytesIO(body))
    for size in (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE):
        if stream.read_varint() != size:
            raise ValueError("written on another architecture, or damaged")
    if stream.read_int() != -12345:
        raise ValueError("byte order mark misread")
    version = stream.read_int()
    if version != _CURRENT_TOC_VERSION:
        raise ValueError(f"unknown table of contents version {version}")
    release = tuple(stream.read_varint() for _ in range(3))
    pickled_schema = stream.read_string()
    schema = ensure_schema(schema or safepickle.loads(pickled_schema))
    if stream.read_int() != generation:
        raise ValueError("generation number differs from its file name")
    stream.read_int()  # unused
    segments = safepickle.load(stream.file)
    if exact and stream.file.tell() != len(body):
        raise ValueError("trailing bytes after the segment list")
    if not isinstance(segments, list) or not all(isinstance(s, Segment) for s in segments):
        raise ValueError("the segment list is not a list of segments")
    return TOC(schema, segments, generation, version=version, release=release)


def shown(storage, name: str) -> str:
    """A file's name as messages show it: with its generation folder."""
    return os.path.join(os.path.basename(os.path.normpath(storage.folder)), name)


def _remove(storage, name: str) -> None:
    try:
        storage.delete_file(name)
    except OSError:
        pass
