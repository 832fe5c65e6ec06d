""""Did you mean" on OpenSearch: the embedded engine's corrections
(`search.engine.whoosh.querying.suggest`), found with OpenSearch's term
suggester.

Asked only when a query finds `SUGGEST_BELOW` articles or fewer, in one
request: a ``filters`` aggregation counts the articles holding each term of
the query's plain words and phrases (each asked of every article in its
language's field, `languages.by_language`, as the search is: a term no
article holds is an unknown word), and a term suggester per word and
unstemmed field (``title.words``, ``body.words``) lists its candidates: the
index words within the same edits (one for words of four letters or
fewer, else two), sharing the first letter. The suggester's own order (a
similarity normalised by length) is not the embedded engine's, so the
candidates are ranked as there (`respell.best`: fewest edits, a swap
counting one, then most articles: the options' ``freq``, summed over the
two fields; then alphabetical).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ...query import tree as t
from ...text.analysis import WORD, analyze, fold
from ...text.respell import best, edits_for, respell
from .languages import by_language

#: Stemmed fields whose terms tell whether a query word is known.
VOCABULARY_FIELDS = ("title", "body")
#: Unstemmed fields the corrections come from.
WORDS = ("title.words", "body.words")
#: The embedded engine's bound (whoosh.querying.suggest): no correction
#: for longer words.
LONGEST_WORD = t.MAX_FUZZY_CHARS
#: Candidates the suggester lists a word and field (the embedded engine
#: ranks every one; a word has rarely more within two edits).
CANDIDATES = 100


def suggest(search: Callable[[dict], dict], text: str, tree: t.Node,
            present: Sequence[str]) -> str | None:
    """The query text with unknown words replaced by their nearest known
    words, or None (every word known, or nothing close). `search` sends a
    search body and returns OpenSearch's answer."""
    terms = sorted(set(t.plain_terms(tree, VOCABULARY_FIELDS)))
    if not terms:
        return None
    words = _correctable(text, set(terms))
    answer = search(_request(terms, words, present))
    counts = answer["aggregations"]["known"]["buckets"]
    unknown = {term for number, term in enumerate(terms) if not counts[str(number)]["doc_count"]}
    if not unknown:
        return None
    return respell(text, unknown, lambda word: _nearest(word, answer["suggest"],
                                                       words.index(word))
                   if word in words else None)


def _correctable(text: str, terms: set[str]) -> list[str]:
    """The folded words of `text` that may get a correction: one term, a
    term of the query, letters only, of a length the embedded engine corrects."""
    words: list[str] = []
    for match in WORD.finditer(text):
        found, folded = analyze(match.group(0)), fold(match.group(0))
        if (len(found) == 1 and found[0] in terms and folded.isalpha()
                and 3 <= len(folded) <= LONGEST_WORD and folded not in words):
            words.append(folded)
    return words


def _request(terms: list[str], words: list[str], present: Sequence[str]) -> dict[str, Any]:
    known = {str(number): by_language(
        {"bool": {"should": [{"term": {name: term}} for name in VOCABULARY_FIELDS]}}, present)
        for number, term in enumerate(terms)}
    suggesters = {f"w{number}_{field}": {"text": word, "term": {
        "field": field, "suggest_mode": "always", "max_edits": edits_for(word),
        "prefix_length": 1, "min_word_length": 3, "size": CANDIDATES,
        "max_inspections": 5, "accuracy": 0.0001, "min_doc_freq": 0}}
        for number, word in enumerate(words) for field in WORDS}
    body: dict[str, Any] = {"size": 0, "track_total_hits": False,
                            "aggs": {"known": {"filters": {"filters": known}}}}
    if suggesters:
        body["suggest"] = suggesters
    return body


def _nearest(word: str, suggested: dict[str, Any], number: int) -> str | None:
    """The best candidate for `word` (`respell.best`), or None."""
    frequency: dict[str, int] = {}
    for field in WORDS:
        for entry in suggested.get(f"w{number}_{field}", []):
            for option in entry["options"]:
                frequency[option["text"]] = frequency.get(option["text"], 0) + option["freq"]
    return best(word, frequency)
