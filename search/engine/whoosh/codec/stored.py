"""Stored fields: per-document dicts pickled, each compressed on its own
with zstd against a per-segment preset dictionary, as a Whoosh column
(:class:`StoredDocsColumn`). Segments written before it hold them
zlib-compressed :data:`DOCS_PER_BLOCK` documents at a time
(:class:`StoredBlocksColumn`); both are read, the column's last bytes say
which (:data:`STORED`)."""

from __future__ import annotations

import pickle
import struct
import threading
import zlib
from array import array

from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3PerDocReader, W3PerDocWriter
from whoosh.columns import Column, ColumnReader, ColumnWriter

from .. import safepickle
from ..segment_cache import LRU
from .records import _BIG_ENDIAN

#: Stored-field documents compressed together (a lookup decompresses them all).
#: 16, not 32: a page of hits decompresses about one block per hit, and a
#: 32-article block cost 0.14 ms on Reuters, 0.30 ms on BBC (16: 0.08, 0.16);
#: with the dictionary below, halving the blocks added 2% to stored text.
DOCS_PER_BLOCK = 16
#: Decompressed stored-field blocks kept per segment (a page of hits, facets).
CACHED_BLOCKS = 32
#: Stored-field blocks sampled for the segment's preset zlib dictionary, the
#: bytes taken from each sampled article, and the dictionary's size.
DICT_BLOCKS = 16
DICT_SAMPLE = 512
DICT_BYTES = 32 * 1024
#: zlib level of stored-field blocks. Reuters-21578's stored articles at
#: level 6: 0.89 s, 8.48 MB; at 5: 0.63 s, 8.56 MB; at 4: 0.44 s, 8.80 MB;
#: at 3: 0.44 s, 9.01 MB. Since the indexing process writes every article
#: itself (see text_builder), their compression is on its critical path.
STORED_LEVEL = 4

# --- stored fields ------------------------------------------------------------

def _table_and_dictionary(dbfile, end: int) -> tuple[array, bytes]:
    """The offset table and the dictionary of a stored column whose
    dictionary length and count (uint32 each) end at `end`: the table
    (uint64, one more than the count) before them, the dictionary before it."""
    zlength, count = struct.unpack("<II", dbfile.get(end - 8, 8))
    table_at = end - 8 - 8 * (count + 1)
    table = array("Q")
    table.frombytes(dbfile.get(table_at, 8 * (count + 1)))
    if _BIG_ENDIAN:
        table.byteswap()
    return table, bytes(dbfile.get(table_at - zlength, zlength))


class _DocumentsWriter(ColumnWriter):
    """What both stored-field writers share: documents pickled one by one
    (or given pickled), gaps filled with empty ones; `_push` packs them."""

    _count = 0

    def add(self, docnum: int, value) -> None:
        # Each document pickled on its own: every read unpickles fresh
        # objects, so a caller changing a stored list changes no cache.
        self.add_pickled(docnum, pickle.dumps(value, 4) if value else b"")

    def add_pickled(self, docnum: int, data: bytes) -> None:
        """A document's stored dict as `Reader.pickled` gave it (merging:
        copied without unpickling and pickling it again)."""
        while self._count < docnum:
            self._push(b"")
        self._push(data)

    def _push(self, data: bytes) -> None:
        raise NotImplementedError


class StoredBlocksColumn(Column):
    """Per-document stored dicts, pickled and zlib-compressed in blocks of
    DOCS_PER_BLOCK documents, against a preset dictionary: the openings of
    articles sampled from the segment's first blocks (a 16-article block is
    shorter than zlib's window, so its first articles had nothing to refer
    back to; the dictionary took 8% off Reuters' stored text at no cost in
    reading; segments of fewer than DICT_BLOCKS blocks have none). Layout:
    the blocks, the dictionary, a table of the blocks' offsets (uint64, one
    more than there are blocks), then the dictionary's length and the block
    count (uint32 each)."""

    def writer(self, dbfile):
        return self.Writer(dbfile)

    @staticmethod
    def dictionary(pickles: list[bytes]) -> bytes:
        """The preset dictionary for documents whose stored dicts pickle to
        `pickles` (the first DICT_BLOCKS blocks' worth): the openings of a
        sample of them, DICT_BYTES at most."""
        docs = [doc for doc in pickles if doc]
        step = max(len(docs) * DICT_SAMPLE // DICT_BYTES, 1)
        return b"".join(doc[:DICT_SAMPLE] for doc in docs[::step])[-DICT_BYTES:]

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(_DocumentsWriter):
        def __init__(self, dbfile):
            self._dbfile = dbfile
            self._start = dbfile.tell()
            self._block: list = []
            self._offsets: list[int] = []
            self._count = 0
            self._zdict: bytes | None = None  # chosen once DICT_BLOCKS are in
            self._waiting: list[list[bytes]] = []  # blocks before it

        def _push(self, value) -> None:
            self._block.append(value)
            self._count += 1
            if len(self._block) == DOCS_PER_BLOCK:
                self._flush()

        def _flush(self) -> None:
            block, self._block = self._block, []
            if self._zdict is None:
                self._waiting.append(block)
                if len(self._waiting) == DICT_BLOCKS:
                    self._choose_dictionary()  # writes the waiting blocks
                return
            self._write(block)

        def _choose_dictionary(self) -> None:
            self._release(StoredBlocksColumn.dictionary(
                [doc for block in self._waiting for doc in block]))

        def preset(self, zdict: bytes) -> None:
            """Compress against `zdict` (see `dictionary`) rather than one
            chosen from this column's first blocks: segments built apart
            for one run share it, and their blocks merge without being
            compressed again (see `copy_blocks`). Before any document."""
            if self._count or self._zdict is not None:
                raise ValueError("the dictionary is set before the first document")
            self._zdict = zdict

        def copy_blocks(self, reader: "StoredBlocksColumn.Reader", docnum: int) -> bool:
            """Append a segment's whole stored column (`reader`) as documents
            `docnum` on, its compressed blocks copied as they are; False
            (nothing done) unless they fit: the same dictionary, and this
            column at a block's start. A column with nothing in it yet takes
            the reader's dictionary. The last block, if short, is unpacked
            (the next documents fill it up)."""
            while self._count < docnum:
                self._push(b"")
            if self._block or self._count % DOCS_PER_BLOCK:
                return False
            if not reader._zdict:
                return False
            if self._zdict is None and not self._count and not self._waiting:
                self._zdict = reader._zdict
            if self._zdict != reader._zdict:
                return False
            full, rest = divmod(len(reader), DOCS_PER_BLOCK)
            for number in range(full):
                self._offsets.append(self._dbfile.tell() - self._start)
                self._dbfile.write(reader.raw_block(number))
            self._count += full * DOCS_PER_BLOCK
            for data in (reader._block(full)[:rest] if rest else ()):
                self._push(data)
            return True

        def _release(self, zdict: bytes) -> None:
            """Settle the dictionary and write the blocks waiting for it."""
            self._zdict = zdict
            waiting, self._waiting = self._waiting, []
            for block in waiting:
                self._write(block)

        def _write(self, block: list[bytes]) -> None:
            self._offsets.append(self._dbfile.tell() - self._start)
            packer = (zlib.compressobj(STORED_LEVEL, zdict=self._zdict) if self._zdict
                      else zlib.compressobj(STORED_LEVEL))
            raw = pickle.dumps(block, 4)
            self._dbfile.write(packer.compress(raw) + packer.flush())

        def finish(self, doccount: int) -> None:
            while self._count < doccount:
                self._push(b"")
            if self._block:
                self._flush()
            if self._zdict is None:  # too few blocks to pay for a dictionary
                self._release(b"")
            self._dbfile.write(self._zdict)
            table = array("Q", [*self._offsets, self._dbfile.tell() - self._start
                                - len(self._zdict)])
            if _BIG_ENDIAN:
                table.byteswap()
            self._dbfile.write(table.tobytes())
            self._dbfile.write(struct.pack("<II", len(self._zdict), len(self._offsets)))

    class Reader(ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            self._dbfile, self._basepos, self._doccount = dbfile, basepos, doccount
            self._offsets, self._zdict = _table_and_dictionary(dbfile, basepos + length)
            self._blocks = LRU(CACHED_BLOCKS)  # block number → decompressed block

        def __len__(self) -> int:
            return self._doccount

        def _block(self, number: int) -> list:
            return self._blocks.get(number, lambda: self._decompress(number))

        def _decompress(self, number: int) -> list:
            data = self.raw_block(number)
            unpacker = (zlib.decompressobj(zdict=self._zdict) if self._zdict
                        else zlib.decompressobj())
            return safepickle.loads(unpacker.decompress(data) + unpacker.flush())

        def __getitem__(self, docnum: int):
            value = self.pickled(docnum)
            return safepickle.loads(value) if value else None

        def raw_block(self, number: int) -> bytes:
            """Block `number` as stored: compressed (see Writer.copy_blocks)."""
            start, end = self._offsets[number], self._offsets[number + 1]
            return bytes(self._dbfile.get(self._basepos + start, end - start))

        def pickled(self, docnum: int) -> bytes:
            """A document's stored dict, still pickled (b"" if it has none)."""
            return self._block(docnum // DOCS_PER_BLOCK)[docnum % DOCS_PER_BLOCK]

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]


STORED_BLOCKS = StoredBlocksColumn()

#: zstd level of stored documents. Reuters-21578's, a frame each against the
#: dictionary: level 3, 10.8 MB in 0.40 s (zlib's 16-article blocks at level
#: 4: 8.8 MB in 0.57 s); level 6, 10.1 MB in 0.71 s.
STORED_ZSTD_LEVEL = 3
#: Documents sampled for the preset dictionary (as StoredBlocksColumn's).
DICT_DOCS = DICT_BLOCKS * DOCS_PER_BLOCK
#: The last bytes of a column written a document a frame (an older column
#: ends in its dictionary's length, at most DICT_BYTES: never these).
DOCS_MAGIC = b"NSdocZ1\x00"


class StoredDocsColumn(Column):
    """Per-document stored dicts, pickled, each compressed as a zstd frame
    of its own against a preset dictionary: the openings of articles
    sampled from the column's first DICT_DOCS documents (raw content, as
    StoredBlocksColumn's). A lookup decompresses the one article it wants:
    6 µs on Reuters-21578, where a 16-article zlib block took 85 µs, and a
    page of hits is a block per hit (a fifth of a search's time), for 22%
    more stored bytes. Layout: the frames (none for a document with nothing
    stored), the dictionary, the frames' offsets (uint64, one more than
    there are documents), the dictionary's length and the document count
    (uint32 each), then DOCS_MAGIC. Its `reader` reads either layout."""

    #: The same choice of dictionary as the blocks had.
    dictionary = staticmethod(StoredBlocksColumn.dictionary)

    def writer(self, dbfile):
        return self.Writer(dbfile)

    def reader(self, dbfile, basepos, length, doccount):
        if length >= len(DOCS_MAGIC) and bytes(
                dbfile.get(basepos + length - len(DOCS_MAGIC), len(DOCS_MAGIC))) == DOCS_MAGIC:
            return self.Reader(dbfile, basepos, length, doccount)
        return StoredBlocksColumn.Reader(dbfile, basepos, length, doccount)

    class Writer(_DocumentsWriter):
        def __init__(self, dbfile):
            self._dbfile = dbfile
            self._start = dbfile.tell()
            self._offsets = array("Q")
            self._count = 0
            self._zdict: bytes | None = None  # chosen once DICT_DOCS are in
            self._waiting: list[bytes] = []  # documents before it
            self._packer = None

        def _push(self, data: bytes) -> None:
            self._count += 1
            if self._zdict is not None:
                self._write(data)
                return
            self._waiting.append(data)
            if len(self._waiting) == DICT_DOCS:
                self._release(StoredDocsColumn.dictionary(self._waiting))

        def preset(self, zdict: bytes) -> None:
            """Compress against `zdict` (see `dictionary`)
            rather than one chosen from this column's first documents:
            segments built apart for one run share it, and their frames
            merge without being compressed again (see `copy_blocks`).
            Before any document."""
            if self._count or self._zdict is not None:
                raise ValueError("the dictionary is set before the first document")
            self._release(zdict)

        def copy_blocks(self, reader, docnum: int) -> bool:
            """Append a segment's whole stored column (`reader`) as documents
            `docnum` on, its frames copied as they are; False (nothing
            done) unless they fit: the same dictionary, this layout. A
            column with nothing in it yet takes the reader's dictionary."""
            while self._count < docnum:
                self._push(b"")
            if not isinstance(reader, StoredDocsColumn.Reader) or not reader._zdict:
                return False
            if self._zdict is None and not self._waiting:
                self._release(reader._zdict)
            if self._zdict != reader._zdict:
                return False
            shift = self._dbfile.tell() - self._start
            self._offsets.extend(offset + shift for offset in reader._offsets[:-1])
            self._dbfile.write(reader.raw_frames())
            self._count += len(reader)
            return True

        def _release(self, zdict: bytes) -> None:
            """Settle the dictionary and write the documents waiting for it."""
            self._zdict, self._packer = zdict, _compressor(zdict)
            waiting, self._waiting = self._waiting, []
            for data in waiting:
                self._write(data)

        def _write(self, data: bytes) -> None:
            self._offsets.append(self._dbfile.tell() - self._start)
            if data:
                self._dbfile.write(self._packer.compress(data))

        def finish(self, doccount: int) -> None:
            while self._count < doccount:
                self._push(b"")
            if self._zdict is None:  # too few documents to pay for a dictionary
                self._release(b"")
            end = self._dbfile.tell() - self._start
            self._dbfile.write(self._zdict)
            table = array("Q", self._offsets)
            table.append(end)
            if _BIG_ENDIAN:
                table.byteswap()
            self._dbfile.write(table.tobytes())
            self._dbfile.write(struct.pack("<II", len(self._zdict), self._count))
            self._dbfile.write(DOCS_MAGIC)

    class Reader(ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            self._dbfile, self._basepos, self._doccount = dbfile, basepos, doccount
            self._offsets, self._zdict = _table_and_dictionary(
                dbfile, basepos + length - len(DOCS_MAGIC))
            # A zstd context serves one thread at a time (`serve` searches
            # in several): one each, made on first use.
            self._local = threading.local()

        def __len__(self) -> int:
            return self._doccount

        def __getitem__(self, docnum: int):
            value = self.pickled(docnum)
            return safepickle.loads(value) if value else None

        def pickled(self, docnum: int) -> bytes:
            """A document's stored dict, still pickled (b"" if it has none)."""
            if docnum >= len(self._offsets) - 1:
                return b""
            start, end = self._offsets[docnum], self._offsets[docnum + 1]
            if start == end:
                return b""
            unpacker = getattr(self._local, "unpacker", None)
            if unpacker is None:
                unpacker = self._local.unpacker = _decompressor(self._zdict)
            return unpacker.decompress(self._dbfile.get(self._basepos + start, end - start))

        def raw_frames(self) -> bytes:
            """Every document's frame, as stored (see Writer.copy_blocks)."""
            return bytes(self._dbfile.get(self._basepos, self._offsets[-1]))

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]


def _compressor(zdict: bytes):
    import zstandard  # (only writing and reading stored fields need it)

    if not zdict:
        return zstandard.ZstdCompressor(level=STORED_ZSTD_LEVEL, write_checksum=False)
    data = zstandard.ZstdCompressionDict(zdict, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    data.precompute_compress(level=STORED_ZSTD_LEVEL)
    return zstandard.ZstdCompressor(level=STORED_ZSTD_LEVEL, dict_data=data, write_checksum=False,
                                    write_dict_id=False)


def _decompressor(zdict: bytes):
    import zstandard

    if not zdict:
        return zstandard.ZstdDecompressor()
    return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(
        zdict, dict_type=zstandard.DICT_TYPE_RAWCONTENT))


#: Stored fields as written now, and read in either layout.
STORED = StoredDocsColumn()


class NewsPerDocWriter(W3PerDocWriter):
    """W3's, with field-length bytes gathered per column and written once
    at the end (W3 files each through the column machinery: an eighth of
    building a segment)."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._length_bytes: dict[str, bytearray] = {}  # length column → bytes

    def add_column_value(self, fieldname, column, value) -> None:
        if column is not whoosh3.LENGTHS_COLUMN:
            super().add_column_value(fieldname, column, value)
            return
        self._lengths_up_to(fieldname, self._docnum).append(value)

    def add_length_bytes(self, fieldname: str, docnum: int, data: bytes) -> None:
        """Length bytes (LENGTHS_COLUMN's, one a document) of documents
        `docnum` on, all at once (a merge copies a segment's like this)."""
        self._lengths_up_to(fieldname, docnum).extend(data)

    def _lengths_up_to(self, fieldname: str, docnum: int) -> bytearray:
        """A length column's bytes, padded with zeros (no length) up to `docnum`."""
        lengths = self._length_bytes.get(fieldname)
        if lengths is None:
            lengths = self._length_bytes[fieldname] = bytearray()
        if len(lengths) < docnum:
            lengths.extend(bytes(docnum - len(lengths)))
        return lengths

    def close(self) -> None:
        for name, lengths in self._length_bytes.items():
            # What LENGTHS_COLUMN's writer makes of the same bytes, one by one.
            self._create_column(name, whoosh3.LENGTHS_COLUMN)
            self._colwriters[name]._dbfile.write(bytes(lengths))
            self._colwriters[name]._count = len(lengths)
        self._length_bytes = {}
        super().close()

    def _create_column(self, fieldname, column):
        if fieldname == "_stored":
            column = STORED
        super()._create_column(fieldname, column)

    def preset_stored_dictionary(self, zdict: bytes) -> None:
        """Compress stored fields against `zdict` (StoredBlocksColumn.preset)."""
        self._colwriters["_stored"].preset(zdict)

    def copy_stored(self, reader, docnum: int) -> bool:
        """Another segment's stored fields as documents `docnum` on, frames
        copied compressed if they fit (StoredDocsColumn.Writer.copy_blocks)."""
        return self._colwriters["_stored"].copy_blocks(reader, docnum)

    def add_stored_pickle(self, data: bytes) -> None:
        """The current document's stored fields, as NewsPerDocReader.
        stored_pickle gave them (in place of add_field's stored values)."""
        self._colwriters["_stored"].add_pickled(self._docnum, data)


class NewsPerDocReader(W3PerDocReader):
    def stored_fields(self, docnum):
        return self._cached_reader("_stored", STORED)[docnum] or {}

    def stored_column(self) -> "StoredDocsColumn.Reader | StoredBlocksColumn.Reader":
        return self._cached_reader("_stored", STORED)

    def stored_pickle(self, docnum: int) -> bytes:
        """A document's stored fields, still pickled (merging copies them)."""
        return self.stored_column().pickled(docnum)
