"""Completion as you type: the last word of a query completed from the index
vocabulary, and headlines that hold every typed word.

The index holds folded stems (``missil``), so a completion is found in two
steps: the stems that start with the typed prefix, most common first, then a
word each came from, read back from a headline or article that contains it
(``missil`` → ``missile``). Bounded work: at most :data:`MAX_SCANNED` stems
are looked at, and a body is read only :data:`SURFACE_SCAN_CHARS` deep.
"""

from __future__ import annotations

from whoosh import query as wq

from ....query.completion import LAST_WORD, MAX_TITLES, MIN_PREFIX, OPERATORS, Completions
from ....text.analysis import WORD, NewsAnalyzer, analyze, fold, stem

#: Fields whose vocabulary completions come from.
VOCABULARY_FIELDS = ("title", "body")
#: Most index terms looked at per prefix.
MAX_SCANNED = 5000
#: The most common stems re-ranked by the words typed before them.
IN_CONTEXT = 100
#: ... unless the words typed before match more articles than this.
MAX_CONTEXT_DOCS = 20_000
SURFACE_SCAN_CHARS = 20_000

_ANALYZER = NewsAnalyzer()


def complete_on(searcher, text: str, limit: int = 8) -> Completions:
    """Completions for `text` (what has been typed so far) on a searcher the
    caller holds (:meth:`Snapshot.complete` is the way in)."""
    typed = LAST_WORD.search(text)
    head = text[:typed.start()] if typed else text
    prefix = fold(typed.group(0)) if typed else ""
    if prefix and len(prefix) < MIN_PREFIX:
        prefix = ""
    head_terms = [t for w in _head_words(head) for t in analyze(w)]
    result = Completions()
    if prefix:
        for word in _words(searcher, prefix, limit, head_terms):
            if typed.group(0)[:1].isupper() and not word.isupper():
                word = word.capitalize()
            candidate = head + word
            if candidate != text and candidate not in result.completions:
                result.completions.append(candidate)
    result.titles = _titles(searcher, head_terms, prefix, min(limit, MAX_TITLES))
    return result


def _words(searcher, prefix: str, limit: int, head_terms: list[str]) -> list[str]:
    """Words starting with `prefix`: the most common stems, and among those,
    first the ones found in articles with the words typed before (so
    "gordon br" offers "brown" before "british")."""
    reader = searcher.reader()
    frequency: dict[str, int] = {}
    for name in VOCABULARY_FIELDS:
        for scanned, term in enumerate(reader.expand_prefix(name, prefix)):
            if scanned >= MAX_SCANNED:
                break
            term = term.decode("utf-8") if isinstance(term, bytes) else term
            frequency[term] = frequency.get(term, 0) + reader.doc_frequency(name, term)
    ranked = sorted(frequency, key=lambda t: (-frequency[t], t))[:IN_CONTEXT]
    # Words in most articles ("the") say nothing about what comes next.
    telling = [t for t in head_terms if sum(reader.doc_frequency(name, t) for name in
                                            VOCABULARY_FIELDS) <= searcher.doc_count() // 2]
    context = _docs_with(searcher, telling) if telling else None
    if context and len(context) <= MAX_CONTEXT_DOCS:
        together = {term: len(context & _docs_with(searcher, [term])) for term in ranked}
        ranked.sort(key=lambda t: -together[t])  # stable: frequency breaks ties
    words: list[str] = []
    for term in ranked[:limit * 2]:
        word = _surface(searcher, term)
        if word and fold(word).startswith(prefix) and word not in words:
            words.append(word)
        if len(words) == limit:
            break
    return words


def _docs_with(searcher, terms: list[str]) -> set[int]:
    """Documents with every term in the title or body."""
    query = wq.And([wq.Or([wq.Term(name, t) for name in VOCABULARY_FIELDS]) for t in terms])
    return set(searcher.docs_for_query(query))


def _head_words(head: str) -> list[str]:
    """The complete words typed before the last one (not operators, not
    field names)."""
    return [m.group(0) for m in WORD.finditer(head)
            if m.group(0) not in OPERATORS and head[m.end():m.end() + 1] != ":"]


def _surface(searcher, term: str) -> str | None:
    """The word an article most often writes for `term` (ties: the
    shortest), lower-cased unless it is an acronym: ``presid`` →
    ``president`` rather than ``presidency``."""
    for name in VOCABULARY_FIELDS:
        docnum = searcher.document_number(**{name: term})
        if docnum is None:
            continue
        value = searcher.stored_fields(docnum).get(name, "")[:SURFACE_SCAN_CHARS]
        seen: dict[str, int] = {}
        for token in _ANALYZER(value, keeporiginal=True, mode="query"):
            if token.text == term:
                word = token.original
                word = word if word.isupper() and len(word) > 1 else word.lower()
                seen[word] = seen.get(word, 0) + 1
        if seen:
            return min(seen, key=lambda w: (-seen[w], len(w), w))
    return None


def _titles(searcher, head_terms: list[str], prefix: str, limit: int) -> list[tuple[str, str]]:
    """Headlines with every complete word typed and a word starting with
    `prefix` (or its stem), best match first."""
    parts: list[wq.Query] = [wq.Term("title", t) for t in head_terms]
    if prefix:
        parts.append(wq.Or([wq.Prefix("title", prefix), wq.Term("title", stem(prefix))]))
    if not parts:
        return []
    found = searcher.search(wq.And(parts), limit=limit)
    return [(hit["id"], hit.get("title", "")) for hit in found]
