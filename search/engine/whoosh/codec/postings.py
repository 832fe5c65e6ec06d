"""Posting lists written (flat blocks, or inlined into the term's entry) and
read back (a leaf matcher that skips by block frames; whole lists at once)."""

from __future__ import annotations

import zlib

from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher
from whoosh.matching import ListMatcher
from whoosh.system import pack_ushort, unpack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..termdict import TermDictWriter
from .records import (_ALL_ONE, _FRAME, _INT, _NO_VALUES, COMPRESS_MIN, DecodedPostings,
                      _empty_value, _pack_uints, _plain_values, encode_postings)
from .terms import NewsTermInfo

# --- writing postings ---------------------------------------------------------

class NewsPostingsWriter(whoosh3.W3PostingsWriter):
    """Buffers a term's postings; writes flat blocks, or inlines short lists."""

    def _new_block(self) -> None:
        self._ids, self._weights, self._values = [], [], []
        self._minlength, self._maxlength, self._maxweight = None, 0, 0

    def add_posting(self, id_, weight, vbytes, length=None) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        self._values.append(vbytes or b"")
        if weight > self._maxweight:
            self._maxweight = weight
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_list(self, ids, weights, values, lengths=None, bounds=None) -> None:
        """A whole posting list at once (ids ascending): whole blocks are
        cut with slices rather than built one posting at a time. Each
        posting's field length in `lengths`, or (merging, where only the
        merged terms' extremes are at hand) the (min, max) of them all in
        `bounds`: every block then claims those, which only makes score
        bounds looser, never wrong."""
        if self._ids:  # postings buffered by an earlier call go first
            self._write_block()
        count, limit = len(ids), self._blocklimit
        for start in range(0, count, limit):
            end = min(start + limit, count)
            self._ids, self._weights = list(ids[start:end]), list(weights[start:end])
            self._values = _plain_values(values[start:end])
            self._maxweight = max(self._weights)
            if lengths is not None:
                present = [n for n in lengths[start:end] if n]
                self._minlength = min(present) if present else None
                self._maxlength = max(present) if present else 0
            else:
                self._minlength, self._maxlength = bounds
            if end < count:
                self._write_block()

    def copy_blocks(self, postfile, info, shift: int, last: bool) -> None:
        """Append a merged segment's posting blocks of this term, its ids
        moved up by `shift`: frames rewritten, block data copied unread.
        Postings buffered before it are written first (ids stay ascending);
        `last`: nothing follows in this term."""
        if self._ids:
            self._write_block()
        pos = info.extent()[0]
        while True:
            (length, count, first, lastid, maxweight, minlen, maxlen,
             compressed) = _FRAME.unpack(postfile.get(pos, _FRAME.size))
            size = abs(length)
            final = length < 0
            self._postfile.write(_FRAME.pack(
                -size if final and last else size, count, first + shift, lastid + shift,
                maxweight, minlen, maxlen, compressed))
            self._postfile.write(postfile.get(pos + _FRAME.size, size + _INT - _FRAME.size))
            self._blockcount += 1
            pos += _INT + size
            if final:
                break
        mine = self._terminfo
        mine._weight += info.weight()
        mine._df += info.doc_frequency()
        mine._maxweight = max(mine._maxweight, info.max_weight())
        if info.min_length():
            mine._minlength = (info.min_length() if mine._minlength is None
                               else min(mine._minlength, info.min_length()))
        mine._maxlength = max(mine._maxlength, info.max_length() or 0)
        if mine._minid is None:
            mine._minid = info.min_id() + shift
        mine._maxid = info.max_id() + shift

    def finish_postings(self):
        terminfo = self._terminfo
        if not self.written() and len(self._ids) <= self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            terminfo.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        self._terminfo = None
        return terminfo

    def _write_block(self, last: bool = False) -> None:
        self._terminfo.add_block(self)
        self._write_frame(encode_postings(self._ids, self._weights, self._values, self._ids[0]),
                          len(self._ids), self._ids[0], self._ids[-1], self._maxweight,
                          self._minlength, self._maxlength, last)
        self._new_block()

    def add_blocks(self, blocks: list[tuple]) -> None:
        """A whole posting list as `posting_blocks` encoded it: the same
        blocks and term statistics add_list would have written."""
        for n, (record, count, first, last, weight, top, low, high) in enumerate(blocks):
            self._terminfo.add_figures(weight, count, low, high, top, first, last)
            self._write_frame(record, count, first, last, top, low, high,
                              n == len(blocks) - 1)

    def _write_frame(self, data: bytes, count: int, first: int, last_id: int, maxweight,
                     minlength, maxlength, last: bool) -> None:
        """One block: its frame, then its record (compressed if that pays)."""
        compressed = 0
        if self._compression and len(data) >= COMPRESS_MIN:
            packed = zlib.compress(data, self._compression)
            if len(packed) < len(data) * 0.9:
                data, compressed = packed, 1
        length = _FRAME.size - _INT + len(data)
        self._postfile.write(_FRAME.pack(
            -length if last else length, count, first, last_id, maxweight,
            length_to_byte(minlength or 0), length_to_byte(maxlength), compressed))
        self._postfile.write(data)
        self._blockcount += 1


class EntryList:
    """Stands in for a field writer's term table (NewsFieldWriter's
    `terms`): keeps its entries in a list, for another writer to list
    (see text_builder), rather than writing a table to read back."""

    def __init__(self):
        self.extras: dict = {}
        self.entries: list[tuple[bytes, bytes]] = []  # (field id + term, entry)

    def add(self, key: bytes, entry: bytes) -> None:
        self.entries.append((key, entry))

    def fields(self) -> list[tuple[str, list[tuple[bytes, bytes]]]]:
        """[(field, [(term, entry)])], fields in the order written."""
        found: dict[int, list] = {}
        for key, entry in self.entries:
            found.setdefault(unpack_ushort(key[:2])[0], []).append((key[2:], entry))
        names = {number: name for name, number in self.extras["fieldmap"].items()}
        return [(names[number], entries) for number, entries in found.items()]

    def close(self) -> None:
        pass


#: A one-posting list's entry, weight 1, no value or length: the header,
#: then (after the id) the record's ends (see NewsFieldWriter.add_term).
_ONE_POSTING = (NewsTermInfo.inline_entry(1, None, 0, b""), bytes((_ALL_ONE, _NO_VALUES)))


class NewsFieldWriter(W3FieldWriter):
    def __init__(self, codec, storage, segment, terms=None):
        # W3's, with the front-coded term dictionary for its hash table.
        # `terms`: where the term entries go instead (see EntryList).
        self._codec, self._storage, self._segment = codec, storage, segment
        self._fieldname = self._fieldid = self._btext = None
        self._fieldobj = self._format = None
        self._tindex = terms or TermDictWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def start_term(self, btext) -> None:
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, NewsTermInfo())

    def add_list(self, ids, weights, values, lengths=None, bounds=None) -> None:
        """The current term's whole posting list, or (merging) part of it."""
        self._postwriter.add_list(ids, weights, values, lengths, bounds)

    def copy_blocks(self, postfile, info, shift: int, last: bool) -> None:
        """Part of the current term's posting list: see NewsPostingsWriter."""
        self._postwriter.copy_blocks(postfile, info, shift, last)

    def add_blocks(self, btext: bytes, blocks: list[tuple]) -> None:
        """A whole term given as its encoded blocks (codec.posting_blocks)."""
        self.start_term(btext)
        self._postwriter.add_blocks(blocks)
        self.finish_term()

    def add_term(self, btext: bytes, ids, weights, values, lengths) -> None:
        """A whole term: its postings, each with its field length. A short
        list becomes its table entry directly, without the per-term objects
        of start_term/finish_term (the same bytes: most terms are short)."""
        if len(ids) > self._postwriter._inlinelimit:
            self.start_term(btext)
            self._postwriter.add_list(ids, weights, values, lengths)
            self.finish_term()
            return
        if len(ids) == 1 and weights[0] == 1 and not values[0] and not lengths[0]:
            # An identifier's term (an id, a text hash: one an article):
            # the entry's parts that never change made once.
            self.add_entry(btext, _ONE_POSTING[0] + _pack_uints(ids) + _ONE_POSTING[1])
            return
        present = [n for n in lengths if n]
        record = encode_postings(ids, weights, _plain_values(values))
        self.add_entry(btext, NewsTermInfo.inline_entry(
            len(ids), min(present, default=None), max(present, default=0), record))

    @property
    def inline_limit(self) -> int:
        """The longest posting list kept in its term's table entry."""
        return self._codec._inlinelimit

    @property
    def block_limit(self) -> int:
        """Postings a block of a longer list holds at most."""
        return self._codec._blocklimit

    def add_entry(self, btext: bytes, entry: bytes) -> None:
        """A whole term given as its stored entry (see NewsTermInfo.shifted)."""
        self._tindex.add(pack_ushort(self._fieldid) + btext, entry)


# --- reading postings ---------------------------------------------------------

class NewsLeafMatcher(W3LeafMatcher):
    """Walks a term's flat blocks; skipping reads only block frames."""

    def _read_header(self) -> None:
        self._baseoffset = self._startoffset

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        (length, self._blocklength, self._firstid, self._maxid, self._maxweight, minlen,
         maxlen, self._compression) = _FRAME.unpack(self._postfile.get(position, _FRAME.size))
        self._lastblock = length < 0
        self._nextoffset = position + _INT + abs(length)
        self._dataoffset = position + _FRAME.size
        self._minlength, self._maxlength = byte_to_length(minlen), byte_to_length(maxlen)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression:
            data = zlib.decompress(data)
        self._data = DecodedPostings(data, self._blocklength, self._firstid)
        self._ids, self._weights = self._data.ids, self._data.weights

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()

    _read_weights = _read_ids  # one decode sets both

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        self._values = self._data.values(_empty_value(self.format))


def posting_ids(matcher) -> list[int]:
    """Every document number of a raw (unfiltered) posting matcher, read a
    block at a time where the codec allows."""
    if isinstance(matcher, NewsLeafMatcher):
        ids: list[int] = []
        for block in _blocks(matcher):
            ids.extend(block.ids)
        return ids
    if isinstance(matcher, ListMatcher):
        return list(matcher._ids)
    return list(matcher.all_ids())


def read_postings(terms, terminfo, format_) -> tuple[list[int], list[float], tuple]:
    """A term's whole posting list — ids, weights, values — from a segment's
    terms reader and the term's entry: decoded a block at a time, for
    merging segments without re-filing one posting at a time."""
    empty = _empty_value(format_)
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        if isinstance(values, DecodedPostings):
            values = values.values(empty)
        return list(ids), list(weights), tuple(values)
    offset, length = terminfo.extent()
    ids: list[int] = []
    weights: list[float] = []
    values: list = []
    for block in _blocks(NewsLeafMatcher(terms._postfile, offset, length, format_)):
        ids.extend(block.ids)
        weights.extend(block.weights)
        values.extend(block.values(empty))
    return ids, weights, tuple(values)


def _blocks(matcher: NewsLeafMatcher):
    """Each block of a raw posting matcher's list, decoded, from its current
    one to the last."""
    while True:
        matcher._read_ids()
        yield matcher._data
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def term_doc_ids(reader, fieldname: str, btext: bytes) -> list[int]:
    """Every document number (deleted ones included) of an existing term in
    a segment reader, read a block at a time; any other reader (an empty
    index) through its ordinary postings."""
    terms = getattr(reader, "_terms", None)
    if terms is None:
        return list(reader.postings(fieldname, btext).all_ids())
    return posting_ids(terms.matcher(fieldname, btext, reader.schema[fieldname].format))


def term_postings(reader, fieldname: str, btext: bytes) -> tuple[list[int], list[float]]:
    """Document numbers and weights (term frequencies) of an existing term in
    a segment reader, deleted documents left out, read a block at a time
    (ranking reads whole lists: a posting at a time was most of its cost)."""
    terms = getattr(reader, "_terms", None)
    matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format) \
        if terms is not None else None
    if isinstance(matcher, NewsLeafMatcher):
        ids: list[int] = []
        weights: list[float] = []
        for block in _blocks(matcher):
            ids.extend(block.ids)
            weights.extend(block.weights)
    elif isinstance(matcher, ListMatcher) and matcher._weights is not None:
        ids, weights = list(matcher._ids), list(matcher._weights)
    else:
        return _walk_postings(reader.postings(fieldname, btext))
    if reader.has_deletions():
        deleted = frozenset(reader._perdoc.deleted_docs())  # (an iterator: read it once)
        kept = [i for i, docnum in enumerate(ids) if docnum not in deleted]
        ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
    return ids, weights


def _walk_postings(postings) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    while postings.is_active():
        ids.append(postings.id())
        weights.append(postings.weight())
        postings.next()
    return ids, weights
