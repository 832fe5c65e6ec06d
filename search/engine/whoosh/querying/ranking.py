"""Ranking: BM25 and BM25F as the literature defines them, for Whoosh.

Whoosh's BM25F, used the plain way, ranks a title+body OR query worse than
textbook BM25 (CISI MAP 0.157 against bm25s' 0.222), and with our analyzer
(stop words kept, title boost 2.5) worse still: 0.130 on CISI, 0.272 on
Cranfield. ``bench/bench_ranking.py`` measures each cause alone (MAP change
on CISI / Cranfield from that 0.130 / 0.272):

* **Fields scored apart and summed** (+0.013 / +0.027 when fixed). Whoosh
  saturates a word's frequency in the title and in the body separately and
  adds the two, so a headline match earns a second full BM25 score, which the
  title boost then multiplies (a title boost of 1 instead of 2.5 alone gives
  +0.015 / +0.024). True BM25F (Robertson & Zaragoza) adds the *weighted,
  length-normalised* frequencies of the fields and saturates once: the title
  counts more, but a word cannot score twice. :class:`BM25FTerm` does that.
* **Function words in an OR query** (+0.025 / +0.026 when dropped from the
  query). Whoosh's idf gives a word in every document half the weight of a
  mid-frequency word, and our index keeps stop words (phrases stay exact), so
  "what", "the", "of" match everything. See :data:`search.text.query_words.QUERY_STOP_WORDS`.
* **Its idf never reaches zero**: ``log(N / (df + 1)) + 1`` (+0.008 / +0.006
  with Lucene's ``log(1 + (N - df + 0.5) / (df + 0.5))``, which tends to 0).
* **A word repeated in the query counts once**: Whoosh's ``Or`` drops
  duplicate subqueries. BM25 multiplies by the query term frequency (+0.011 /
  -0.009 alone; +0.018 / -0.002 once idf is fixed): long requests repeat
  what they are about. ``ranked_query.for_ranking`` passes it on as ``BM25FTerm.qf``.
* **K1 1.2** is low for these collections (K1 2.0: +0.012 / +0.013).

Measured and found *not* to matter: Whoosh's one-byte (lossy) field lengths
(exact lengths: -0.000 / -0.001), what the lengths count (without stop
words: within 0.003), and Whoosh's ``Or`` coordination bonus (+0.000). So the
schema is unchanged.

:class:`BM25F` is the searcher's weighting: it scores the query language's
per-field ``Term`` queries with plain BM25 and the corrected idf, and holds
the parameters that :class:`BM25FTerm` reads.
"""

from __future__ import annotations

import weakref
from math import log
from typing import Callable

from whoosh import matching, query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer

from ..codec import term_doc_ids, term_postings
from ....fields import TEXT_FIELDS
from .phrases import phrase_docs

#: Term-frequency saturation, length normalisation and the fields' BM25F
#: weights: chosen by cross-validation over CISI, Cranfield and Reuters-21578
#: topic queries (bench/cv_ranking.py; docs/ranking.md has the figures).
#: Higher k1 and lower b than Lucene's 1.2 / 0.75: the abstracts want k1 3-4,
#: the news stories b 0.3-0.5 (long stories are not less relevant); a title
#: match counts four body matches.
K1 = 3.0
B = 0.5
FIELD_WEIGHTS = {"title": 4.0, "body": 1.0}

# (Function words, which a free-text query gives no weight: text/query_words.py.)


def idf(doc_count: int, doc_freq: int) -> float:
    """Lucene's BM25 idf: positive, and near 0 for a word in every document."""
    return log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


class BM25F(WeightingModel):
    """BM25 per field (for ``Term`` queries) with a correct idf, and the
    parameters of true BM25F (for :class:`BM25FTerm`).

    `weights` are the fields' BM25F weights (default :data:`FIELD_WEIGHTS`;
    the query parser's field boosts, ``schema.TEXT_FIELDS``, only mark which
    per-field terms are one word); `field_b` overrides `b` per field."""

    def __init__(self, k1: float = K1, b: float = B, weights: dict[str, float] | None = None,
                 field_b: dict[str, float] | None = None):
        self.k1 = k1
        self.b = b
        self.weights = dict(FIELD_WEIGHTS if weights is None else weights)
        self.field_b = dict(field_b or {})

    def b_for(self, fieldname: str) -> float:
        return self.field_b.get(fieldname, self.b)

    def supports_block_quality(self) -> bool:
        return True

    def term_idf(self, doc_count: int, doc_freq: int) -> float:
        """The idf of a word found in `doc_freq` of `doc_count` documents."""
        return idf(doc_count, doc_freq)

    def idf(self, searcher, fieldname, text) -> float:
        parent = searcher.get_parent()
        return self.term_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _FieldScorer(searcher, fieldname, text, self.k1, self.b_for(fieldname), qf)

    def __repr__(self) -> str:
        return (f"BM25F(k1={self.k1}, b={self.b}, weights={self.weights}, "
                f"field_b={self.field_b})")


class _FieldScorer(WeightLengthScorer):
    """Plain BM25 of one term in one field (global idf and average length)."""

    def __init__(self, searcher, fieldname, text, k1, b, qf=1):
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1.0
        self.k1, self.b, self.qf = k1, b, qf
        self.setup(searcher, fieldname, text)

    def _score(self, weight, length):
        norm = (1 - self.b) + self.b * length / self.avgfl
        return self.qf * self.idf * weight * (self.k1 + 1) / (weight + self.k1 * norm)


#: Used by BM25FTerm when the searcher's weighting is not a BM25F.
DEFAULT = BM25F()


class BM25FTerm(wq.Query):
    """One (analysed) query word scored with true BM25F over several fields.

    A document's pseudo-frequency is ``sum(w_f * tf_f / ((1 - b_f) + b_f *
    len_f / avglen_f))`` over the fields; its score ``qf * idf * tf~ * (k1 +
    1) / (tf~ + k1)``, where idf counts the documents that have the word in
    any of the fields. Field weights, k1 and b come from the searcher's
    :class:`BM25F` weighting.

    Combine words with ``whoosh.query.Or``: scores add up across words.
    Whoosh asks a leaf for one field: :meth:`field` names the first text
    field, and :meth:`terms` gives the word in every one (for highlighting)."""

    fieldname = next(iter(TEXT_FIELDS))

    def __init__(self, text: str, qf: float = 1.0, boost: float = 1.0):
        self.text = text
        self.qf = qf
        self.boost = boost

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r}, qf={self.qf!r}, boost={self.boost!r})"

    def __unicode__(self) -> str:
        return self.text

    __str__ = __unicode__

    def __eq__(self, other) -> bool:
        return (type(other) is type(self) and other.text == self.text
                and other.qf == self.qf and other.boost == self.boost)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.text, self.qf, self.boost))

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False):
        for fieldname in DEFAULT.weights:
            yield fieldname, self.text

    def estimate_size(self, ixreader) -> int:
        return max((ixreader.doc_frequency(f, self.text) for f in DEFAULT.weights), default=0)

    def matcher(self, searcher, context=None):
        scores = self.scores(searcher, context)
        if not scores:
            return matching.NullMatcher()
        ids = sorted(scores)
        return matching.ListMatcher(ids, [scores[d] for d in ids])

    def scores(self, searcher, context=None) -> dict[int, float]:
        """Document number → BM25F score, for the documents of `searcher`
        (one segment) that have the word in a text field. (The reference:
        `array_scores` computes the same with numpy for the vectorised path.)"""
        model = _model(searcher, context)
        parent = searcher.get_parent()
        reader = searcher.reader()
        btext = self.text.encode("utf-8")
        fields = [f for f in model.weights if f in searcher.schema]
        pseudo: dict[int, float] = {}
        for fieldname in fields:
            if (fieldname, btext) not in reader:
                continue
            weight = model.weights[fieldname]
            b = model.b_for(fieldname)
            avg = parent.avg_field_length(fieldname) or 1.0
            ids, weights = term_postings(reader, fieldname, btext)
            lengths = length_bytes(reader, fieldname)
            if lengths is None:
                norms = [(1 - b) + b * (reader.doc_field_length(d, fieldname, 0) or 0) / avg
                         for d in ids]
            else:  # one norm per length byte, not per posting
                table = [(1 - b) + b * (byte_to_length(n) if n else 0) / avg for n in range(256)]
                norms = [table[lengths[d]] for d in ids]
            get = pseudo.get
            for docnum, tf, norm in zip(ids, weights, norms):
                pseudo[docnum] = get(docnum, 0.0) + weight * tf / norm
        if not pseudo:
            return {}
        # Searching one segment of several: count the word in all of them.
        doc_freq = len(pseudo) if parent is searcher else _doc_freq(parent, fields, btext)
        factor = self.qf * self.boost * model.term_idf(parent.doc_count_all(), doc_freq) \
            * (model.k1 + 1)
        return {d: factor * tf / (tf + model.k1) for d, tf in pseudo.items()}


def _model(searcher, context) -> "BM25F":
    weighting = context.weighting if context is not None else searcher.weighting
    return weighting if isinstance(weighting, BM25F) else DEFAULT


class BM25FPhrase(wq.Query):
    """A phrase searched in every text field (what the parser makes of
    ``"oil prices"`` and of ``non-linear``): it matches where the phrase is,
    in any field, and scores as its words do, each by true BM25F (so the
    title counts more, but no word scores twice: Whoosh's phrase scored
    each field apart and added them, like its terms)."""

    fieldname = next(iter(TEXT_FIELDS))

    def __init__(self, words: list[str], slop: int = 1, boost: float = 1.0,
                 check: Callable[[], None] = lambda: None):
        self.words = list(words)
        self.slop = slop
        self.boost = boost
        self.check = check  # the search's deadline check, while matches are first found

    def field_phrases(self, schema) -> list[wq.Phrase]:
        """The phrase in each text field of `schema`."""
        return [wq.Phrase(name, self.words, slop=self.slop) for name in DEFAULT.weights
                if name in schema]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.words!r}, slop={self.slop!r}, boost={self.boost!r})"

    def __unicode__(self) -> str:
        return '"' + " ".join(self.words) + '"'

    __str__ = __unicode__

    def __eq__(self, other) -> bool:
        return (type(other) is type(self) and other.words == self.words
                and other.slop == self.slop and other.boost == self.boost)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self.words), self.slop, self.boost))

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False):
        if phrases:
            for fieldname in DEFAULT.weights:
                for word in self.words:
                    yield fieldname, word

    def estimate_size(self, ixreader) -> int:
        return min((ixreader.doc_frequency(f, w) for f in DEFAULT.weights
                    for w in self.words), default=0)

    def matcher(self, searcher, context=None):
        fields = [f for f in _model(searcher, context).weights if f in searcher.schema]
        found: set[int] = set()
        for fieldname in fields:
            phrase = wq.Phrase(fieldname, self.words, slop=self.slop)
            if searcher.is_atomic():  # a segment: its match set, found once (see phrases)
                found.update(phrase_docs(phrase, searcher, self.check))
            else:
                found.update(phrase.matcher(searcher, context).all_ids())
        if not found:
            return matching.NullMatcher()
        ids = sorted(found)
        totals = dict.fromkeys(ids, 0.0)
        for word in dict.fromkeys(self.words):
            for docnum, score in BM25FTerm(word).scores(searcher, context).items():
                if docnum in totals:
                    totals[docnum] += score
        return matching.ListMatcher(ids, [self.boost * totals[d] for d in ids])


#: Per segment reader: each text field's length bytes (see length_bytes).
_LENGTHS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def length_bytes(reader, fieldname: str) -> bytes | None:
    """Every document's one-byte field length in a segment reader (Whoosh's
    length column read whole), or None where the reader does not have one
    such column (then lengths are read one by one)."""
    cache = _LENGTHS.setdefault(reader, {})
    if fieldname not in cache:
        cache[fieldname] = _read_length_bytes(reader, fieldname)
    return cache[fieldname]


def _read_length_bytes(reader, fieldname: str) -> bytes | None:
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return bytes(reader.doc_count_all())
        if column._fixedlen != 1:
            return None
        data = bytes(column._dbfile.get(column._basepos, column._count))
        return data + column._defaultbytes * (column._doccount - column._count)
    except AttributeError:  # not a Whoosh 2.7 segment reader
        return None


#: Per top-level searcher: documents with a word in any text field.
_DOC_FREQS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _doc_freq(searcher, fields: list[str], btext: bytes) -> int:
    """How many documents of `searcher` have the word in any of `fields`."""
    cache = _DOC_FREQS.setdefault(searcher, {})
    key = (tuple(fields), btext)
    if key not in cache:
        # Segments hold different documents: count each one's live ones and
        # add up (whole posting lists read a block at a time, not through
        # the index-wide matcher a posting at a time).
        count = 0
        for sub, _offset in searcher.leaf_searchers():
            reader, docs = sub.reader(), set()
            for fieldname in fields:
                if (fieldname, btext) in reader:
                    docs.update(term_doc_ids(reader, fieldname, btext))
            if docs and reader.has_deletions():
                docs.difference_update(reader._perdoc.deleted_docs())
            count += len(docs)
        cache[key] = count
    return cache[key]


def rank(searcher, q: wq.Query, limit: int,
         ids: dict[int, str] | None = None) -> list[tuple[str, float]]:
    """The top `limit` (article id, score) pairs for `q`, best first, without
    building hits (no snippets, facets or suggestions): for evaluation runs.
    `ids` memoises document number → article id across calls on one searcher."""
    ids = {} if ids is None else ids
    ranked = []
    for docnum, score in searcher.search(q, limit=limit).items():
        if docnum not in ids:
            ids[docnum] = searcher.stored_fields(docnum)["id"]
        ranked.append((ids[docnum], float(score)))
    return ranked
