"""BM25F at the documents being ranked, with numpy: what
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


def term_scores(term: BM25FTerm, searcher, context, wanted: np.ndarray
                ) -> tuple[np.ndarray | None, np.ndarray]:
    """(present, scores) over the documents `wanted` (ascending) of
    `searcher` (one segment): whether each has the word in a text field, and
    its BM25F score (`term.scores`; 0.0 where absent); present is None
    when no live document of the segment has the word at all. Only the wanted
    documents are normalised and scored, not the word's whole posting lists:
    a search ranks its matches, often a dozen of a common word's thousands."""
    model = _model(searcher, context)
    parent = searcher.get_parent()
    reader = searcher.reader()
    btext = term.text.encode("utf-8")
    fields = [f for f in model.weights if f in searcher.schema]
    pseudo = present = None  # summed per document, title first, then body
    for fieldname in fields:
        ids, tfs = live(reader, *posting_arrays(reader, fieldname, btext))
        if not len(ids):  # not in this field, or every one deleted
            continue
        at = np.minimum(ids.searchsorted(wanted), len(ids) - 1)
        found = ids[at]
        hit = found == wanted
        # (Normalised at the posting found, which has the field, so a
        # document without it never divides by a zero norm.)
        norms = _norms(reader, fieldname, found, model.b_for(fieldname),
                       parent.avg_field_length(fieldname) or 1.0)
        frequencies = np.where(hit, model.weights[fieldname] * tfs[at] / norms, 0.0)
        # (x + 0.0 is x: the same sums as adding each field where it occurs.)
        pseudo = frequencies if pseudo is None else pseudo + frequencies
        present = hit if present is None else present | hit
    if pseudo is None:
        return None, np.zeros(len(wanted))
    doc_freq = (_doc_freq(reader, fields, btext) if parent is searcher
                else doc_freq_of(parent, fields, btext))
    factor = term.qf * term.boost * model.term_idf(parent.doc_count_all(), doc_freq) \
        * (model.k1 + 1)
    return present, np.where(present, factor * pseudo / (pseudo + model.k1), 0.0)


def _doc_freq(reader, fields: list[str], btext: bytes) -> int:
    """How many live documents of one segment have the word in any of
    `fields` (the union matching has just kept)."""
    docs = docarrays.text_docs(reader, btext, tuple(fields))
    return len(live(reader, docs, docs)[0])


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
            count += _doc_freq(reader, fields, btext)
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
    cache = _NORMS.get(reader)  # (asked for every word and field a search ranks)
    if cache is None:
        cache = _NORMS.setdefault(reader, {})
    key = (fieldname, b, avg)
    found = cache.get(key)
    if found is None:  # one norm per length byte, not per posting
        lengths = length_bytes(reader, fieldname)
        if lengths is None:
            return np.array([(1 - b) + b * (reader.doc_field_length(d, fieldname, 0) or 0) / avg
                             for d in ids.tolist()])
        table = np.array([(1 - b) + b * (byte_to_length(n) if n else 0) / avg
                          for n in range(256)])
        found = cache[key] = table, np.frombuffer(lengths, dtype=np.uint8)
    # (Looked up for the postings only: a norm for every document of the
    # segment was 8 bytes each, and ~30 ms of a million's first search.)
    table, length_of = found
    return table[length_of[ids]]


#: Per segment reader: (field, b, average length) → (the norm of each
#: length byte, every document's length byte).
_NORMS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
