"""The on-disk layout of a segment: flat posting blocks, rare terms inlined
in the term table, and stored fields compressed many documents at a time.

Whoosh's W3 codec pickles every posting block (ids, weights, values), zlibs
the pickle and frames it with a pickled header; a word seen in one article
still costs a header, two pickles and a pointer (W3's "inline" path never
runs: it calls a method that does not exist). Most terms of a news index
are rare (names, figures, ids, hashes), so that overhead dominated: on
Reuters-21578 the index was 8.6× the raw text. :class:`NewsCodec` keeps
Whoosh's block skipping and columns, and changes four things:

* the term table is a front-coded sorted dictionary (`termdict`) instead of
  Whoosh's hash file, whose overhead was ~36 bytes a term;

* posting blocks are flat arrays — id deltas and integer weights in the
  narrowest unsigned type, values as a length array plus one blob — written
  and read with C-speed ``array`` calls instead of pickling;
* posting lists of up to :data:`INLINE_LIMIT` postings live in the term's
  table entry, so a rare word costs no block and no seek;
* stored fields are pickled and compressed with zstd a document at a time
  against a dictionary of article openings, so a hit decompresses only its
  own article (segments written before hold zlib blocks of
  :data:`DOCS_PER_BLOCK` documents; both are read).

A new segment's full-text lists can also be encoded many at once, in numpy
(`inline_entries`, `posting_blocks`): the same bytes as one list at a time.

A segment remembers its codec (Whoosh pickles it into the TOC, by this
package's path: :class:`NewsCodec` stays here), so this package's classes
and encodings are part of the index format: changing them needs a schema
version bump. Its parts: `records` (flat posting records), `encoders`
(many lists at once, in numpy), `terms` (term entries and the term table),
`postings` (writing and reading posting lists), `stored` (stored fields).
"""

from __future__ import annotations

from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3Codec
from whoosh.matching import ListMatcher

from .. import term_expansion  # noqa: F401  (fast fuzzy expansion on any reader: see the module)
# The codec's parts, importable from here: their public names are the codec's API.
from .encoders import inline_entries, posting_blocks  # noqa: F401
from .postings import (EntryList, NewsFieldWriter, NewsLeafMatcher,  # noqa: F401
                       NewsPostingsWriter, posting_ids, read_postings, term_doc_ids,
                       term_postings)
from .records import (BLOCK_LIMIT, COMPRESS_MIN, INLINE_LIMIT, DecodedPostings,  # noqa: F401
                      PackedValues, _empty_value, encode_postings)
from .stored import (CACHED_BLOCKS, DICT_BLOCKS, DICT_BYTES, DICT_DOCS, DICT_SAMPLE,  # noqa: F401
                     DOCS_MAGIC, DOCS_PER_BLOCK, STORED, STORED_BLOCKS, STORED_LEVEL,
                     STORED_ZSTD_LEVEL, NewsPerDocReader, NewsPerDocWriter, StoredBlocksColumn,
                     StoredDocsColumn)
from .terms import NewsFieldCursor, NewsTermInfo, NewsTermsReader  # noqa: F401


# --- the codec ----------------------------------------------------------------

class NewsCodec(W3Codec):
    """W3 with flat posting blocks, inlined rare terms and block-compressed
    stored fields. Pass to ``ix.writer(codec=NewsCodec())``; readers follow
    each segment's own codec."""

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = 1,
                 inlinelimit: int = INLINE_LIMIT):
        super().__init__(blocklimit=blocklimit, compression=compression,
                         inlinelimit=inlinelimit)

    def per_document_writer(self, storage, segment):
        return NewsPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return NewsPerDocReader(storage, segment)

    def field_writer(self, storage, segment):
        return NewsFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors keep W3's layout and its (working) settings
            return whoosh3.W3PostingsWriter(dbfile, blocklimit=self._blocklimit,
                                            byteids=True, compression=self._compression)
        return NewsPostingsWriter(dbfile, blocklimit=self._blocklimit,
                                  compression=self._compression,
                                  inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            if isinstance(values, DecodedPostings):
                values = values.values(_empty_value(format_))
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                               terminfo=terminfo)
        offset, length = terminfo.extent()
        return NewsLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def terms_reader(self, storage, segment):
        name = segment.make_filename(self.TERMS_EXT)
        return NewsTermsReader(self, storage.open_file(name), storage.file_length(name),
                               segment.open_file(storage, self.POSTS_EXT))
