"""Fuzzy term expansion (`growth~1`) that stays cheap on many segments.

Whoosh 2.7.4 expands a fuzzy word one way on a single segment (a Levenshtein
automaton that skips through the sorted term table) and another on several:
``MultiReader`` has no ``terms_within`` of its own, so the base class
merge-sorts every segment's terms starting with the word's prefix (all of
them, for prefix 0) and computes an edit distance for each in Python. On
Reuters-21578 in five segments `growth~1` took 2-5 s, three times over (the
expansion check, matching, highlighting).

Here every reader, whatever its field and however many segments it has,
expands the same way:

* one automaton per (word, distance, prefix), built once and kept: Whoosh's
  Levenshtein NFA plus transpositions, so `recieve~1` finds `receive` as
  the old multi-segment path did (Damerau distance, restricted);
* the segments not expanded yet walked with it together, through their
  term cursors merged (a lookup per automaton jump, not a scan; the
  automaton's next jump computed once for all segments), the words found
  kept per segment in the segment cache (segments never change; a merge
  makes new ones);
* the union, sorted.

Applied on import (by `codec`, which every index opens through).
"""

from __future__ import annotations

import re
from itertools import islice

from whoosh.automata.fsa import ANY, EPSILON, NFA
from whoosh.query import PatternQuery, Prefix, Wildcard
from whoosh.reading import EmptyReader, IndexReader, MultiReader, SegmentReader

from .segment_cache import LRU, SegmentCache, leaves
from .termdict import TermDictReader

#: Automata kept (a `word~2` automaton takes milliseconds to build).
CACHED_AUTOMATA = 256
#: (segment, field, word, distance, prefix) expansions kept.
CACHED_EXPANSIONS = 4096
#: Longest per-segment pattern expansion kept. A search refuses a
#: pattern standing for more than 5,000 words (querying.execute.MAX_EXPANSIONS), so
#: a longer list is never matched: walking it whole only to be refused
#: would cost what Whoosh's lazy walk stops early.
CACHED_PATTERN_TERMS = 5001
#: Most term blocks a wildcard of letters and ? reads, where its signatures
#: leave that few, instead of its automaton's jumps (a block read costs
#: about a jump: `?ing` leaves ~1,800 of Reuters' 3,700 body blocks, and
#: jumps ~80 times).
FEW_BLOCKS = 64
#: (segment, pattern) expansions kept: fewer than fuzzy ones, as a list may
#: be thousands of words (at most ~1.3 M terms in all).
CACHED_PATTERNS = 256

_automata = LRU(CACHED_AUTOMATA)
_expansions = SegmentCache(CACHED_EXPANSIONS)
_patterns = SegmentCache(CACHED_PATTERNS)


def damerau_automaton(term: str, k: int, prefix: int = 0):
    """A DFA accepting the words within `k` edits of `term` (insertions,
    deletions, substitutions and adjacent transpositions, each one edit)
    that share its first `prefix` characters."""
    nfa = NFA((0, 0))
    for i in range(min(prefix, len(term))):
        nfa.add_transition((i, 0), term[i], (i + 1, 0))
    n = len(term)
    for i in range(min(prefix, n), n + 1):
        for e in range(k + 1):
            if i < n:
                nfa.add_transition((i, e), term[i], (i + 1, e))  # a matching letter
            if e == k:
                continue
            nfa.add_transition((i, e), ANY, (i, e + 1))  # an extra letter in the word
            if i < n:
                nfa.add_transition((i, e), EPSILON, (i + 1, e + 1))  # a letter missing
                nfa.add_transition((i, e), ANY, (i + 1, e + 1))  # a letter changed
            if i + 1 < n and term[i] != term[i + 1]:  # two letters swapped
                nfa.add_transition((i, e), term[i + 1], ("swap", i, e))
                nfa.add_transition(("swap", i, e), term[i], (i + 2, e + 1))
    for e in range(k + 1):
        nfa.add_final_state((n, e))
    return nfa.to_dfa()


def _automaton(text: str, maxdist: int, prefix: int):
    return _automata.get((text, maxdist, prefix),
                         lambda: damerau_automaton(text, maxdist, prefix))


def _cursor(reader, fieldname: str):
    """A term cursor on one segment's field; None if it has no such field."""
    if isinstance(reader, EmptyReader) or fieldname not in reader.schema:
        return None
    field = reader.schema[fieldname]
    return reader.cursor(field.spelling_fieldname(fieldname))


def _merged_matches(dfa, cursors: list):
    """(word, cursors holding it) for each word `dfa` accepts in any cursor,
    in order: Whoosh's find_matches over the segments' merged terms, so the
    automaton computes each jump once for all segments, not once for each
    (most of a fuzzy word's cost grew with the segment count)."""
    def current():
        texts = [c.text() for c in cursors]
        live = [t for t in texts if t is not None]
        return texts, (min(live) if live else None)

    texts, term = current()
    match = dfa.next_valid_string(term) if term is not None else None
    while match:
        for cursor, text in zip(cursors, texts):
            if text is not None and text < match:  # those at or past it stay
                cursor.find(match)
        texts, term = current()
        if term is None:
            return
        if term == match:
            yield match, [c for c, t in zip(cursors, texts) if t == match]
            term += "\0"
        match = dfa.next_valid_string(term)


def _walk_together(segments: list, fieldname: str, dfa,
                   spelling: bool = True) -> list[tuple[str, ...]]:
    """The words each segment's field holds that `dfa` accepts, in order
    (`spelling`: in the field's spelling words, which fuzzy words walk)."""
    cursors = [_cursor(leaf, fieldname) if spelling else leaf.cursor(fieldname)
               for leaf in segments]
    found: dict[int, list[str]] = {id(c): [] for c in cursors if c is not None}
    for word, holding in _merged_matches(dfa, [c for c in cursors if c is not None]):
        for cursor in holding:
            found[id(cursor)].append(word)
    return [tuple(found[id(c)]) if c is not None else () for c in cursors]


def terms_within(reader, fieldname: str, text: str, maxdist: int, prefix: int = 0) -> list[str]:
    """The words of `fieldname` within `maxdist` edits of `text` (sharing its
    first `prefix` characters), over every segment of `reader`, sorted.
    Segments not expanded before are walked together, and each one's words
    kept for the next search (and for its own matcher)."""
    name = f"within\0{fieldname}\0{text}\0{maxdist}\0{prefix}"
    segments = [leaf for leaf, _ in leaves(reader)]
    words = {id(leaf): _expansions.peek_segment(leaf, name) for leaf in segments}
    missing = [leaf for leaf in segments if words[id(leaf)] is None]
    if missing:
        walked = _walk_together(missing, fieldname, _automaton(text, maxdist, prefix))
        for leaf, found in zip(missing, walked):
            words[id(leaf)] = _expansions.get(leaf, name, lambda found=found: found)
    if len(segments) == 1:
        return list(words[id(segments[0])])
    return sorted(set().union(*words.values()))


def _terms_within(self, fieldname, text, maxdist, prefix=0):
    return terms_within(self, fieldname, text, maxdist, prefix)


_terms_within.__doc__ = terms_within.__doc__
for _cls in (IndexReader, SegmentReader, MultiReader):
    _cls.terms_within = _terms_within


# --- prefixes and wildcards ------------------------------------------------------
#
# Whoosh expands `minist*` / `m?nister` by walking the reader's terms from the
# literal prefix (all of them for `*companies`), and does so again for every
# use of the query: the expansion-limit check, simplify, estimate_size and
# the matcher of each segment, highlighting. On a MultiReader every one of
# those walks merge-sorts all the segments' terms. Here each segment is
# walked once per pattern and its matches kept, like fuzzy words above; a
# MultiReader unions the kept lists.

_stock_pattern_btexts = PatternQuery._btexts
_stock_prefix_btexts = Prefix._btexts


def _stock_btexts(query, reader):
    stock = _stock_prefix_btexts if isinstance(query, Prefix) else _stock_pattern_btexts
    return stock(query, reader)


def _segment_walk(query, leaf, blocks: list[int] | None = None):
    """_stock_btexts on one segment of this codec: its term dictionary's
    keys read straight, from the field's key and the pattern's literal
    prefix to the last key holding both. Through Whoosh, each key passed
    three generators, a field-number lookup and two schema checks, which
    were half of a pattern's first run (the same terms, in the same order:
    tests/test_term_expansion.py). A wildcard with a run of letters reads
    only the blocks whose signatures can hold it (`blocks`, found here if
    not given): `*companies` read every key of the field."""
    if not _walkable(leaf, query.fieldname):
        return _stock_btexts(query, leaf)  # (Whoosh's answer, or its error)
    start, cut = _key_range(query, leaf)
    pattern = None if isinstance(query, Prefix) else re.compile(query._get_pattern())
    if blocks is None:
        blocks = _blocks_holding(query, leaf)
    tindex = leaf._terms._tindex
    keys = tindex.keys_from(start) if blocks is None else _keys_in(tindex, blocks, start)
    from_bytes = leaf.schema[query.fieldname].from_bytes
    return _keys_matching(keys, start, cut, from_bytes, pattern, _needle(query))


def _key_range(query, leaf) -> tuple[bytes, int]:
    """(the first key a Prefix/Wildcard/Regex `query` can match in `leaf`:
    its field's and its literal prefix's; the length of the field's part)."""
    terms, field = leaf._terms, leaf.schema[query.fieldname]
    literal = query.text if isinstance(query, Prefix) else query._find_prefix(query.text)
    start = terms._keycoder(query.fieldname, field.to_bytes(literal) if literal else b"")
    return start, len(terms._keycoder(query.fieldname, b""))


def _blocks_holding(query, leaf) -> list[int] | None:
    """The term blocks of `leaf` that can hold the terms of a wildcard (of
    its field and literal prefix, holding its longest run of letters); None
    when the segment's signatures cannot tell (no run of two letters, or a
    segment written without signatures)."""
    needle = _needle(query)
    if needle is None:
        return None
    return leaf._terms._tindex.blocks_holding(_key_range(query, leaf)[0], needle)


def _keys_in(tindex, blocks: list[int], start: bytes):
    """The keys starting with `start` in `blocks`, in order."""
    for number in blocks:
        for key in tindex.walk_keys(number):
            if key.startswith(start):
                yield key


def _walkable(leaf, fieldname: str) -> bool:
    """Is `leaf` an open segment of this codec (its own term dictionary)
    with the field?"""
    tindex = getattr(getattr(leaf, "_terms", None), "_tindex", None)
    return isinstance(tindex, TermDictReader) and not leaf.is_closed and fieldname in leaf.schema


#: What a wildcard the automaton walks must not hold: a star (a jump
#: would skip nothing) or a character class.
_UNSEEKABLE = re.compile(r"[*\[]")


def _seekable(query) -> bool:
    return type(query) is Wildcard and "?" in query.text and not _UNSEEKABLE.search(query.text)


def _glob_dfa(text: str):
    return _automata.get(("glob", text), lambda: _glob_automaton(text))


def _glob_automaton(text: str):
    """A DFA accepting the words `text` (letters and ?, each ? one
    character) matches, as Whoosh's Wildcard regex does."""
    nfa = NFA(0)
    for i, char in enumerate(text):
        nfa.add_transition(i, ANY if char == "?" else char, i + 1)
    nfa.add_final_state(len(text))
    return nfa.to_dfa()


def _needle(query) -> bytes | None:
    """The longest run of literal characters in a wildcard (``companies``
    of ``*companies``), which every term it matches holds: a key without it
    is passed over before it is decoded and matched. None for other
    patterns, and for runs too short to pass over much."""
    if type(query) is not Wildcard or "[" in query.text:
        return None
    longest = max(re.split(r"[*?]", query.text), key=len)
    return longest.encode("utf-8") if len(longest) >= 2 else None


def _keys_matching(keys, start: bytes, cut: int, from_bytes, pattern, needle: bytes | None):
    for key in keys:
        if not key.startswith(start):
            return
        if needle is not None and needle not in key:
            continue  # (cannot match: the pattern's letters are not there)
        btext = key[cut:]
        if pattern is None or pattern.match(from_bytes(btext)):
            yield btext


def _pattern_key(query) -> str:
    return f"{type(query).__name__}\0{query.fieldname}\0{query.text}"


def _kept(terms) -> tuple:
    """What a segment keeps of a pattern's `terms`: all of them, or
    _TOO_BROAD past CACHED_PATTERN_TERMS (read no further)."""
    found = tuple(islice(terms, CACHED_PATTERN_TERMS + 1))
    return _TOO_BROAD if len(found) > CACHED_PATTERN_TERMS else found


#: Kept for a segment whose terms for a pattern are too many to keep: known
#: then without walking again (None would read as "not walked yet").
_TOO_BROAD = object()


def pattern_terms(query, reader):
    """The terms of `reader` matching a Prefix/Wildcard/Regex `query`, sorted
    and distinct (as Whoosh gives them), from per-segment lists kept (a
    segment's is _TOO_BROAD past CACHED_PATTERN_TERMS: see there)."""
    segments = [leaf for leaf, _ in leaves(reader)]
    key = _pattern_key(query)
    # Each use of a pattern asks again (~6 times a segment a search): when
    # every segment's list is kept, that is all there is to do.
    parts = [_patterns.recall(leaf, key) for leaf in segments]
    if None in parts:
        if _seekable(query):
            _keep_walked_together(query, [leaf for leaf, part in zip(segments, parts)
                                          if part is None])
        parts = [_patterns.get(leaf, key, lambda leaf=leaf: _kept(_segment_walk(query, leaf)))
                 for leaf in segments]
    if any(part is _TOO_BROAD for part in parts):
        return _stock_btexts(query, reader)  # too broad to keep: Whoosh's lazy walk
    if len(parts) == 1:
        return iter(parts[0])
    return iter(sorted(set().union(*parts)))


def _keep_walked_together(query, segments: list) -> None:
    """Keep a wildcard of letters and ? (s?rian) for `segments`, not walked
    yet. Where the signatures leave at most FEW_BLOCKS blocks that can hold
    its longest run of letters, those are read. Elsewhere its automaton
    jumps over the words that cannot match instead of reading each one, and
    the segments are walked together as fuzzy words are, each jump computed
    once for all of them (one segment at a time, the jumps of ten segments
    were most of the pattern's first run). A jump costs a lookup in every
    segment, so the blocks are read whenever they are few: ten segments
    took four times one segment's jumps (m?nister, Reuters-21578)."""
    walked, together = [], []  # ((segment, its terms)), segments for the automaton
    for leaf in segments:
        if not _walkable(leaf, query.fieldname):
            continue
        blocks = _blocks_holding(query, leaf)
        if blocks is not None and len(blocks) <= FEW_BLOCKS:
            walked.append((leaf, _segment_walk(query, leaf, blocks)))
        else:
            together.append(leaf)
    if together:
        words = _walk_together(together, query.fieldname, _glob_dfa(query.text), spelling=False)
        walked += [(leaf, map(leaf.schema[query.fieldname].to_bytes, found))
                   for leaf, found in zip(together, words)]
    key = _pattern_key(query)
    for leaf, terms in walked:
        kept = _kept(terms)
        _patterns.get(leaf, key, lambda kept=kept: kept)


for _cls in (PatternQuery, Prefix):
    _cls._btexts = pattern_terms
