"""Writing one segment: documents → postings held per field and term → the
NewsCodec files.

Whoosh's SegmentWriter puts every posting in a pool as a
``(field, term, docnum, weight, value)`` tuple, sorts them all at commit,
then looks up each posting's field length in the segment it has just
written, one column read per posting. Measured on Reuters-21578 that was
over a third of indexing time. :class:`NewsSegmentWriter` files postings
under their field and term as it goes (so only the distinct terms are
sorted), remembers each document's field length beside its postings, and
writes each term's postings in one call. A writer that merges existing
segments in falls back to Whoosh's pool, which spills to disk: merged
postings are many, and memory must stay bounded.

Everything else — stored fields, columns, deletions, merging policy, the
lock and the TOC — is Whoosh's, except that a commit can also list segments
built by other processes (`builders`).
"""

from __future__ import annotations

import math
from collections import defaultdict

from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .codec import NewsCodec

#: Segments of one size tier (a power of ten of live articles) merged at once.
MERGE_FACTOR = 10


class NewsSegmentWriter(SegmentWriter):
    """A SegmentWriter with per-term posting lists and the NewsCodec."""

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("codec", NewsCodec())
        super().__init__(ix, **kwargs)
        # field → term bytes → [(docnum, weight, value bytes, field length)]
        self._postings: dict[str, dict[bytes, list]] = defaultdict(lambda: defaultdict(list))
        self._built: list = []
        self._merged = False  # segments merged in: postings go through the pool

    def commit_segments(self, segments: list) -> None:
        """List segments built elsewhere (see `builders`) in this writer's
        commit, after its own: they become visible with it, atomically."""
        self._built.extend(segments)

    def _commit_toc(self, segments) -> None:
        segments = list(segments)
        # Built segments hold the batch's first articles, this writer's own
        # new segment its last: keep that order (ties rank by it).
        at = len(segments) - 1 if segments and segments[-1] is self.newsegment else len(segments)
        super()._commit_toc(segments[:at] + self._built + segments[at:])

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
                items = list(field.index(value))
                if field.scorable:
                    length = sum(item[1] for item in items)
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

    def add_reader(self, reader) -> None:
        """Merge a segment in, keeping its exact field-length totals: Whoosh
        would re-add them from its one-byte (lossy) per-document lengths,
        which shifts every BM25 score after a merge. (Articles deleted from
        the merged segment are subtracted at their lossy length: the only
        one left.)"""
        # (Whoosh answers None, not 0, for a document without the field.)
        lossy = {name: sum(reader.doc_field_length(d, name) or 0
                           for d in range(reader.doc_count_all()))
                 for name, field in self.schema.items() if field.scorable}
        super().add_reader(reader)
        self._merged = True
        totals = self.perdocwriter._fieldlengths
        for name, lossy_total in lossy.items():
            exact = reader.field_length(name)
            if exact or lossy_total:
                totals[name] += exact - lossy_total

    # Merging other segments in (add_reader) keeps Whoosh's pool: it spills
    # sorted runs to disk, so a merge of any size stays within `limitmb`.
    # Held in dicts, the postings of a 50,000-article merge took 1.9 GB.

    def _flush_segment(self) -> None:
        if self._merged:
            self._spill_into_pool()
            super()._flush_segment()
            return
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._postings):
            terms = self._postings[name]
            writer.start_field(name, self.schema[name])
            for term in sorted(terms):
                docnums, weights, values, field_lengths = zip(*terms[term])
                writer.start_term(term)
                writer.add_list(docnums, weights, values, field_lengths)
                writer.finish_term()
            writer.finish_field()
        self._postings.clear()
        writer.close()

    def _spill_into_pool(self) -> None:
        """This writer's own postings join the merged ones in Whoosh's pool."""
        add = self.pool.add
        for name, terms in self._postings.items():
            for term, postings in terms.items():
                for docnum, weight, value, _length in postings:
                    add((name, term, docnum, weight, value))
        self._postings.clear()


def merge_tiers(writer: SegmentWriter, segments: list) -> list:
    """A Whoosh merge policy: log-structured merging, as in Lucene. Segments
    are grouped by the power of ten of their live articles; when a group
    holds MERGE_FACTOR segments they are merged into the writer's new one.
    Each article is rewritten about log10(N) times in all, and a search
    visits at most MERGE_FACTOR segments per tier.

    (Whoosh's MERGE_SMALL instead merges every segment under a Fibonacci
    bound at each commit: on Reuters-21578, built 2,000 articles a segment,
    that meant rewriting 17 segments at the end of every run.)"""
    tiers: dict[int, list] = defaultdict(list)
    for segment in segments:
        tiers[int(math.log10(max(segment.doc_count(), 1)))].append(segment)
    for tier in sorted(tiers):
        group = tiers[tier]
        if len(group) >= MERGE_FACTOR:
            for segment in group:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
            return [segment for segment in segments if segment not in group]
    return segments
