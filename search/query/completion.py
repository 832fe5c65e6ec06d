"""What completing a query as it is typed means, whichever engine answers:
the word being typed, the limits, and the answer's shape. The Whoosh engine
completes from its term dictionary (engine/whoosh/querying/complete.py),
OpenSearch from its highlighter (engine/opensearch/reader.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Shortest prefix completed (one letter would scan much of the vocabulary).
MIN_PREFIX = 2
#: Most headlines returned.
MAX_TITLES = 5
#: The word being typed: letters and digits at the end of the text.
LAST_WORD = re.compile(r"[^\W_]+$")
#: Operators typed before the last word: not words to complete or match.
OPERATORS = {"AND", "OR", "NOT"}


@dataclass
class Completions:
    #: The whole query with its last word completed, best first.
    completions: list[str] = field(default_factory=list)
    #: (id, title) of headlines holding the typed words, best first.
    titles: list[tuple[str, str]] = field(default_factory=list)
