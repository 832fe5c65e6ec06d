"""The query language's grammar: cleaned query text → a query tree, read by
Whoosh's qparser.

`search.query.parser` checks and cleans the text (quotes, brackets, fields,
lengths, relative dates) and builds plain words itself; whatever has syntax
left comes here. Whoosh's parser, with our plugins, reads it; the parts it
could not read (a bad date) are dropped with a warning or, in strict mode,
raised at their column; fuzzy words and phrase slops past the language's
limits (`query.tree`) are bounded while Whoosh's offsets still say where they
were typed; then the Whoosh query is read into the engine-neutral tree
(`translate.from_whoosh`) and nothing Whoosh leaves this module.
"""

from __future__ import annotations

import copy
import re

from whoosh import qparser, query as wq
from whoosh.qparser import syntax

from ...errors import QueryError
from ...fields import FIELD_ALIASES, TEXT_FIELDS
from ...query import tree as t
from ...text.analysis import NewsAnalyzer
from .schema import build_schema
from .translate import from_whoosh

_QUERY_WORD = re.compile(r"[^\W_]+")


def read(text: str, *, strict: bool = False, any_term: bool = False,
         language: str | None = None, same_columns: bool = True) -> tuple[t.Node, list[str]]:
    """The tree of cleaned query `text` and the warnings reading it gave.
    `same_columns`: Whoosh's offsets are columns of the text typed (so a
    strict error can name its column)."""
    parsed, warnings = to_query(text, strict=strict, any_term=any_term, language=language,
                                same_columns=same_columns)
    return (t.NullQuery() if parsed is None else from_whoosh(parsed)), warnings


def to_query(text: str, *, strict: bool = False, any_term: bool = False,
             language: str | None = None,
             same_columns: bool = True) -> tuple[wq.Query | None, list[str]]:
    """`read` before the tree: the Whoosh query of `text` (None for nothing
    readable) and the warnings. (tests/test_query_tree.py checks that every
    such query and its tree are the same query.)"""
    warnings: list[str] = []
    parser = _parser(any_term, language)
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # Whoosh raises assorted errors on odd syntax
        if strict:
            raise QueryError(f"cannot parse query: {_explain(exc)}") from None
        # Quoted, so that words like NOT are words (Whoosh fails on "NOT NOT a").
        words = " ".join(f'"{w}"' for w in _QUERY_WORD.findall(text))
        warnings.append(f"could not read the query syntax ({_explain(exc)}); "
                        f"searched its words instead")
        try:
            parsed = parser.parse(words) if words else wq.NullQuery
        except Exception:
            parsed = wq.NullQuery
    parsed = _dates_through_their_field(parsed, parser.schema)
    parsed, more = _strip_errors(parsed, strict, same_columns)
    warnings.extend(more)
    if parsed is None or parsed is wq.NullQuery:
        return None, warnings
    return _bound_fuzzy(parsed, strict, same_columns, warnings), warnings


def _bound_fuzzy(q: wq.Query, strict: bool, same_columns: bool,
                 warnings: list[str]) -> wq.Query:
    """Fuzzy words past MAX_FUZZY_EDITS or MAX_FUZZY_CHARS: a QueryError
    (strict), or searched with ~2, or as the plain word (lenient, warned).
    Phrases with a slop past MAX_PHRASE_SLOP likewise (see _bound_slop).
    And `title:*` / `body:*` as every article, not as every word's postings."""
    def bound(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Every) and node.fieldname in TEXT_FIELDS:
            # `idlib *`: Every("body") reads the postings of every word in
            # the index (seconds); every article has a title or body anyway.
            return wq.Every(boost=node.boost)
        if isinstance(node, wq.Phrase) and node.slop > t.MAX_PHRASE_SLOP:
            return _bound_slop(node, strict, same_columns, warnings)
        if not isinstance(node, wq.FuzzyTerm):
            return node
        long_word = len(node.text) > t.MAX_FUZZY_CHARS
        if not long_word and node.maxdist <= t.MAX_FUZZY_EDITS:
            return node
        problem = (f"a fuzzy word may have at most {t.MAX_FUZZY_CHARS} letters" if long_word
                   else f"a fuzzy word allows at most ~{t.MAX_FUZZY_EDITS} edits")
        if strict:
            raise QueryError(problem, _column(node, same_columns))
        note = f"{problem}: searched {'the word as written' if long_word else f'~{t.MAX_FUZZY_EDITS}'}"
        if note not in warnings:
            warnings.append(note)
        if long_word:
            return wq.Term(node.fieldname, node.text, boost=node.boost)
        return wq.FuzzyTerm(node.fieldname, node.text, boost=node.boost,
                            maxdist=t.MAX_FUZZY_EDITS, prefixlength=node.prefixlength,
                            constantscore=node.constantscore)
    return q.accept(bound)


def _column(node: wq.Query, same_columns: bool) -> int | None:
    """The 1-based column a node was typed at, when Whoosh's offsets say."""
    at = getattr(node, "startchar", None)
    return at + 1 if same_columns and at is not None else None


def _bound_slop(node: wq.Phrase, strict: bool, same_columns: bool,
                warnings: list[str]) -> wq.Phrase:
    """A phrase with a slop past MAX_PHRASE_SLOP: a QueryError (strict), or
    searched with MAX_PHRASE_SLOP (lenient, warned)."""
    problem = f"a phrase allows at most ~{t.MAX_PHRASE_SLOP} words between its words"
    if strict:
        raise QueryError(problem, _column(node, same_columns))
    note = f"{problem}: searched ~{t.MAX_PHRASE_SLOP}"
    if note not in warnings:
        warnings.append(note)
    bounded = copy.copy(node)
    bounded.slop = t.MAX_PHRASE_SLOP
    return bounded


def _parser(any_term: bool, language: str | None = None) -> qparser.QueryParser:
    """A Whoosh parser over title+body with our plugins, analysing words
    for `language`; cached per mode and language."""
    cached = _PARSERS.get((any_term, language))
    if cached is None:
        group = qparser.OrGroup if any_term else qparser.AndGroup
        schema = build_schema()
        if language is not None:
            for name in TEXT_FIELDS:
                schema[name].analyzer = NewsAnalyzer(language=language)
        cached = qparser.MultifieldParser(list(TEXT_FIELDS), schema,
                                          fieldboosts=TEXT_FIELDS, group=group)
        # +/- only as the first character of a term: "S-400" is a word, not "S NOT 400".
        cached.add_plugin(_PlusMinus(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
        cached.add_plugin(qparser.GtLtPlugin())
        cached.add_plugin(qparser.FuzzyTermPlugin())
        # AND/OR/NOT also as && || ! (the ! sticks to its term: !Idlib).
        cached.replace_plugin(qparser.OperatorsPlugin(
            And=r"(?<=\s)(AND|&&)(?=\s)", Or=r"(?<=\s)(OR|\|\|)(?=\s)",
            Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|!(?=[^\s!]))"))
        aliases: dict[str, list[str]] = {}
        for alias, target in FIELD_ALIASES.items():
            aliases.setdefault(target, []).append(alias)
        cached.add_plugin(qparser.FieldAliasPlugin(aliases))
        _PARSERS[(any_term, language)] = cached
    return cached


_PARSERS: dict[tuple[bool, str | None], qparser.QueryParser] = {}


class _PlusMinus(qparser.PlusMinusPlugin):
    """+/- as Whoosh reads them, except that a query of exclusions only
    (``-blair``, ``-blair -brown``) means every article but those, as
    ``NOT blair`` does. (Whoosh read it as "nothing": AndNot of nothing.)"""

    def do_plusminus(self, parser, group):
        nodes, banned_only, after_minus = [], True, False
        for node in group:
            if isinstance(node, (self.Plus, self.Minus)):
                after_minus = isinstance(node, self.Minus)
                continue
            nodes.append(node)
            banned_only = banned_only and after_minus
            after_minus = False
        if not (nodes and banned_only):
            return super().do_plusminus(parser, group)
        return syntax.NotGroup([syntax.OrGroup(nodes)])


def _dates_through_their_field(q: wq.Query, schema) -> wq.Query:
    """A quoted value after ``published:`` reaches us as a plain Term,
    skipping the date field's own parser (and failing later, deep in a
    search): read it as a date like any other, or mark it as an error."""
    field = schema["published"]

    def reparse(node: wq.Query) -> wq.Query:
        if type(node) is wq.Term and node.fieldname == "published" \
                and isinstance(node.text, str):
            read = field.parse_query("published", node.text, node.boost)
            read.startchar = getattr(node, "startchar", None)
            read.endchar = getattr(node, "endchar", None)
            return read
        return node

    return q.accept(reparse)


def _strip_errors(q: wq.Query, strict: bool,
                  same_columns: bool = False) -> tuple[wq.Query | None, list[str]]:
    """Whoosh marks unparseable parts (e.g. a bad date) with an `error`
    attribute instead of failing: turn those into errors (at their column
    when Whoosh's offsets are those of the text typed) or warnings."""
    bad = [sub for sub in _walk(q) if getattr(sub, "error", None)]
    errors = [_explain(sub.error) for sub in bad]
    if not errors:
        return q, []
    if strict:
        raise QueryError(str(errors[0]), _column(bad[0], same_columns))
    return _drop_error_nodes(q), [f"{e} (ignored)" for e in errors]


def _explain(error) -> str:
    """Whoosh's date parser fails with int()'s message; say what was wrong."""
    if isinstance(error, ValueError) and "invalid literal" in str(error):
        return "cannot read a date in the query (use published:YYYY, YYYY-MM, YYYY-MM-DD, " \
               "or published:[2020-01 TO 2020-03])"
    return str(error)


def _walk(q: wq.Query):
    yield q
    if q.is_leaf():
        return
    for child in q.children():
        yield from _walk(child)


def _drop_error_nodes(q: wq.Query) -> wq.Query | None:
    if getattr(q, "error", None):
        return None
    if isinstance(q, wq.compound.BinaryQuery):  # Require, AndMaybe, AndNot, Otherwise
        a, b = _drop_error_nodes(q.a), _drop_error_nodes(q.b)
        if a is None and b is not None and isinstance(q, wq.AndNot):
            return wq.Not(b)  # "bad -Idlib" reads as "-Idlib"
        if a is None or b is None:  # the other side is what is left
            return a if b is None else b
        return type(q)(a, b)
    if isinstance(q, wq.compound.CompoundQuery):
        kept = [c for c in (_drop_error_nodes(s) for s in q.subqueries) if c is not None]
        return type(q)(kept, boost=q.boost).normalize() if kept else None
    return q
