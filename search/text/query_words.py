"""Which words of a query's text are function words, and what else the
text says about its words: the knowledge every engine ranks with
(``ranked_query.for_ranking`` for Whoosh, ``dsl.weightless`` for
OpenSearch), so it lives with the analysis, not in an engine.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .analysis import NewsAnalyzer, fold

#: A phrase in quotes.
_QUOTED = re.compile(r'"([^"]*)"')


#: Words a free-text query leaves out (when it has other words): function
#: words that say nothing about the topic: "What are the problems of …".
#: Compared with the folded, unstemmed word; see :func:`is_query_stop_word`.
#: The index keeps them, so phrases and the query language are unaffected.
QUERY_STOP_WORDS = frozenset("""
a an the this that these those
i me my mine we us our ours you your yours he him his she her hers it its
they them their theirs myself ourselves yourself yourselves himself herself
itself themselves
who whom whose which what when where why how whether
am is are was were be been being have has had having do does did doing done
can could may might must shall should will would ought
not no nor and or but if then else than so as because while until unless
although though
of at by for with about against between into through during before after
above below to from up down in out on off over under again further once
here there all any both each few more most other some such only own same
too very just also
""".split())


#: Written in capitals these are operators a free-text query ignores, not acronyms.
_OPERATORS = frozenset({"and", "or", "not"})


def is_query_stop_word(word: str) -> bool:
    """True if a free-text query should leave `word` (as written) out: a
    function word, unless written as an acronym ("US", "WHO", "IT")."""
    folded = fold(word)
    if folded not in QUERY_STOP_WORDS:
        return False
    return not (len(word) > 1 and word.isupper() and folded not in _OPERATORS)



@dataclass(frozen=True)
class QueryWords:
    """What the query text says about its words (analysed terms)."""

    #: How often each term occurs in the text.
    counts: Counter
    #: Terms written only as function words ("the", "what"; not "US", "WHO").
    function_words: frozenset[str]
    #: The phrases typed in quotes, as terms (``"oil prices"`` → oil, price).
    quoted: frozenset[tuple[str, ...]] = frozenset()

    @classmethod
    def of(cls, text: str) -> "QueryWords":
        analyzer = NewsAnalyzer()
        counts: Counter = Counter()
        function, content = set(), set()
        for token in analyzer(text, mode="query", keeporiginal=True):
            counts[token.text] += 1
            (function if is_query_stop_word(token.original) else content).add(token.text)
        typed = text.replace("\u201c", '"').replace("\u201d", '"')
        quoted = {tuple(t.text for t in analyzer(inside, mode="query"))
                  for inside in _QUOTED.findall(typed)}
        return cls(counts, frozenset(function - content), frozenset(quoted))
