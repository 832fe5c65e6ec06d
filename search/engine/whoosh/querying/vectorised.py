"""Whether a search counts, ranks and facets with numpy (whole posting lists
as arrays: `topk`, `array_scores`, `codec.arrays`) or a posting at a time in
Python (Whoosh's collector, `docsets` over lists, `facet_counts` lists).

Both give the same answers to the last bit (tests/test_topk.py); they differ
in cost. Importing numpy takes ~80 ms, more than a search of a small index
takes either way, so a one-shot command (`newssearch query`) searching a
small index stays in Python; a process that searches many times (the
server, a program using the API) or an index of LARGE_INDEX articles or more
(where one search's work dwarfs the import) uses numpy, as does any process
that has numpy loaded already (one that has indexed).
"""

from __future__ import annotations

import sys

from .... import defaults

#: From this many articles even a one-shot command searches with numpy.
LARGE_INDEX = 100_000


def vectorised(doc_count: int) -> bool:
    """Whether to search an index of `doc_count` articles with numpy."""
    return not defaults.ONE_SHOT or doc_count >= LARGE_INDEX or "numpy" in sys.modules
