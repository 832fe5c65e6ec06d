"""Defaults shared by the API and its front ends.

In a module of their own, free of imports, so that the CLI can show them in
its options without importing the API (and Whoosh) first.
"""

#: Seconds a writer waits for another writer before giving up.
DEFAULT_WAIT = 10.0
