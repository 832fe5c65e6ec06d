"""Defaults shared by the API and its front ends, and the environment
variables that override some of them.

In a module of its own, importing nothing of ours at load time, so that the
CLI can show the defaults in its options without importing the API (and
Whoosh) first.
"""

import os

#: Seconds a writer waits for another writer before giving up.
DEFAULT_WAIT = 10.0

#: True in a process that searches once and exits (a CLI command): the
#: engine then weighs start-up cost, e.g. importing numpy, against a search's
#: (search.engine.whoosh.querying.vectorised).
ONE_SHOT = False


def count_from_env(name: str, default: int, unit: str) -> int:
    """The whole number (1 or more) environment variable `name` holds, or
    `default` when it is unset or blank; anything else is a NewsSearchError
    naming the variable and `unit` (what it counts)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        from .errors import NewsSearchError

        raise NewsSearchError(f"{name} must be a whole number of {unit}, "
                              f"1 or more (got {value!r})")
    return count
