"""A term's table entry (:class:`NewsTermInfo`: statistics and, for short
lists, the postings themselves) and the term table reader and cursor over
the front-coded dictionary (`termdict`)."""

from __future__ import annotations

import struct
from bisect import bisect_left

from whoosh.codec.base import FieldCursor
from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.system import pack_int, pack_long, unpack_long
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..termdict import TermDictReader
from .records import DecodedPostings, _pack_uints, _unpack_uints, encode_postings

# --- term entries -----------------------------------------------------------

class NewsTermInfo(W3TermInfo):
    """Term statistics and, for short posting lists, the postings themselves.

    A long list's entry is W3's (flags, weight, df, min/max length, max
    weight, first/last id, then the postings' offset and length). A short
    list's entry is 4 bytes — a marker, df, min and max length — and the
    postings record, from which the rest is derived: W3's 26-byte header
    made up half of the term table, where most terms are rare."""

    _COMPACT = struct.Struct("<BBBB")
    #: A long list's whole entry: W3's header, then the postings' offset
    #: (pack_long) and length (pack_int), read in one unpack.
    _POINTER = struct.Struct(W3TermInfo._struct.format + "qi")
    _INLINE_MARK = 2  # W3 writes 0 (pointer) or 1 (pickled postings)

    def to_bytes(self) -> bytes:
        minlength = 0 if self._minlength is None else length_to_byte(self._minlength)
        if self.is_inlined():
            postings = self._inlined
            if isinstance(postings, DecodedPostings):  # read from disk
                record = encode_postings(postings.ids, list(postings.weights),
                                         list(postings.values()))
            else:
                record = encode_postings(*postings)
            return self.inline_entry(self._df, self._minlength, self._maxlength, record)
        minid = 0xFFFFFFFF if self._minid is None else self._minid
        maxid = 0xFFFFFFFF if self._maxid is None else self._maxid
        head = self._struct.pack(0, self._weight, self._df, minlength,
                                 length_to_byte(self._maxlength), self._maxweight,
                                 minid, maxid)
        return head + pack_long(self._offset) + pack_int(self._length)

    @classmethod
    def inline_entry(cls, df: int, minlength: int | None, maxlength: int,
                     record: bytes) -> bytes:
        """The stored entry of a short list: its postings' `record`
        (encode_postings) behind the 4-byte header."""
        return cls._COMPACT.pack(cls._INLINE_MARK, df,
                                 0 if minlength is None else length_to_byte(minlength),
                                 length_to_byte(maxlength)) + record

    @classmethod
    def from_bytes(cls, data: bytes) -> "NewsTermInfo":
        info = cls()
        if data[0] == cls._INLINE_MARK:
            _, df, minlen, maxlen = cls._COMPACT.unpack(data[:cls._COMPACT.size])
            postings = DecodedPostings(data[cls._COMPACT.size:], df)
            info._inlined = postings
            info._df, info._weight = df, float(sum(postings.weights))
            info._maxweight = float(max(postings.weights))
            info._minid, info._maxid = postings.ids[0], postings.ids[-1]
            info._minlength, info._maxlength = byte_to_length(minlen), byte_to_length(maxlen)
            return info
        (flags, weight, df, minlen, maxlen, maxweight, minid, maxid, offset,
         length) = cls._POINTER.unpack_from(data)
        if flags:
            raise ValueError("W3's pickled inline postings are not a NewsCodec layout")
        info._weight, info._df, info._maxweight = weight, df, maxweight
        info._minlength, info._maxlength = byte_to_length(minlen), byte_to_length(maxlen)
        info._minid = None if minid == 0xFFFFFFFF else minid
        info._maxid = None if maxid == 0xFFFFFFFF else maxid
        info._offset, info._length = offset, length
        return info

    @classmethod
    def shifted(cls, data: bytes, shift: int) -> bytes | None:
        """A stored entry with its inlined postings' ids moved up by `shift`
        (merging: the term's only postings, renumbered without decoding
        weights or values); None if the entry is not an inlined one."""
        if data[0] != cls._INLINE_MARK:
            return None
        head = cls._COMPACT.size
        deltas, end = _unpack_uints(data, head, data[1])
        numbers = deltas.tolist()
        numbers[0] += shift
        return data[:head] + _pack_uints(numbers) + data[end:]

    @classmethod
    def moved(cls, data: bytes, delta: int) -> bytes:
        """A stored entry with its postings' offset in the postings file
        moved by `delta` (an inlined entry has none: returned as it is)."""
        if data[0] == cls._INLINE_MARK:
            return data
        at = cls._struct.size
        return data[:at] + pack_long(unpack_long(data[at:at + 8])[0] + delta) + data[at + 8:]

    def add_block(self, block) -> None:
        """W3's, through add_figures (which a block encoded elsewhere uses)."""
        self.add_figures(sum(block._weights), len(block), block.min_length(),
                         block.max_length(), block.max_weight(), block.min_id(),
                         block.max_id())

    def add_figures(self, weight, count: int, minlength, maxlength: int, maxweight,
                    first: int, last: int) -> None:
        """Count a block of `count` postings into the term's statistics."""
        self._weight += weight
        self._df += count
        self._minlength = (minlength if self._minlength is None
                           else min(self._minlength, minlength))
        self._maxlength = max(self._maxlength, maxlength)
        self._maxweight = max(self._maxweight, maxweight)
        if self._minid is None:
            self._minid = first
        self._maxid = last

    def inlined_postings(self):
        postings = self._inlined
        if isinstance(postings, DecodedPostings):  # read from disk
            return postings.ids, postings.weights, postings
        return self._inlined


class NewsFieldCursor(FieldCursor):
    """Walks one field's terms in order (Whoosh's fuzzy and pattern
    queries use it). It moves over keys only, by its place in the term
    dictionary (block, index): a fuzzy or wildcard word jumps through the
    terms, in every segment, and each jump was a walk started and a block's
    rest copied. An entry is looked up when asked for."""

    def __init__(self, tindex, fieldname, keycoder, fieldobj):
        self._tindex, self._fieldobj = tindex, fieldobj
        self._prefix = keycoder(fieldname, b"")
        self._block, self._at, self._keys, self._whole = 0, 0, [], True
        self._text = self._key = None
        self.first()

    def first(self):
        return self._start(self._prefix)

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        return self._start(self._prefix + term)

    def _start(self, key: bytes):
        if self._key is not None and self._key < key and self._ahead_in_block(key):
            # A jump within the block the cursor is in (most of a `word~2`'s
            # jumps: 21,500 of 30,000 on Reuters' ten segments) goes on from
            # here; seeking read the block again from its start each time.
            if not self._whole:
                self._keys, self._whole = self._tindex.block_keys(self._block), True
            self._at = bisect_left(self._keys, key, self._at)
            return self._read()
        self._block, self._at, self._keys, self._whole = self._tindex.seek(key)
        return self._read()

    def _ahead_in_block(self, key: bytes) -> bool:
        """Is `key`, after the cursor's key, before the next block's first?"""
        after = self._tindex.first_key_after(self._block)
        return after is None or key < after

    def next(self):
        if self._key is None:
            return None
        self._at += 1
        return self._read()

    def _read(self):
        if self._at >= len(self._keys) and not self._whole:  # (the rest of a block read in part)
            self._keys, self._whole = self._tindex.block_keys(self._block), True
        while self._at >= len(self._keys):  # (on into the next block)
            keys = self._tindex.block_keys(self._block + 1)
            if keys is None:
                return self._end()
            self._block, self._at, self._keys = self._block + 1, 0, keys
        key = self._keys[self._at]
        if not key.startswith(self._prefix):
            return self._end()
        self._text = self._fieldobj.from_bytes(key[len(self._prefix):])
        self._key = key
        return self._text

    def _end(self):
        self._text = self._key = None
        return None

    def text(self):
        return self._text

    def term_info(self):
        return None if self._key is None else NewsTermInfo.from_bytes(self._tindex[self._key])

    def is_valid(self) -> bool:
        return self._key is not None


class NewsTermsReader(W3TermsReader):
    def __init__(self, codec, dbfile, length, postfile):
        # W3's, reading the front-coded term dictionary.
        self._codec, self._dbfile, self._postfile = codec, dbfile, postfile
        self._tindex = TermDictReader(dbfile, length)
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, number in self._fieldmap.items():
            self._fieldunmap[number] = fieldname

    def cursor(self, fieldname, fieldobj):
        return NewsFieldCursor(self._tindex, fieldname, self._keycoder, fieldobj)

    def field_entries(self, fieldname: str):
        """(term bytes, stored entry) of every term of a field, in term
        order, the entries undecoded (merging copies most of them as they
        are: see NewsTermInfo.shifted)."""
        if fieldname not in self._fieldmap:
            return
        prefix = self._keycoder(fieldname, b"")
        for key, entry in self._tindex.items_from(prefix):
            if not key.startswith(prefix):
                return
            yield key[len(prefix):], entry

    def items(self):
        decode = self._keydecoder
        return ((decode(k), NewsTermInfo.from_bytes(v)) for k, v in self._tindex.items())

    def items_from(self, fieldname, prefix):
        decode = self._keydecoder
        return ((decode(k), NewsTermInfo.from_bytes(v))
                for k, v in self._tindex.items_from(self._keycoder(fieldname, prefix)))

    # Not read at W3's fixed offsets: compact entries have none. A missing
    # term counts 0, as with W3.
    def frequency(self, fieldname, tbytes):
        value = self._tindex.get(self._keycoder(fieldname, tbytes))
        return NewsTermInfo.from_bytes(value).weight() if value is not None else 0

    def doc_frequency(self, fieldname, tbytes):
        value = self._tindex.get(self._keycoder(fieldname, tbytes))
        return NewsTermInfo.from_bytes(value).doc_frequency() if value is not None else 0

    def term_info(self, fieldname, tbytes):
        key = self._keycoder(fieldname, tbytes)
        try:
            return NewsTermInfo.from_bytes(self._tindex[key])
        except KeyError:
            from whoosh.reading import TermNotFound

            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None
