"""The stop-word lists: Snowball's function words of each language.

Whoosh ships them (`whoosh.lang.stopwords`, a module of plain data: a dict of
frozensets, importing nothing), and they are what the per-language analysis
was measured with. They are read here, and only here, so this is the text
layer's one import of Whoosh: data, not the engine (the import contract
lists exactly this module as its exception; tests/test_architecture.py
checks it imports nothing else of Whoosh).
"""

from __future__ import annotations

from whoosh.lang.stopwords import stoplists


def stop_words(language: str) -> frozenset[str]:
    """Snowball's stop words of `language` (a code as Whoosh keys them:
    "de", "no" …); empty for a language without a list."""
    return frozenset(stoplists.get(language, ()))
