"""BM25F over whole posting lists at once, with numpy: what
`ranking.BM25FTerm.scores` computes a posting at a time (the reference),
the same float operations in the same order, so the scores are equal to the
last bit (tests/test_topk.py). Only the vectorised path (see `vectorised`)
imports this module: numpy takes longer to import than a small index takes
to search.
"""

from __future__ import annotations

import weakref

import numpy as np
from whoosh.util.numeric import byte_to_length

from ..codec.arrays import posting_arrays
from . import docarrays
from .ranking import _DOC_FREQS, BM25FTerm, _model, length_bytes

NO_IDS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0)


def term_scores(term: BM25FTerm, searcher, context=None) -> tuple[np.ndarray, np.ndarray]:
    """The documents of `searcher` (one segment) that have the word in a
    text field, ascending, and their BM25F scores (`term.scores` as arrays)."""
    model = _model(searcher, context)
    parent = searcher.get_parent()
    reader = searcher.reader()
    btext = term.text.encode("utf-8")
    fields = [f for f in model.weights if f in searcher.schema]
    parts = []  # per field: (document numbers, weighted normalised frequencies)
    for fieldname in fields:
        ids, tfs = live(reader, *posting_arrays(reader, fieldname, btext))
        if not len(ids):  # not in this field, or every one deleted
            continue
        norms = _norms(reader, fieldname, ids, model.b_for(fieldname),
                       parent.avg_field_length(fieldname) or 1.0)
        parts.append((ids, model.weights[fieldname] * tfs / norms))
    if not parts:
        return NO_IDS, _NO_SCORES
    if len(parts) == 1:
        docs, pseudo = parts[0]
    else:  # summed per document, title first, then body: 0.0 + title + body
        docs = docarrays.union([ids for ids, _ in parts], reader.doc_count_all())
        pseudo = np.zeros(len(docs))
        for ids, frequencies in parts:
            pseudo[docs.searchsorted(ids)] += frequencies
    # Searching one segment of several: count the word in all of them.
    doc_freq = len(docs) if parent is searcher else doc_freq_of(parent, fields, btext)
    factor = term.qf * term.boost * model.term_idf(parent.doc_count_all(), doc_freq) \
        * (model.k1 + 1)
    return docs, factor * pseudo / (pseudo + model.k1)


def doc_freq_of(searcher, fields: list[str], btext: bytes) -> int:
    """ranking._doc_freq (how many live documents of the whole index have
    the word in any of `fields`) from the kept posting arrays, which the
    search's matching has just read; the same count, in the same cache."""
    cache = _DOC_FREQS.setdefault(searcher, {})
    key = (tuple(fields), btext)
    if key not in cache:
        count = 0
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            docs = docarrays.union([posting_arrays(reader, f, btext)[0] for f in fields],
                                   reader.doc_count_all())
            count += len(live(reader, docs, docs)[0])
        cache[key] = count
    return cache[key]


def live(reader, ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The postings of documents not deleted."""
    if not len(ids) or not reader.has_deletions():
        return ids, weights
    kept = ~np.isin(ids, np.fromiter(reader._perdoc.deleted_docs(), dtype=np.int64))
    return ids[kept], weights[kept]


def _norms(reader, fieldname: str, ids: np.ndarray, b: float, avg: float) -> np.ndarray:
    """BM25's length normalisation ``(1 - b) + b * length / avg`` of each
    document in `ids` for one field."""
    lengths = length_bytes(reader, fieldname)
    if lengths is None:
        return np.array([(1 - b) + b * (reader.doc_field_length(d, fieldname, 0) or 0) / avg
                         for d in ids.tolist()])
    cache = _NORMS.setdefault(reader, {})
    key = (fieldname, b, avg)
    if key not in cache:  # one norm per length byte, not per posting
        table = np.array([(1 - b) + b * (byte_to_length(n) if n else 0) / avg
                          for n in range(256)])
        cache[key] = table, np.frombuffer(lengths, dtype=np.uint8)
    # (Looked up for the postings only: a norm for every document of the
    # segment was 8 bytes each, and ~30 ms of a million's first search.)
    table, length_of = cache[key]
    return table[length_of[ids]]


#: Per segment reader: (field, b, average length) → (the norm of each
#: length byte, every document's length byte).
_NORMS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
