"""Phrases matched once per segment, then ranked from that match list.

Walking word positions is the costliest matching there is: on Reuters-21578
`"the company said"` took 0.4 s a pass, and a search made two passes (the
ranked page, then every match for the total and facets), so under load a
common phrase ran into the server's time limit. A segment never changes, so
the documents a phrase matches in it are found once (positions walked with
a deadline check every 256 candidates) and kept in a per-segment cache;
the count pass reads that set, and the ranking pass scores only those
documents.

Ranking is unchanged: Whoosh scores a phrase as the sum of its words' scores
on the documents where the words stand together (its span matcher wraps the
intersection of the word matchers), which is exactly the AND of the words
filtered to the kept documents. Deleted documents are left to the callers,
as with any posting list.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Callable

from whoosh import matching, query as wq
from whoosh.matching import wrappers

from ..segment_cache import SegmentCache

#: (segment, phrase) match sets kept.
CACHED_PHRASES = 2048
#: Candidates walked between two deadline checks.
CHECK_EVERY = 256

_cache = SegmentCache(CACHED_PHRASES)


def _key(q: wq.Phrase) -> str:
    return f"phrase\0{q.fieldname}\0{q.slop}\0" + "\0".join(q.words)


def phrase_docs(q: wq.Phrase, searcher, check: Callable[[], None] = lambda: None) -> frozenset:
    """The documents of one segment searcher's segment where phrase `q`
    matches (deleted ones included), found once per segment."""
    def build() -> frozenset:
        found = []
        m = wq.Phrase.matcher(q, searcher)  # Whoosh's own span matching
        while m.is_active():
            found.append(m.id())
            if not len(found) % CHECK_EVERY:
                check()
            m.next()
        return frozenset(found)
    return _cache.get(searcher.reader(), _key(q), build)


class KeptPhrase(wq.Phrase):
    """A phrase that matches from its kept match set (see the module);
    `check` is called while a segment's matches are first found."""

    def __init__(self, phrase: wq.Phrase, check: Callable[[], None] = lambda: None):
        super().__init__(phrase.fieldname, phrase.words, slop=phrase.slop, boost=phrase.boost,
                         char_ranges=getattr(phrase, "char_ranges", None))
        self.check = check

    def __repr__(self) -> str:  # the same as the phrase's: caches key on it
        return "Phrase(%r, %r, slop=%s, boost=%f)" % (self.fieldname, self.words,
                                                      self.slop, self.boost)

    def docs(self, searcher):
        return iter(sorted(phrase_docs(self, searcher, self.check)))

    def matcher(self, searcher, context=None):
        if self.fieldname not in searcher.schema:
            return matching.NullMatcher()
        if not searcher.is_atomic():  # not a segment: Whoosh's own way
            return wq.Phrase.matcher(self, searcher, context)
        docs = phrase_docs(self, searcher, self.check)
        if not docs:
            return matching.NullMatcher()
        words = self._and_query().matcher(searcher, context)
        return _OnlyDocs(words, docs, boost=self.boost, end=searcher.reader().doc_count_all())


class _OnlyDocs(wrappers.FilterMatcher):
    """The child's postings on the given documents only, skipping straight
    from one to the next (`end`: a number past every document). Block-quality
    skipping is off: the child's bounds would land it outside the set."""

    def __init__(self, child, ids, exclude=False, boost=1.0, end: int = 0):
        self._order, self._end = sorted(ids), end
        super().__init__(child, ids, exclude=False, boost=boost)

    def copy(self):
        return self.__class__(self.child.copy(), self._ids, boost=self.boost, end=self._end)

    def _replacement(self, newchild):
        return self.__class__(newchild, self._ids, boost=self.boost, end=self._end)

    def supports_block_quality(self) -> bool:
        return False

    def _find_next(self) -> bool:
        child, ids, order = self.child, self._ids, self._order
        moved = False
        while child.is_active() and child.id() not in ids:
            after = bisect_right(order, child.id())
            child.skip_to(order[after] if after < len(order) else self._end)
            moved = True
        return moved


def keep_phrases(q: wq.Query, check: Callable[[], None] = lambda: None) -> wq.Query:
    """`q` with every phrase matched through its kept match set."""
    from .ranking import BM25FPhrase  # (ranking uses phrase_docs)

    def swap(node: wq.Query) -> wq.Query:
        if type(node) is wq.Phrase:
            return KeptPhrase(node, check)
        if type(node) is BM25FPhrase:
            return BM25FPhrase(node.words, node.slop, node.boost, check=check)
        return node
    return q.accept(swap)
