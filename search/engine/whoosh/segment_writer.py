"""Writing one segment: documents → postings held per field and term → the
NewsCodec files.

Whoosh's SegmentWriter puts every posting in a pool as a
``(field, term, docnum, weight, value)`` tuple, sorts them all at commit,
then looks up each posting's field length in the segment it has just
written, one column read per posting. Measured on Reuters-21578 that was
over a third of indexing time. :class:`NewsSegmentWriter` files postings
under their field and term as it goes (so only the distinct terms are
sorted), remembers each document's field length beside its postings, and
writes each term's postings in one call. Merging segments in reads each
merged term's postings a block at a time and writes them beside this
writer's own, renumbered, term by term in one ordered pass over all the
term tables (Whoosh re-files every posting of a merge through a pool that
is sorted and spilled to disk: at 100,000 articles the merges took most of
the run).

The full-text fields (title, body) are analysed a segment at a time
(`text_postings`), here or, with more than one core, in a text builder
process (`text_builder`) whose postings and field lengths are appended at
the flush. A run's final merge hands the postings of its biggest fields
(PARALLEL_FIELDS) to helper processes, whose files are appended with their
offsets moved; the articles of a run's segments, compressed against one
shared dictionary (see `stored_dictionary`), are copied a compressed block
at a time.

Everything else — stored fields, columns, deletions and the lock — is
Whoosh's; the TOC is ours (`toc`: checksummed, committed durably).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from itertools import groupby
from operator import itemgetter

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield as _lengths_field
from whoosh.analysis import IDTokenizer
from whoosh.fields import ID
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from ...text.analysis import KeywordAnalyzer, NewsAnalyzer
from . import toc
from .codec import (BLOCK_LIMIT, EntryList, NewsCodec, NewsFieldWriter, NewsPerDocReader,
                    NewsPerDocWriter, NewsTermInfo, read_postings)
from .postings import CompactPositions
from .text_postings import TextPostings

#: A merged segment's posting list this long is copied a block at a time;
#: shorter ones are decoded and written again, so that the merged list packs
#: into full blocks (copying them all made the postings file 10% larger).
COPY_MIN_POSTINGS = BLOCK_LIMIT

#: Facet values whose index items a writer remembers, per field.
KEYWORD_CACHE = 20_000

#: Fields whose postings a run's final merge writes in helper processes,
#: one group each, while the indexing process copies the articles and the
#: other fields. On Reuters-21578 the body is two thirds of merging postings;
#: title, id and text hash (one term an article) most of the rest.
PARALLEL_FIELDS = (("body",), ("title", "id", "text_hash"))

#: Segments of one size tier (a power of ten of live articles) merged at once.
MERGE_FACTOR = 10
#: The most live articles a merge writes into one segment. Merging holds
#: the merged segment's postings in memory (Reuters-21578 ×10, 212,789
#: articles merged into one, peaked at 1.0 GB in one process), so past this
#: size segments stay as they are, as Lucene's TieredMergePolicy leaves
#: segments at its maxMergedSegmentMB: a million articles are five or six
#: segments, and no merge grows with the archive.
MAX_MERGED_DOCS = 200_000


class NewsSegmentWriter(SegmentWriter):
    """A SegmentWriter with per-term posting lists and the NewsCodec."""

    #: Build full-text postings a segment at a time (`text_postings`); False
    #: files them document by document (the reference the tests compare with).
    whole_segment_text = True
    #: A TextBuilder analysing this writer's full-text fields in another
    #: process (see `text_builder`); None analyses them here.
    text_builder = None

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("codec", NewsCodec())
        super().__init__(ix, **kwargs)
        # field → term bytes → [(docnum, weight, value bytes, field length)]
        self._postings: dict[str, dict[bytes, list]] = defaultdict(lambda: defaultdict(list))
        # field → TextPostings, for full-text fields analysed a segment at a time
        self._texts: dict[str, TextPostings | None] = {}
        self._keyword_items: dict[str, dict] = {}  # field → value → index items
        self._sources: list = []  # (reader, first new docnum, docmap or None)
        self._field_jobs: list = []  # (plan, fields, Future): fields merged by a helper
        self.written: list = []  # after the commit: the segments it added

    def _commit_toc(self, segments) -> None:
        """Commit durably (see `toc.commit`: new files checksummed and
        fsynced, the TOC written aside, fsynced, renamed, the folder
        fsynced), and only then delete what the previous commit used."""
        segments = list(segments)
        self.written = [s for s in segments if s is self.newsegment]
        toc.commit(self.storage, self.indexname, self.schema, segments, self.generation)

    def stored_dictionary(self) -> bytes | None:
        """The dictionary this writer's stored fields are compressed
        against, once chosen (see StoredBlocksColumn): a run's later
        batches use it too, so that merging them copies their blocks."""
        return self.perdocwriter._colwriters["_stored"]._zdict

    def add_document(self, **fields) -> None:
        self._check_state()
        perdoc, schema, docnum = self.perdocwriter, self.schema, self.docnum
        docboost = self._doc_boost(fields)
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                boost = self._field_boost(fields, name, docboost)
                text = self._text_postings(name, field)
                if text is not None:
                    if not isinstance(value, str):
                        raise ValueError(f"field {name!r}: {value!r} is not text")
                    # (per-language analysis: the article's language picks it)
                    length = text.add(docnum, value, boost * field.format.field_boost,
                                      fields.get("language"))
                    items = ()
                else:
                    items = self._index(name, field, value, fields.get("language"))
                if field.scorable and text is None:
                    # (Most facet values are one term: no generator for them.)
                    length = (items[0][1] if len(items) == 1
                              else sum(item[1] for item in items))
                terms = self._postings[name]
                for term, _freq, weight, vbytes in items:
                    terms[term].append((docnum, weight * boost, vbytes, length))
            if field.vector:
                raise ValueError(f"field {name!r}: term vectors are not supported")
            stored = fields.get(f"_stored_{name}", value)
            perdoc.add_field(name, field, stored if field.stored else None, length)
            if field.column_type and stored is not None:
                perdoc.add_column_value(name, field.column_type,
                                        field.to_column_value(stored))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, name: str, field, value, language: str | None = None) -> list:
        """field.index(value) as a list; for facet fields, remembered per
        value: their values repeat (a source, a year, a topic), and Whoosh's
        analysis costs about 10 µs a value. An identifier (id, text hash:
        a new value each article) is its own one term, made here directly:
        Whoosh's tokenizer and format took 20 µs a value."""
        if not isinstance(value, str):
            return list(field.index(value))
        if language is not None and isinstance(getattr(field, "analyzer", None), NewsAnalyzer):
            # Full text filed document by document: analysed in its language.
            return list(field.index(value, language=language))
        if _plain_id(field):
            return [(value.encode("utf-8"), 1, field.format.field_boost, b"")]
        if not isinstance(getattr(field, "analyzer", None), KeywordAnalyzer):
            return list(field.index(value))
        cache = self._keyword_items.setdefault(name, {})
        items = cache.get(value)
        if items is None:
            items = list(field.index(value))
            if len(cache) < KEYWORD_CACHE:
                cache[value] = items
        return items

    def _text_postings(self, name: str, field) -> TextPostings | None:
        """The whole-segment postings builder of a full-text field of ours
        (NewsAnalyzer, CompactPositions); None for any other field, whose
        postings are filed document by document."""
        if name not in self._texts:
            analyzer = getattr(field, "analyzer", None)
            ours = (self.whole_segment_text and isinstance(field.format, CompactPositions)
                    and isinstance(analyzer, NewsAnalyzer))
            if not ours:
                self._texts[name] = None
            elif self.text_builder is not None:
                self._texts[name] = _Streamed(self.text_builder, self._key, name, field)
            else:
                self._texts[name] = TextPostings(analyzer.terms_of, analyzer.stemming)
        return self._texts[name]

    @property
    def _key(self) -> str:
        """This writer's segment, as its text builder knows it."""
        return self.newsegment.segment_id()

    def _streamed(self) -> dict[str, "_Streamed"]:
        return {name: text for name, text in self._texts.items()
                if isinstance(text, _Streamed) and text.sent}

    def _own_postings(self, name: str, inline_limit: int = 0):
        """(term, (docnums, weights, values, lengths)) of this writer's own
        documents in field `name`, in term order; with an `inline_limit`, a
        full-text term's list may come encoded (see TextPostings.postings)."""
        text = self._texts.get(name)
        if text is not None:
            yield from text.postings(inline_limit, self.fieldwriter.block_limit)
            return
        terms = self._postings.get(name, {})
        for term in sorted(terms):
            yield term, tuple(zip(*terms[term]))

    def add_reader(self, reader) -> None:
        """Merge a segment in: its per-document data now, its postings at
        the flush, term by term beside this writer's own (see
        `_write_postings`). The reader stays open until then."""
        self._add_reader(reader, _renumbering(reader, self.docnum))

    def _add_reader(self, reader, renumbering: tuple[dict | None, set]) -> None:
        """add_reader, the segment's live documents renumbered already."""
        self._check_state()
        if self._streamed():
            # Its full-text postings are another process's: they could not
            # be merged with the segment's. (BatchWriter merges afterwards.)
            raise RuntimeError("cannot merge segments into a writer streaming its texts")
        basedoc = self.docnum
        docmap = self._copy_per_doc(reader, renumbering)
        self._sources.append((reader, basedoc, docmap))
        self._added = True

    def _copy_per_doc(self, reader, renumbering: tuple[dict | None, set]) -> dict | None:
        """Copy the live documents' stored fields, length bytes and column
        values; returns {old docnum: new} if some were deleted, else None.

        Field-length totals stay exact: Whoosh's merge re-adds them from the
        one-byte (lossy) per-document lengths, which shifted every BM25 score
        after a merge. Only deleted articles are subtracted at their lossy
        length: the only one left. (Whoosh's own copy also asks the file
        system, per document and field, whether a length column exists.)"""
        schema, pdw, perdoc = self.schema, self.perdocwriter, reader._perdoc
        docmap, deleted = renumbering
        lengths = {}
        for name, field in schema.items():
            if field.scorable:
                column = _lengths_field(name)
                if perdoc.has_column(column):
                    lengths[column] = (name, _length_bytes(
                        perdoc.column_reader(column, LENGTHS_COLUMN), reader.doc_count_all()))
                pdw._fieldlengths[name] += reader.field_length(name)
        columns = {name: reader.column_reader(name, field.column_type, translate=False)
                   for name, field in schema.items()
                   if field.column_type and reader.has_column(name)}
        for docnum in deleted:
            for name, bytes_ in lengths.values():
                if bytes_[docnum]:
                    pdw._fieldlengths[name] -= byte_to_length(bytes_[docnum])
        # Stored fields are copied still pickled: the merged segments are
        # this index's, written with this schema (unpickling and pickling
        # every article again was a quarter of a merge).
        pickled = isinstance(perdoc, NewsPerDocReader) and isinstance(pdw, NewsPerDocWriter)
        # Segments built for one run share a compression dictionary (see
        # `stored_dictionary`): their blocks are copied still compressed
        # (compressing every article again was most of a merge's own work).
        copied = (pickled and docmap is None
                  and pdw.copy_stored(perdoc.stored_column(), self.docnum))
        # Length bytes go over a column at a time (one per document and
        # field, one by one, were a third of a merge's own work).
        bulk = isinstance(pdw, NewsPerDocWriter)
        if bulk:
            for column, (_, bytes_) in lengths.items():
                pdw.add_length_bytes(column, self.docnum, bytes_ if docmap is None
                                     else bytes(bytes_[docnum] for docnum in docmap))
        for docnum in (docmap if docmap is not None else range(reader.doc_count_all())):
            pdw.start_doc(self.docnum)
            if pickled and not copied:
                pdw.add_stored_pickle(perdoc.stored_pickle(docnum))
            elif not pickled:
                for name, value in reader.stored_fields(docnum).items():
                    if name in schema:
                        pdw.add_field(name, schema[name], value, 0)
            for column, (_, bytes_) in ({} if bulk else lengths).items():
                if bytes_[docnum]:
                    pdw.add_column_value(column, LENGTHS_COLUMN, bytes_[docnum])
            for name, column in columns.items():
                pdw.add_column_value(name, schema[name].column_type, column[docnum])
            pdw.finish_doc()
            self.docnum += 1
        return docmap

    def merge_segments(self, segments: list, helper=None) -> None:
        """Merge these segments (of this index) into the one being written.
        With `helper` (an object whose ``call(fn, *args)`` runs fn in
        another process and returns a Future), the postings of
        PARALLEL_FIELDS are merged there while this process copies the
        articles and the other fields."""
        toc.verify_segments(self.storage, self.indexname, segments, self.generation - 1)
        readers = [SegmentReader(self.storage, self.schema, s) for s in segments]
        renumberings = self._renumberings(readers)
        if helper is not None and not self._sources and not self._field_jobs:
            plan = [(base, docmap) for base, (docmap, _) in renumberings]
            sources = [(segment, base, docmap) for segment, (base, docmap) in zip(segments, plan)]
            for names in PARALLEL_FIELDS:
                names = tuple(name for name in names if name in self.schema)
                if names:
                    self._field_jobs.append((plan, names, helper.call(
                        merge_field_postings, self.storage.folder, self.indexname,
                        self.schema, sources, names)))
        for reader, (_, renumbering) in zip(readers, renumberings):
            self._add_reader(reader, renumbering)

    def _renumberings(self, readers: list) -> list:
        """(first new docnum, _renumbering) of each reader, as add_reader
        will number their live documents after this writer's own."""
        found, base = [], self.docnum
        for reader in readers:
            found.append((base, _renumbering(reader, base)))
            base += reader.doc_count()
        return found

    def _take_field_jobs(self) -> list:
        """The helpers' jobs — (field names, Future of their parts: see
        `_append_parts`) each — if they still describe this segment:
        nothing added since the merge began. Otherwise none (waited for,
        their files removed)."""
        jobs, self._field_jobs = self._field_jobs, []
        current = [(base, docmap) for _, base, docmap in self._sources]
        if all(plan == current and not any(self._texts.get(n) or self._postings.get(n)
                                           for n in names)
               for plan, names, _ in jobs):
            return [(names, future) for _, names, future in jobs]
        for _, _, future in jobs:
            self._remove_files([posts for posts, _ in future.result()])
        return []

    def _append_parts(self, parts: list[tuple[str, list]]) -> None:
        """Append scratch postings files (a helper's, a text builder's:
        `parts`, in term order, each (file name, [(field, [(term,
        entry)])])), and list their fields' terms, each field's runs of
        terms one after the other, postings offsets moved by where each
        file now starts."""
        self._append_fields([(self._append_postings(posts), fields) for posts, fields in parts])
        self._remove_files([posts for posts, _ in parts])

    def _append_postings(self, name: str) -> int:
        """Copy a scratch postings file to the end of this segment's;
        returns where it starts there."""
        postfile = self.fieldwriter._postfile
        offset = postfile.tell()
        postings = self.storage.open_file(name)
        try:
            while chunk := postings.read(1 << 20):
                postfile.write(chunk)
        finally:
            postings.close()
        return offset

    def _append_fields(self, parts: list[tuple[int, list]]) -> None:
        """List the terms of fields whose postings were appended: `parts`,
        in term order, each (where its postings start, [(field, [(term,
        entry)])])."""
        writer = self.fieldwriter
        # By name: a part may hold no term of a field (a title of one term,
        # written by one of two processes).
        parts = [(offset, dict(fields)) for offset, fields in parts]
        names = dict.fromkeys(name for _, fields in parts for name in fields)
        for name in names:
            writer.start_field(name, self.schema[name])
            for offset, fields in parts:
                for term, entry in fields.get(name, ()):
                    writer.add_entry(term, NewsTermInfo.moved(entry, offset))
            writer.finish_field()

    def _add_field_lengths(self, lengths: dict[str, tuple[list[int], list[int]]]) -> None:
        """Fields' lengths, measured elsewhere: per field (document numbers,
        lengths) of the documents holding a term."""
        pdw = self.perdocwriter
        for name, (docnums, counts) in lengths.items():
            column = bytearray(docnums[-1] + 1 if docnums else 0)
            for docnum, count in zip(docnums, counts):
                column[docnum] = length_to_byte(count)
            pdw.add_length_bytes(_lengths_field(name), 0, bytes(column))
            pdw._fieldlengths[name] += sum(counts)

    def _remove_files(self, files) -> None:
        for name in files:
            try:
                self.storage.delete_file(name)
            except OSError:
                pass  # Whoosh's next commit removes unreferenced files

    def _flush_segment(self) -> None:
        writer = self.fieldwriter
        try:
            streamed = self._streamed()
            finished = (self.text_builder.finish(
                self._key, {name: self.schema[name] for name in streamed})
                if streamed else None)
            jobs = self._take_field_jobs()
            elsewhere = {name for names, _ in jobs for name in names} | set(streamed)
            for name in self._indexed_names():
                if name in elsewhere:
                    continue  # last: a field's terms follow those of fields started before
                writer.start_field(name, self.schema[name])
                self._write_postings(name)
                writer.finish_field()
            # The text builder's fields, once it has written them: their
            # lengths first (the per-document writer writes them as it closes).
            texts = self.text_builder.result(self._key, finished) if streamed else None
            if texts is not None:
                self._add_field_lengths(texts.lengths)
            self.perdocwriter.close()
            if texts is not None:
                self._append_parts(texts.parts)
            # The helpers' fields as each helper finishes (the body's last),
            # while the others still work: the term table takes a field's
            # terms in any field order, each field's together.
            from concurrent.futures import as_completed  # only a merge with helpers needs it

            for future in as_completed([future for _, future in jobs]):
                self._append_parts(future.result())
            writer.close()
        finally:
            self._postings.clear()
            self._texts.clear()
            self._close_sources()

    def _close_segment(self) -> None:
        self._close_sources()
        if self._streamed():  # cancelled: its texts will not be written
            self.text_builder.discard(self._key)
            self._texts.clear()
        super()._close_segment()

    def _close_sources(self) -> None:
        for reader, _, _ in self._sources:
            reader.close()
        self._sources = []

    def _indexed_names(self) -> list[str]:
        names = set(self._postings)
        names.update(name for name, text in self._texts.items() if text)
        for reader, _, _ in self._sources:
            names.update(name for name in reader.indexed_field_names() if name in self.schema)
        return sorted(names)

    def _write_postings(self, name: str) -> None:
        """Every term of field `name`, in order (see `merge_postings`)."""
        # Lists come encoded only when there is nothing to merge them with.
        limit = 0 if self._sources else self.fieldwriter.inline_limit
        merge_postings(self.fieldwriter, self.schema[name].format,
                       self._own_postings(name, limit), self._sources, name)


class _Streamed:
    """A full-text field whose texts go to a TextBuilder: in place of its
    TextPostings, it takes them and sends them on. Their lengths come back
    with the postings, at the flush."""

    __slots__ = ("_builder", "_key", "_name", "_field", "sent")

    def __init__(self, builder, key: str, name: str, field):
        self._builder, self._key, self._name, self._field = builder, key, name, field
        self.sent = False

    def add(self, docnum: int, text: str, boost: float = 1.0,
            language: str | None = None) -> int:
        self._builder.add(self._key, self._name, self._field, docnum, text, boost, language)
        self.sent = True
        return 0  # (written at the flush: see NewsSegmentWriter._add_field_lengths)


class _Buffer:
    """Postings of one term gathered from several sources before writing:
    each posting's field length if every source gave them, else only the
    smallest and largest (a merged segment's term entry has no more)."""

    __slots__ = ("ids", "weights", "values", "lengths", "low", "high")

    def __init__(self, ids=(), weights=(), values=(), lengths=None, low=None, high=0):
        self.ids, self.weights, self.values = list(ids), list(weights), list(values)
        self.lengths = lengths if lengths is not None else (None if ids else [])
        self.low, self.high = low or None, high or 0
        if self.lengths:
            self._bound(self.lengths)

    def _bound(self, lengths) -> None:
        present = [n for n in lengths if n]
        if present:
            self.low = min(present) if self.low is None else min(self.low, min(present))
            self.high = max(self.high, max(present))

    def extend(self, other: "_Buffer") -> None:
        self.ids += other.ids
        self.weights += other.weights
        self.values += other.values
        if self.lengths is not None and other.lengths is not None:
            self.lengths += other.lengths
        else:
            self.lengths = None
        if other.low is not None:
            self.low = other.low if self.low is None else min(self.low, other.low)
        self.high = max(self.high, other.high)

    def write(self, writer) -> None:
        """Hand the postings to the field writer, and empty the buffer."""
        if self.ids:
            if self.lengths is not None:
                writer.add_list(self.ids, self.weights, self.values, self.lengths)
            else:
                writer.add_list(self.ids, self.weights, self.values,
                                bounds=(self.low, self.high))
        self.__init__()


def _length_bytes(column, doccount: int) -> bytes:
    """A LENGTHS_COLUMN's bytes, one a document: the column file itself,
    padded (documents after the last with a length have none stored)."""
    stored = bytes(column._dbfile.get(column._basepos, column._count))
    return stored + bytes(doccount - len(stored))


def _plain_id(field) -> bool:
    """A Whoosh ID field as it comes: the whole value one term, no
    positions (what `NewsSegmentWriter._index` makes without Whoosh)."""
    return (type(field) is ID and type(field.analyzer) is IDTokenizer
            and type(field.format) is Existence)


def merge_postings(writer, fmt, own_postings, sources: list, name: str) -> None:
    """Write every term of field `name` to a field writer, in order: the
    writer's own postings (`own_postings`: term, postings pairs in term
    order), then those of each merged segment (`sources`: reader, first new
    docnum, docmap or None), renumbered; their documents follow the
    writer's own, segment after segment. A term found in one merged
    segment only, inlined there, is copied as its table entry with the ids
    shifted; a merged list of COPY_MIN_POSTINGS or more, or one found in
    one segment only, is copied a block at a time with only the frames
    rewritten; everything else, and every list of a segment with
    deletions, is decoded and written again."""
    if not sources:  # a new segment, nothing merged: the common case
        for term, postings in own_postings:
            if type(postings) is bytes:  # a short list's finished entry
                writer.add_entry(term, postings)
            elif type(postings) is list:  # a long list's encoded blocks
                writer.add_blocks(term, postings)
            else:
                writer.add_term(term, *postings)
        return
    own = dict(own_postings)
    streams = [((term, -1, None) for term in own)]
    for number, (reader, _, _) in enumerate(sources):
        streams.append(_field_terms(reader, name, number))
    for term, group in groupby(heapq.merge(*streams), key=itemgetter(0)):
        entries = list(group)
        if len(entries) == 1 and entries[0][1] >= 0:
            # Most terms are rare, in one segment, and inlined there.
            _, number, entry = entries[0]
            reader, basedoc, docmap = sources[number]
            shifted = NewsTermInfo.shifted(entry, basedoc) if docmap is None else None
            if shifted is not None:
                writer.add_entry(term, shifted)
                continue
        alone = len(entries) == 1
        pieces = [piece for _, number, entry in entries
                  if (piece := _piece(sources, own, term, number, entry, fmt, alone))]
        if not pieces:
            continue  # every article holding the term was deleted
        writer.start_term(term)
        buffered = _Buffer()
        for at, piece in enumerate(pieces):
            if isinstance(piece, _Buffer):
                buffered.extend(piece)
                continue
            buffered.write(writer)
            postfile, info, shift = piece
            writer.copy_blocks(postfile, info, shift, last=at == len(pieces) - 1)
        buffered.write(writer)
        writer.finish_term()


def _piece(sources: list, own: dict, term: bytes, number: int, entry: bytes | None, fmt,
           alone: bool = False):
    """One source's part of a term's posting list (`entry`: the term's
    stored entry in that source; `alone`: no other source has the
    term): a _Buffer of postings, or (postfile, term info, id shift) for
    blocks to copy; None if all its postings are of deleted articles.
    A list found in one source alone keeps its blocks whatever its
    length: copied, it stays as packed as it was."""
    if number < 0:
        docnums, weights, values, lengths = own[term]
        return _Buffer(docnums, weights, values, list(lengths))
    reader, basedoc, docmap = sources[number]
    info = NewsTermInfo.from_bytes(entry)
    if docmap is None and (info.doc_frequency() >= COPY_MIN_POSTINGS
                           or alone and not info.is_inlined()):
        return reader._terms._postfile, info, basedoc
    docnums, weights, values = read_postings(reader._terms, info, fmt)
    if docmap is None:
        docnums = [basedoc + docnum for docnum in docnums]
    else:
        kept = [i for i, docnum in enumerate(docnums) if docnum in docmap]
        if not kept:
            return None
        docnums = [docmap[docnums[i]] for i in kept]
        weights = [weights[i] for i in kept]
        values = [values[i] for i in kept]
    return _Buffer(docnums, weights, values, None, info.min_length(), info.max_length())


def merge_field_postings(folder: str, indexname: str, schema, plan: list,
                         names: tuple[str, ...]) -> list[tuple[str, list]]:
    """Helper process: merge fields `names` of the segments in `plan`
    ((segment, first new docnum, docmap or None) each) into the postings
    file of a scratch segment in `folder`. Returns [(that file's name,
    [(field, [(term, entry)])])], as `NewsSegmentWriter._append_parts`
    takes it. The caller holds the index's lock."""
    storage = FileStorage(folder)
    sources = [(SegmentReader(storage, schema, segment), base, docmap)
               for segment, base, docmap in plan]
    try:
        return [write_scratch_fields(storage, indexname, {name: schema[name] for name in names},
                                     lambda name, writer: iter(()), sources)]
    finally:
        for reader, _, _ in sources:
            reader.close()


def write_scratch_fields(storage, indexname: str, fields: dict, own, sources: list = ()
                         ) -> tuple[str, list]:
    """Write `fields` (name → field object) to the postings file of a new
    scratch segment, each field's own postings (`own(name, writer)`: see
    `merge_postings`) merged with `sources`'; their term entries are kept
    in memory, not written. Returns (the postings file's name, [(field,
    [(term, entry)])]), for a writer to append (`_append_parts`)."""
    codec = NewsCodec()
    segment = codec.new_segment(storage, indexname)
    terms = EntryList()
    writer = NewsFieldWriter(codec, storage, segment, terms=terms)
    try:
        for name, field in fields.items():
            writer.start_field(name, field)
            merge_postings(writer, field.format, own(name, writer), list(sources), name)
            writer.finish_field()
    finally:
        writer.close()
    return segment.make_filename(NewsCodec.POSTS_EXT), terms.fields()


def _renumbering(reader, base: int) -> tuple[dict | None, set]:
    """A merged segment's {old docnum: new} for its live documents,
    numbered from `base` (None if none is deleted), and its deleted ones."""
    if not reader.has_deletions():
        return None, set()
    deleted = set(reader._perdoc.deleted_docs())
    live = (n for n in range(reader.doc_count_all()) if n not in deleted)
    return {old: base + new for new, old in enumerate(live)}, deleted


def _field_terms(reader, name: str, number: int):
    """(term, number, stored entry) for every term of field `name` in a
    segment reader, in term order."""
    for term, entry in reader._terms.field_entries(name):
        yield term, number, entry


def merge_tiers(writer: SegmentWriter, segments: list) -> list:
    """A Whoosh merge policy: log-structured merging, as in Lucene. Segments
    are grouped by the power of ten of their live articles; when a group
    holds MERGE_FACTOR segments they are merged into the writer's new one.
    Each article is rewritten about log10(N) times in all, and a search
    visits at most MERGE_FACTOR segments per tier.

    (Whoosh's MERGE_SMALL instead merges every segment under a Fibonacci
    bound at each commit: on Reuters-21578, built 2,000 articles a segment,
    that meant rewriting 17 segments at the end of every run.)"""
    group = _tier_due(segments)
    if group:
        writer.merge_segments(group)
        return [segment for segment in segments if segment not in group]
    return segments


def tiers_due(segments: list) -> bool:
    """True if merge_tiers would merge some of these segments."""
    return bool(_tier_due(segments))


def _tier_due(segments: list) -> list:
    """The segments of the smallest tier holding MERGE_FACTOR of them, if
    any: all of them, or, where that would pass MAX_MERGED_DOCS, its
    smallest segments up to that size (none if not two of them fit)."""
    tiers: dict[int, list] = defaultdict(list)
    for segment in segments:
        tiers[int(math.log10(max(segment.doc_count(), 1)))].append(segment)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= MERGE_FACTOR:
            smallest = merge_groups(sorted(tiers[tier], key=lambda s: s.doc_count()))[0]
            if len(smallest) > 1:  # (in index order: it numbers the merged articles)
                return [s for s in tiers[tier] if s in smallest]
    return []


def merge_groups(segments: list, limit: int | None = None) -> list[list]:
    """`segments` cut, in their order, into runs of at most `limit`
    (MAX_MERGED_DOCS) live articles in all; a segment larger than that is a
    run of its own."""
    limit = limit or MAX_MERGED_DOCS
    groups: list[list] = []
    size = 0
    for segment in segments:
        if not groups or size + segment.doc_count() > limit:
            groups.append([])
            size = 0
        groups[-1].append(segment)
        size += segment.doc_count()
    return groups
