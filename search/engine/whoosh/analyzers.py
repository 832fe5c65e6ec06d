"""Our analyzers as Whoosh analyzers: what the Whoosh schema holds.

The analysis itself (what a term is) lives in `search.text.analysis` and
knows no engine. Whoosh wants an analyzer to be a `whoosh.analysis.Analyzer`
yielding `whoosh.analysis.Token` objects; these subclasses add just that.
The schema pickles them into every index's table of contents, so their
import paths are part of the on-disk format: indexes written before they
lived here name `search.text.analysis` or `search.analysis`, which
`safepickle.MOVED` maps to these.
"""

from __future__ import annotations

from whoosh.analysis import Analyzer, Token

from ...text import analysis


class WhooshNewsAnalyzer(analysis.NewsAnalyzer, Analyzer):
    """`analysis.NewsAnalyzer` (full text) in Whoosh's analyzer protocol."""

    token_class = Token


class WhooshKeywordAnalyzer(analysis.KeywordAnalyzer, Analyzer):
    """`analysis.KeywordAnalyzer` (facet values) in Whoosh's analyzer protocol."""

    token_class = Token
