"""The postings of a full-text field, built for a whole segment at once.

Writing a segment one document at a time costs Python work per token (find
the word, look up its terms, append its position) and per posting (encode
the positions, build a tuple, file it under its term): on Reuters-21578 that
was four fifths of building a segment. :class:`TextPostings` does per token
only what must be done in Python — map each word to a small integer, the
word's *type* — and turns the types into postings with array operations:
positions, the stable sort into (term, document, position) order,
frequencies, and the varint position values of `postings.CompactPositions`.
That is done in runs of RUN_WORDS words as documents come, and the runs are
merged into term order when the postings are asked for (`prepare`). Several
processes may each take some of a segment's documents: one of them joins
the others' runs (`shard`, `join`) before they are merged, and n processes
then sort and write a run of terms each (`postings`' `part`).

The result is exactly what `NewsAnalyzer.term_positions` and
``CompactPositions.word_values`` give one document at a time (the tests
compare whole segments built both ways, byte for byte). A new segment's
lists are handed over already encoded, by the same array operations
(`codec.inline_entries`, `codec.posting_blocks`): encoding them one at a
time in Python had become most of writing its terms.
"""

from __future__ import annotations

from array import array
from typing import Callable, Iterator, NamedTuple

from ...text.analysis import WORD, extra_terms
from ...text.analysis_lang import DEFAULT, analysis_language, word_terms
from .codec import BLOCK_LIMIT, PackedValues, inline_entries, posting_blocks

#: Words gathered before they are turned into postings (a *run*: see
#: TextPostings._seal). Sorting a segment's postings in runs as its documents
#: come, then the runs into one, leaves the flush less to do: the flush is
#: the end of an indexing run, when the other processes have finished (on
#: Reuters-21578 the body's sort at the flush went 1.56 → 0.5 s).
RUN_WORDS = 250_000

#: (terms of a word with offsets, joined form or None): see analysis._word_terms.
WordTerms = Callable[[str], tuple]
#: One term's postings: document numbers, weights, encoded positions, field lengths.
TermPostings = tuple[list, list, PackedValues, list]


class TextPostings:
    """Gathers one full-text field of a segment's documents; `postings()`
    then gives every term's posting list, in term order."""

    def __init__(self, terms_of: WordTerms, per_language: bool = True):
        self._terms_of = terms_of
        # False for the unstemmed word fields: the same words in every language.
        self._per_language = per_language
        self._types: dict[str, int] = {}  # word → type number (English)
        self._types_of: dict[str, dict[str, int]] = {}  # language → word → type
        # Per type: positions it takes, and the (term, position offset) pairs
        # it emits, as a start into _emit_term/_emit_offset and a count.
        self._width: list[int] = []
        self._emit_start: list[int] = []
        self._emit_count: list[int] = []
        self._emit_term = array("i")
        self._emit_offset = array("i")
        self._terms: dict[bytes, int] = {}  # term → term number
        # Per document with at least one term: its number, words (those not
        # yet in a run), boost, length.
        self._words = array("i")
        self._docnums = array("q")
        self._word_counts = array("q")
        self._boosts = array("d")
        self._lengths = array("q")
        self._shards: list[Shard] = []  # see join()
        self._joined: _Joined | None = None  # see prepare()
        self._ready: dict[tuple[int, int], _Prepared] = {}  # see _part()
        self._runs: list[tuple] = []  # see _seal
        self._sealed = 0  # documents whose postings are in runs

    def add(self, docnum: int, text: str, boost: float = 1.0,
            language: str | None = None) -> int:
        """Take a document's text, analysed for its `language` (a BCP 47
        code; None: English); returns the field length (terms emitted)."""
        words = WORD.findall(text)
        # --- per-language analysis (see analysis_lang) ---
        # A word's type is per analysis language: "die" is a term in English
        # and a stop word in German. English keeps the original table.
        language = analysis_language(language) if self._per_language else DEFAULT
        if language == DEFAULT:
            types, terms_of = self._types, self._terms_of
        else:
            types = self._types_of.setdefault(language, {})
            terms_of = word_terms(language)
        for word in set(words).difference(types):
            self._register(word, types, terms_of)
        numbers = list(map(types.__getitem__, words))
        length = sum(map(self._emit_count.__getitem__, numbers))
        if length:
            self._words.extend(numbers)
            self._docnums.append(docnum)
            self._word_counts.append(len(numbers))
            self._boosts.append(boost)
            self._lengths.append(length)
            if len(self._words) >= RUN_WORDS:
                self._seal()
        return length

    def _register(self, word: str, types: dict[str, int], terms_of: WordTerms) -> None:
        parts, joined = terms_of(word)
        # A compound's joined form (and a German word's compound parts) sit
        # at its first part's position, before the parts: the order
        # term_positions() appends them in.
        emits = [(term, 0) for term in extra_terms(joined)]
        emits += [(term, offset) for offset, (term, _, _) in enumerate(parts)]
        types[word] = len(self._width)
        self._width.append(len(parts))
        self._emit_start.append(len(self._emit_term))
        self._emit_count.append(len(emits))
        for term, offset in emits:
            key = term.encode("utf-8")
            number = self._terms.setdefault(key, len(self._terms))
            self._emit_term.append(number)
            self._emit_offset.append(offset)

    def __len__(self) -> int:
        """Documents holding at least one term."""
        if self._joined is not None:
            return len(self._joined.docs)
        return len(self._docnums) + sum(len(shard.docnums) for shard in self._shards)

    def postings(self, inline_limit: int = 0, block_limit: int = BLOCK_LIMIT,
                 part: tuple[int, int] = (0, 1)) -> Iterator[tuple[bytes, object]]:
        """(term, (docnums, weights, values, lengths)) for every term, in
        term order: what `NewsFieldWriter.add_term` takes. With an
        `inline_limit` (and no boosts), lists come encoded instead: a list
        that short as its finished table entry (bytes, from
        `codec.inline_entries`, for `NewsFieldWriter.add_entry`), a longer
        one as its blocks of up to `block_limit` postings (a list, from
        `codec.posting_blocks`, for `NewsFieldWriter.add_blocks`).
        `part` (i, n): only the i-th of n runs of consecutive terms holding
        about as many postings each (n processes write a field's terms
        apart, each sorting its own: see text_builder), after `prepare()`."""
        ready = self._part(part)
        if ready is None:
            return
        np, keys, order = ready.np, ready.keys, ready.order
        bounds = ready.bounds
        entries = {}
        if inline_limit and ready.unboosted:
            # Whole lists encoded in array operations: short ones as their
            # table entry, long ones as their blocks.
            firsts, counts = ready.firsts, ready.counts
            arrays = (np, ready.ids, ready.freq, ready.sizes, ready.values, ready.ends,
                      ready.lengths)
            short = counts <= inline_limit
            for picked, encoded in (
                    (np.flatnonzero(short), inline_entries(*arrays, firsts[short], counts[short])),
                    (np.flatnonzero(~short), posting_blocks(*arrays, firsts[~short],
                                                            counts[~short], block_limit))):
                entries.update(zip(picked.tolist(), encoded))
        for k, rank_at in enumerate(ready.ranks.tolist()):
            entry = entries.get(k)
            if entry is not None:
                yield keys[order[rank_at]], entry
                continue
            a, b = bounds[k], bounds[k + 1]
            ids, weights, sizes, values, ends, lengths = ready.lists()
            packed = PackedValues(sizes[a:b], values[ends[a]:ends[b]])
            yield keys[order[rank_at]], (ids[a:b], weights[a:b], packed, lengths[a:b])

    def prepare(self) -> "_Joined | None":
        """Every posting of the field — this TextPostings' own and those of
        the shards joined to it — with its term's rank in byte order (None
        if no document has a term): computed once; `postings` sorts a part
        of it."""
        if self._joined is None and (self._docnums or self._shards):
            shards = [*self._shards, self.shard()] if self._docnums else self._shards
            self._joined = _Joined(shards)
            self._shards = []  # (all in the arrays above now)
        return self._joined

    def _part(self, part: tuple[int, int]) -> "_Prepared | None":
        """The postings of `part` (see `postings`), sorted. A run of terms
        is dropped once written (a flush holds one field's at a time); the
        whole is kept, and the unsorted postings dropped instead (half the
        memory at a flush)."""
        if part in self._ready:
            return self._ready[part]
        joined = self.prepare()
        if joined is None:
            return None
        ready = _Prepared(joined, *part)
        if part == (0, 1):
            joined.release()
            self._ready[part] = ready
        return ready

    def shard(self) -> "Shard":
        """What this TextPostings gathered, in runs, for another's `join`:
        the documents it took are none of the other's."""
        self._seal()
        shard = Shard(list(self._terms), self._runs, self._docnums, self._lengths,
                      self._boosts)
        self._runs = []
        return shard

    def join(self, shard: "Shard") -> None:
        """Take another TextPostings' `shard` (other documents of the same
        field, analysed in another process): its postings are sorted in
        with these, by term and document, when they are asked for."""
        if len(shard.docnums):
            self._shards.append(shard)

    def field_lengths(self) -> tuple[list[int], list[int]]:
        """(document numbers, field lengths) of the documents with a term,
        in document order."""
        joined = self.prepare()
        if joined is None:
            return [], []
        return joined.docs.tolist(), joined.lengths.tolist()

    def _seal(self) -> None:
        """Turn the words not in a run yet into a run of postings, sorted by
        term number: (term numbers, documents, frequencies, value sizes,
        values) per posting. In a run, each term's postings are in
        document order, and runs follow each other in document order."""
        import numpy as np  # indexing only: a search never builds postings

        if not self._words:
            return
        counts = np.frombuffer(self._word_counts, dtype=np.int64)[self._sealed:]
        docs = np.frombuffer(self._docnums, dtype=np.int64)[self._sealed:]
        term, doc, pos = self._emissions(np, np.frombuffer(self._words, dtype=np.int32),
                                         counts, docs)
        by_term = np.argsort(term, kind="stable")
        term, doc, pos = term[by_term], doc[by_term], pos[by_term]
        first = np.empty(len(term), dtype=bool)  # an emission starting a posting
        first[0] = True
        first[1:] = (term[1:] != term[:-1]) | (doc[1:] != doc[:-1])
        starts = np.flatnonzero(first)
        freq = np.diff(np.append(starts, len(term)))
        values, sizes = _position_values(np, pos, first, starts, freq)
        # 32 bits a number (term and document numbers, frequencies and
        # value sizes all fit): a 50,000-article batch's runs took 780 MB
        # at the flush with 64.
        self._runs.append(tuple(column.astype(np.int32) for column in
                                (term[starts], doc[starts], freq, sizes)) + (values,))
        self._words = array("i")
        self._sealed = len(self._docnums)

    def _emissions(self, np, words, counts, docs):
        """(term number, document, position) of every term the `words` of
        documents `docs` (`counts` words each) emit, in document and
        position order."""
        width = np.array(self._width, dtype=np.int64)[words]
        end = np.cumsum(width)
        start = end - width
        first_word = np.cumsum(counts) - counts
        position = start - np.repeat(start[first_word], counts)

        emit_count = np.array(self._emit_count, dtype=np.int64)[words]
        emit_start = np.array(self._emit_start, dtype=np.int64)[words]
        word_of = np.repeat(np.arange(len(words)), emit_count)
        within = np.arange(len(word_of)) - np.repeat(np.cumsum(emit_count) - emit_count,
                                                     emit_count)
        k = emit_start[word_of] + within
        term = np.frombuffer(self._emit_term, dtype=np.int32)[k].astype(np.int64)
        pos = position[word_of] + np.frombuffer(self._emit_offset, dtype=np.int32)[k]
        doc = np.repeat(docs, counts)[word_of]
        return term, doc, pos


class Shard(NamedTuple):
    """A TextPostings' postings in runs (see TextPostings._seal), its terms
    numbered in `keys`' order, and per document with a term: its number,
    field length and boost."""

    keys: list[bytes]
    runs: list[tuple]
    docnums: array
    lengths: array
    boosts: array


class _Joined:
    """The postings of one or more shards, one after the other: per posting
    its term's rank in the byte order of every shard's terms (`keys`, in
    `order`), its document, frequency and encoded positions (`values`, `sizes`
    long); per document with a term (in document order) its field length
    and boost. Runs keep their order within each shard: each run is sorted
    by (rank, document)."""

    def __init__(self, shards: list[Shard]):
        import numpy as np  # indexing only: a search never builds postings

        self.np = np
        table: dict[bytes, int] = {}  # term → number in `keys`
        numbers = []  # per shard: its term numbers → numbers in `keys`
        for shard in shards:
            if not table:  # (the first shard's numbers are the table's)
                table = dict(zip(shard.keys, range(len(shard.keys))))
                numbers.append(np.arange(len(shard.keys)))
            else:
                numbers.append(np.fromiter((table.setdefault(key, len(table))
                                            for key in shard.keys), np.int64, len(shard.keys)))
        self.keys = keys = list(table)
        self.order = order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.empty(len(keys), dtype=np.int32)
        rank[order] = np.arange(len(keys))
        runs = [(rank[number][run[0]], *run[1:])
                for shard, number in zip(shards, numbers) for run in shard.runs]
        self.term, self.ids, self.freq, self.sizes = (np.concatenate([run[n] for run in runs])
                                                      for n in range(4))
        self.values = b"".join(run[4] for run in runs)
        docs = np.concatenate([np.frombuffer(s.docnums, dtype=np.int64) for s in shards])
        by_doc = np.argsort(docs, kind="stable")
        self.docs = docs[by_doc]
        self.lengths, self.boosts = (
            np.concatenate([np.frombuffer(getattr(s, name), dtype=dtype) for s in shards])[by_doc]
            for name, dtype in (("lengths", np.int64), ("boosts", np.float64)))
        self.unboosted = bool((self.boosts == 1.0).all())
        # Where each term's postings start, in (rank, document) order.
        counts = np.bincount(self.term, minlength=len(keys))
        self.starts = np.cumsum(counts) - counts

    def release(self) -> None:
        """Drop the postings (sorted elsewhere now), keeping the documents'."""
        self.term = self.ids = self.freq = self.sizes = self.values = None

    def share(self, i: int, n: int) -> tuple[int, int]:
        """The terms (a range of ranks) of the i-th of n runs of terms
        holding about equal numbers of postings."""
        np, total = self.np, len(self.term)
        cut = [int(np.searchsorted(self.starts, total * j // n)) for j in (i, i + 1)]
        return (0 if i == 0 else cut[0]), (len(self.keys) if i == n - 1 else cut[1])


class _Prepared:
    """The postings of a _Joined's i-th of n runs of terms as arrays,
    sorted into (term, document) order: per posting its document, weight,
    field length and encoded positions (`values`, ending at `ends`); per
    term present, its first posting and count, and its rank in the
    segment's byte order of terms. Each of n processes sorts its own run
    (see text_builder): sorting them all before the processes forked was
    the flush's serial step."""

    def __init__(self, joined: _Joined, i: int = 0, n: int = 1):
        np = self.np = joined.np
        self.keys, self.order = joined.keys, joined.order
        term, ids = joined.term, joined.ids
        lo, hi = joined.share(i, n)
        picked = None if n == 1 else np.flatnonzero((term >= lo) & (term < hi))
        if picked is not None:
            term, ids = term[picked], ids[picked]
        # By (rank, document): each run is in that order already, which the
        # stable sort (a merge of sorted runs) takes advantage of.
        by_term = np.argsort((term.astype(np.int64) << 32) | ids, kind="stable")
        if picked is not None:
            by_term = picked[by_term]
        term, ids, freq = joined.term[by_term], joined.ids[by_term], joined.freq[by_term]
        self.values = _gathered(np, joined.values, joined.sizes, by_term)
        self.sizes = sizes = joined.sizes[by_term]
        self.ends = np.cumsum(sizes, dtype=np.int64)
        self.ids, self.freq = ids, freq

        at = np.searchsorted(joined.docs, ids)  # each posting's document
        self.lengths = joined.lengths[at]
        self.unboosted = joined.unboosted
        # Whole numbers when unboosted, as the codec stores them.
        self.weights = freq if self.unboosted else freq * joined.boosts[at]

        cuts = np.flatnonzero(np.diff(term)) + 1
        self.firsts = np.concatenate(([0], cuts)) if len(term) else np.zeros(0, np.int64)
        self.counts = np.diff(np.append(self.firsts, len(term)))
        self.ranks = term[self.firsts]
        self.bounds = [*self.firsts.tolist(), len(term)]
        self._lists = None

    def lists(self) -> tuple:
        """The postings as Python lists (for lists not encoded in arrays)."""
        if self._lists is None:
            self._lists = (self.ids.tolist(), self.weights.tolist(), self.sizes.tolist(),
                           self.values, [0, *self.ends.tolist()], self.lengths.tolist())
        return self._lists


def _gathered(np, blob: bytes, sizes, order) -> bytes:
    """The values of `blob` (one after the other, `sizes` long) in `order`."""
    starts = np.cumsum(sizes, dtype=np.int64) - sizes
    sizes = sizes[order]
    offsets = np.repeat(starts[order] - (np.cumsum(sizes, dtype=np.int64) - sizes), sizes)
    return np.frombuffer(blob, dtype=np.uint8)[offsets + np.arange(len(offsets))].tobytes()


def _position_values(np, pos, first, starts, freq) -> tuple[bytes, object]:
    """Every posting's CompactPositions value — varints of [count, first
    position, deltas…] — as one byte string, and each value's size."""
    postings = len(starts)
    delta = pos.copy()
    delta[1:] -= pos[:-1]
    delta[starts] = pos[starts]
    numbers = np.empty(len(pos) + postings, dtype=np.int64)
    count_at = starts + np.arange(postings)
    numbers[count_at] = freq
    numbers[np.arange(len(pos)) + np.cumsum(first)] = delta
    size = np.ones(len(numbers), dtype=np.int64)
    shifted = numbers >> 7
    while (shifted > 0).any():  # bytes per varint: 7 bits each
        size += shifted > 0
        shifted >>= 7
    number_of = np.repeat(np.arange(len(numbers)), size)
    byte_at = np.arange(len(number_of)) - np.repeat(np.cumsum(size) - size, size)
    data = (numbers[number_of] >> (7 * byte_at)) & 0x7F
    data |= (byte_at < size[number_of] - 1) << 7
    return data.astype(np.uint8).tobytes(), np.add.reduceat(size, count_at)
