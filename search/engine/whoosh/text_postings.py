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
merged into term order when the postings are asked for (`prepare`).

The result is exactly what `NewsAnalyzer.term_positions` and
``CompactPositions.word_values`` give one document at a time (the tests
compare whole segments built both ways, byte for byte). A new segment's
lists are handed over already encoded, by the same array operations
(`codec.inline_entries`, `codec.posting_blocks`): encoding them one at a
time in Python had become most of writing its terms.
"""

from __future__ import annotations

from array import array
from typing import Callable, Iterator

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
        self._ready: _Prepared | None = None  # see prepare()
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
        return len(self._docnums)

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
        apart: see text_builder), after `prepare()`."""
        ready = self.prepare()
        if ready is None:
            return
        np, keys, order = ready.np, ready.keys, ready.order
        lo, hi = ready.share(*part)
        bounds = ready.bounds
        entries = {}
        if inline_limit and ready.unboosted:
            # Whole lists encoded in array operations: short ones as their
            # table entry, long ones as their blocks.
            firsts, counts = ready.firsts[lo:hi], ready.counts[lo:hi]
            arrays = (np, ready.ids, ready.freq, ready.sizes, ready.values, ready.ends,
                      ready.lengths)
            short = counts <= inline_limit
            for picked, encoded in (
                    (np.flatnonzero(short), inline_entries(*arrays, firsts[short], counts[short])),
                    (np.flatnonzero(~short), posting_blocks(*arrays, firsts[~short],
                                                            counts[~short], block_limit))):
                entries.update(zip((picked + lo).tolist(), encoded))
        for k, rank_at in enumerate(ready.ranks[lo:hi].tolist(), start=lo):
            entry = entries.get(k)
            if entry is not None:
                yield keys[order[rank_at]], entry
                continue
            a, b = bounds[k], bounds[k + 1]
            ids, weights, sizes, values, ends, lengths = ready.lists()
            packed = PackedValues(sizes[a:b], values[ends[a]:ends[b]])
            yield keys[order[rank_at]], (ids[a:b], weights[a:b], packed, lengths[a:b])

    def prepare(self) -> "_Prepared | None":
        """The segment's postings in array form, in term order (None if no
        document has a term): computed once; `postings` reads from it."""
        if self._ready is None and self._docnums:
            self._ready = _Prepared(self)
        return self._ready

    def field_lengths(self) -> tuple[list[int], list[int]]:
        """(document numbers, field lengths) of the documents with a term."""
        return self._docnums.tolist(), self._lengths.tolist()

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


class _Prepared:
    """A TextPostings' postings as arrays, sorted into (term, document)
    order: per posting its document, weight, field length and encoded
    positions (`values`, ending at `ends`); per term present, its first
    posting and count, and its rank in the segment's byte order of terms."""

    def __init__(self, text: TextPostings):
        import numpy as np  # indexing only: a search never builds postings

        self.np = np
        text._seal()
        runs = text._runs
        term, ids, freq, sizes = (np.concatenate([run[n] for run in runs]) for n in range(4))
        values = b"".join(run[4] for run in runs)
        text._runs = runs = []  # (all in the arrays above now)
        # Term numbers → ranks in byte order; a stable sort by rank keeps
        # each term's postings in run order, so in document order.
        self.keys = keys = list(text._terms)
        self.order = order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.empty(len(keys), dtype=np.int32)
        rank[order] = np.arange(len(keys))
        term = rank[term]
        by_term = np.argsort(term, kind="stable")
        term, ids, freq = term[by_term], ids[by_term], freq[by_term]
        self.values = _gathered(np, values, sizes, by_term)
        self.sizes = sizes = sizes[by_term]
        self.ends = np.cumsum(sizes, dtype=np.int64)
        self.ids, self.freq = ids, freq

        docs = np.frombuffer(text._docnums, dtype=np.int64)
        at = np.searchsorted(docs, ids)  # each posting's document
        self.lengths = np.frombuffer(text._lengths, dtype=np.int64)[at]
        boosts = np.frombuffer(text._boosts, dtype=np.float64)
        self.unboosted = bool((boosts == 1.0).all())
        # Whole numbers when unboosted, as the codec stores them.
        self.weights = freq if self.unboosted else freq * boosts[at]

        cuts = np.flatnonzero(np.diff(term)) + 1
        self.firsts = np.concatenate(([0], cuts))
        self.counts = np.diff(np.append(self.firsts, len(term)))
        self.ranks = term[self.firsts]
        self.bounds = [*self.firsts.tolist(), len(term)]
        self._lists = None

    def share(self, i: int, n: int) -> tuple[int, int]:
        """The terms (a range of term indexes) of the i-th of n runs holding
        about equal numbers of postings."""
        np, total = self.np, self.bounds[-1]
        cut = [int(np.searchsorted(self.firsts, total * j // n)) for j in (i, i + 1)]
        return (0 if i == 0 else cut[0]), (len(self.firsts) if i == n - 1 else cut[1])

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
