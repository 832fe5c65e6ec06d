"""Query text → Whoosh query, plus filters (source, section, dates).

Whoosh's parser is forgiving in ways that surprise people: an unclosed quote
or bracket silently changes what is searched. So a query is first scanned
here. In *lenient* mode (the default) stray quotes, brackets and colons are
read as text and a warning says what was ignored; in *strict* mode the first
problem is a :class:`QueryError` naming its column. An unknown field is an
error in both modes: it almost always means a typo the user wants to hear about.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator, Sequence

from whoosh import qparser, query as wq
from whoosh.qparser import syntax

from ..engine.whoosh.datecolumn import PublishedRange
from ..engine.whoosh.schema import build_schema
from ..errors import QueryError
from ..fields import FIELD_ALIASES, QUERY_FIELDS, TEXT_FIELDS, resolve_field
from ..text.analysis import NewsAnalyzer, normalize_keyword
from ..text.punctuation import as_punctuation
from .lint import lint
from .patterns import on_words

#: `name:` at the start of a term.
FIELD_PREFIX = re.compile(r"([A-Za-z_][\w.]*):")
#: Characters after which a `name:` prefix may start a field query.
TERM_START = set(" \t\n(+-!")
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
#: Longest query read, in characters and in words: Whoosh's parser slows down
#: with the square of the words (3,000 words took 12 s). Lenient mode reads
#: the first part (with a warning), strict mode refuses the query.
MAX_QUERY_CHARS = 4000
MAX_QUERY_WORDS = 400
#: Fuzzy words: at most this many edits (Whoosh builds an automaton whose
#: size explodes with the distance: `idlib~99` ran for minutes) and this many
#: letters (each index word is compared letter by letter).
MAX_FUZZY_EDITS = 2
MAX_FUZZY_CHARS = 40
#: Widest phrase slop (`"oil prices"~5`): words at most this many positions
#: apart. A huge slop (`"the of and to"~1000000000`) makes every article with
#: the words a candidate and walks all their positions.
MAX_PHRASE_SLOP = 50
_QUERY_WORD = re.compile(r"[^\W_]+")


@dataclass
class ParsedQuery:
    """A query ready to run, and what the parser had to say about it."""

    text: str
    query: wq.Query
    warnings: list[str] = field(default_factory=list)
    #: Words ANDed by default, not by an explicit AND, && or +: if no
    #: article has them all, the search may relax them (see `relax`).
    relaxable: bool = False

    @property
    def tree(self):  # the engine-neutral tree (query/tree.py) of `query`, read on each access
        from ..engine.whoosh.translate import from_whoosh; return from_whoosh(self.query)  # noqa: E702


@dataclass
class _Issue:
    column: int  # 1-based
    message: str
    drop: tuple[int, int]  # span of the original text to drop in lenient mode


def parse(text: str, *, strict: bool = False, any_term: bool = False,
          languages: Sequence[str | None] = (None,)) -> ParsedQuery:
    """Parse user query text. Empty text matches every article.

    The words are analysed for each of `languages` (BCP 47 codes; None or
    "en": English, see `analysis_lang`), and an article matching the query
    in any of them matches: ``Präsident`` finds German articles and
    ``president`` English ones (see `index_languages`)."""
    # --- per-language analysis: one parse per language, any may match ---
    wanted = _analysis_languages(languages)
    first = _parse_one(text, strict, any_term, wanted[0])
    if len(wanted) == 1:
        return first
    queries = [first.query] + [_parse_one(text, strict, any_term, language).query
                               for language in wanted[1:]]
    return ParsedQuery(first.text, _merge(queries), first.warnings, first.relaxable)


def _merge(queries: list[wq.Query]) -> wq.Query:
    """One query from the parses of one text in several languages: where
    the trees agree, one tree, each word's (or phrase's) analyses an Or of
    alternatives in its place. So ``Idlib NOT Russia`` excludes an article
    holding "Russia" in any language's analysis, and an AND needs each word
    in some language, not all words in one. Where the trees differ (a word
    one term in one language, two in another) the differing parts are
    alternatives as a whole."""
    first = queries[0]
    variants = _distinct(queries)
    if len(variants) == 1:
        return first
    if all(_text_leaf(q) and q.field() == first.field() for q in variants):
        return wq.Or(variants)
    children = [list(q.children()) for q in queries]
    same_shape = all(type(q) is type(first) and not q.is_leaf()
                     and len(kids) == len(children[0]) for q, kids in zip(queries, children))
    if not same_shape:
        return wq.Or(variants)
    merged = iter([_merge(list(group)) for group in zip(*children)])
    return first.apply(lambda _child: next(merged))


def _text_leaf(q: wq.Query) -> bool:
    return type(q) in (wq.Term, wq.Phrase) and q.field() in TEXT_FIELDS


def _distinct(queries: list[wq.Query]) -> list[wq.Query]:
    found: list[wq.Query] = []
    for q in queries:
        if q not in found:
            found.append(q)
    return found


def _analysis_languages(languages: Sequence[str | None]) -> list[str | None]:
    """The distinct analyses `languages` need, English (None) first."""
    from ..text.analysis_lang import DEFAULT, analysis_language

    found: list[str | None] = []
    for code in languages or (None,):
        language = analysis_language(code)
        language = None if language == DEFAULT else language
        if language not in found:
            found.append(language)
    return sorted(found, key=lambda code: (code is not None, code or ""))


def _parse_one(text: str, strict: bool, any_term: bool,
               language: str | None) -> ParsedQuery:
    """parse() for one analysis language."""
    # Lone surrogates (from broken terminals or JSON) cannot be encoded or
    # printed: read them as U+FFFD, one for one (error columns stay right).
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    cleaned, warnings = _bounded(as_punctuation(text), strict=strict)
    cleaned, more = check_syntax(cleaned, strict=strict)
    warnings.extend(more)
    cleaned, more = lint(cleaned, strict=strict, date_bound=parse_date_bound)
    warnings.extend(more)
    cleaned = _lower_fields(cleaned)
    resolved = resolve_relative_dates(cleaned)
    same_columns = resolved == cleaned  # Whoosh's offsets are columns of the text typed
    cleaned = resolved
    if cleaned.strip() in ("", "*", "*:*"):
        return ParsedQuery(text, wq.Every(), warnings)
    relaxable = not any_term and not _EXPLICIT_AND.search(cleaned)
    plain = _plain_words_query(cleaned, any_term, language)
    if plain is not None:
        return ParsedQuery(text, plain, warnings, relaxable)
    try:
        parsed = _parser(any_term, language).parse(cleaned)
    except Exception as exc:  # Whoosh raises assorted errors on odd syntax
        if strict:
            raise QueryError(f"cannot parse query: {_explain(exc)}") from None
        # Quoted, so that words like NOT are words (Whoosh fails on "NOT NOT a").
        words = " ".join(f'"{w}"' for w in _QUERY_WORD.findall(cleaned))
        warnings.append(f"could not read the query syntax ({_explain(exc)}); "
                        f"searched its words instead")
        try:
            parsed = _parser(any_term, language).parse(words) if words else wq.NullQuery
        except Exception:
            parsed = wq.NullQuery
    parsed = _dates_through_their_field(parsed, _parser(any_term, language).schema)
    parsed, more = _strip_errors(parsed, strict, same_columns)
    warnings.extend(more)
    if parsed is not None and parsed is not wq.NullQuery:
        parsed = on_words(_bound_fuzzy(parsed, strict, same_columns, warnings))
    if parsed is None or parsed is wq.NullQuery:
        parsed = wq.NullQuery
    return ParsedQuery(text, parsed, warnings, relaxable)


#: An operator that asks for every part explicitly: such a query is not relaxed.
_EXPLICIT_AND = re.compile(r"(?<=\s)(?:AND|&&)(?=\s)|(?<![^\s(])\+")
#: Text that is only words of letters and digits: no syntax for the parser.
_PLAIN_WORDS = re.compile(r"\s*[A-Za-z0-9]+(?:\s+[A-Za-z0-9]+)*\s*")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "TO"})
_QUERY_ANALYZER = NewsAnalyzer()


def _plain_words_query(text: str, any_term: bool,
                       language: str | None = None) -> wq.Query | None:
    """The query Whoosh's parser builds for plain words ("oil prices"), built
    directly; None for anything else. Whoosh's parser took a tenth of a
    search's time for the commonest query there is. Each word is one term,
    searched in every text field with its boost; repeats count once.
    (tests/test_query.py compares this with the parser on many queries.)"""
    if not _PLAIN_WORDS.fullmatch(text):
        return None
    words = text.split()
    if _OPERATOR_WORDS.intersection(words):
        return None
    terms: list[str] = []
    for word in words:
        found = _QUERY_ANALYZER.query_spans(word, language=language)  # (Token-free)
        if len(found) != 1:
            return None
        if found[0][0] not in terms:
            terms.append(found[0][0])
    clauses = [[wq.Term(name, term, boost=boost) for name, boost in TEXT_FIELDS.items()]
               for term in terms]
    if any_term:
        return wq.Or([leaf for clause in clauses for leaf in clause])
    ors = [wq.Or(clause) for clause in clauses]
    return ors[0] if len(ors) == 1 else wq.And(ors)


def _lower_fields(text: str) -> str:
    """`Title:Idlib` → `title:Idlib`: check_syntax accepts field names in any
    case, Whoosh's parser only in lower case (it searched "title:idlib" as a
    word, silently finding nothing)."""
    def lower(m: re.Match) -> str:
        at_term = m.start() == 0 or text[m.start() - 1] in TERM_START
        return m.group(0).lower() if at_term and resolve_field(m.group(1)) else m.group(0)
    return FIELD_PREFIX.sub(lower, text)


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
        if isinstance(node, wq.Phrase) and node.slop > MAX_PHRASE_SLOP:
            return _bound_slop(node, strict, same_columns, warnings)
        if not isinstance(node, wq.FuzzyTerm):
            return node
        long_word = len(node.text) > MAX_FUZZY_CHARS
        if not long_word and node.maxdist <= MAX_FUZZY_EDITS:
            return node
        problem = (f"a fuzzy word may have at most {MAX_FUZZY_CHARS} letters" if long_word
                   else f"a fuzzy word allows at most ~{MAX_FUZZY_EDITS} edits")
        if strict:
            at = getattr(node, "startchar", None)
            raise QueryError(problem, at + 1 if same_columns and at is not None else None)
        note = f"{problem}: searched {'the word as written' if long_word else f'~{MAX_FUZZY_EDITS}'}"
        if note not in warnings:
            warnings.append(note)
        if long_word:
            return wq.Term(node.fieldname, node.text, boost=node.boost)
        return wq.FuzzyTerm(node.fieldname, node.text, boost=node.boost,
                            maxdist=MAX_FUZZY_EDITS, prefixlength=node.prefixlength,
                            constantscore=node.constantscore)
    return q.accept(bound)


def _bound_slop(node: wq.Phrase, strict: bool, same_columns: bool,
                warnings: list[str]) -> wq.Phrase:
    """A phrase with a slop past MAX_PHRASE_SLOP: a QueryError (strict), or
    searched with MAX_PHRASE_SLOP (lenient, warned)."""
    problem = f"a phrase allows at most ~{MAX_PHRASE_SLOP} words between its words"
    if strict:
        at = getattr(node, "startchar", None)
        raise QueryError(problem, at + 1 if same_columns and at is not None else None)
    note = f"{problem}: searched ~{MAX_PHRASE_SLOP}"
    if note not in warnings:
        warnings.append(note)
    bounded = copy.copy(node)
    bounded.slop = MAX_PHRASE_SLOP
    return bounded


def _bounded(text: str, *, strict: bool) -> tuple[str, list[str]]:
    """The query cut to MAX_QUERY_CHARS and MAX_QUERY_WORDS (lenient, with
    a warning), or a QueryError at the column where it goes over (strict)."""
    end = len(text)
    if end > MAX_QUERY_CHARS:
        end = MAX_QUERY_CHARS
    words = (w for w in _QUERY_WORD.finditer(text, 0, end)
             if w.group() not in ("AND", "OR", "NOT"))
    for n, word in enumerate(words, 1):
        if n > MAX_QUERY_WORDS:
            end = word.start()
            break
    if end == len(text):
        return text, []
    limit = f"{MAX_QUERY_WORDS:,} words and {MAX_QUERY_CHARS:,} characters"
    if strict:
        raise QueryError(f"the query is too long (at most {limit})", end + 1)
    return text[:end], [f"the query is too long (at most {limit}): "
                        f"read up to column {end}, the rest ignored"]


def check_syntax(text: str, *, strict: bool) -> tuple[str, list[str]]:
    """Scan for unbalanced quotes/brackets and bad field prefixes.

    Returns the text to hand to Whoosh (with stray characters dropped) and the
    warnings; raises QueryError in strict mode or for an unknown field."""
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    issues: list[_Issue] = []
    stack: list[tuple[str, int]] = []
    quote_at: int | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote_at is not None:
            if c == '"':
                quote_at = None
        elif c == '"':
            quote_at = i
        elif c in OPENERS:
            stack.append((c, i))
        elif c in CLOSERS:
            if stack and stack[-1][0] == CLOSERS[c]:
                stack.pop()
            else:
                issues.append(_Issue(i + 1, f"unmatched '{c}'", (i, i + 1)))
        elif (i == 0 or text[i - 1] in TERM_START) and (m := FIELD_PREFIX.match(text, i)):
            issue = _check_field(text, m)
            if issue:
                issues.append(issue)
            i = m.end()
            continue
        i += 1
    if quote_at is not None:
        issues.append(_Issue(quote_at + 1, "unclosed quote", (quote_at, quote_at + 1)))
    for opener, at in stack:
        issues.append(_Issue(at + 1, f"unclosed '{opener}'", (at, at + 1)))
    if not issues:
        return text, []
    issues.sort(key=lambda x: x.column)
    if strict:
        raise QueryError(issues[0].message, issues[0].column)
    drop = set()
    for issue in issues:
        drop.update(range(*issue.drop))
    cleaned = "".join(ch for k, ch in enumerate(text) if k not in drop)
    warnings = [f"col {x.column}: {x.message} (ignored)" for x in issues]
    return cleaned, warnings


def _check_field(text: str, m: re.Match) -> _Issue | None:
    name = m.group(1)
    after = text[m.end():m.end() + 1]
    if after == "" or after.isspace() or after == ")":
        colon = m.end() - 1
        return _Issue(colon + 1, f"nothing to search after '{name}:'", (colon, colon + 1))
    if resolve_field(name) is None:
        known = ", ".join(sorted({*QUERY_FIELDS, *FIELD_ALIASES}))
        raise QueryError(f'unknown field "{name}" (known fields: {known}; '
                         f'put text in quotes to search it as words)', m.start() + 1)
    return None


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
        at = getattr(bad[0], "startchar", None)
        raise QueryError(str(errors[0]), at + 1 if same_columns and at is not None else None)
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


def unnegated_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """The leaves of a query (terms, phrases, patterns) outside its negated
    parts: what a hit can be said to match (``Patriot -Idlib`` → Patriot)."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from unnegated_leaves(q.a)
    elif q.is_leaf():
        yield q
    else:
        for child in q.children():
            yield from unnegated_leaves(child)


# --- relative dates ----------------------------------------------------------

#: `now`, `now-30d`, `now+1w`: h(ours), d(ays), w(eeks), m(onths), y(ears).
RELATIVE = re.compile(r"\bnow(?:([+-])(\d{1,5})([hdwmy]))?\b", re.IGNORECASE)
#: A date clause in a query: `published:` or `date:` and its value or range.
DATE_CLAUSE = re.compile(r"\b(?:published|date):(?:\[[^\]]*\]|\{[^}]*\}|[<>]=?\S+|\S+)",
                         re.IGNORECASE)


def relative_date(match: re.Match, now: datetime | None = None) -> datetime:
    """The moment a `now-30d` expression names (naive UTC); a QueryError if
    it is off the calendar (`now-99999y`)."""
    try:
        return _relative_date(match, now)
    except (OverflowError, ValueError):
        raise QueryError(f'"{match.group(0)}" is outside the calendar (years 1 to 9999)') from None


def _relative_date(match: re.Match, now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    if not match.group(1):
        return now
    amount = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
    unit = match.group(3).lower()
    if unit in "hdw":
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit]
        return now + timedelta(hours=amount * hours)
    months = amount * (12 if unit == "y" else 1) + now.month - 1
    year, month = now.year + months // 12, months % 12 + 1
    day = min(now.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                        31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return now.replace(year=year, month=month, day=day)


def resolve_relative_dates(text: str) -> str:
    """Rewrite `now-30d` inside date clauses as a timestamp Whoosh reads (one
    off the calendar, `now-99999y`, is left for Whoosh to flag as unreadable)."""
    def moment(m: re.Match) -> str:
        try:
            return f"{relative_date(m):%Y%m%d%H%M%S}"
        except QueryError:
            return m.group(0)

    def in_clause(clause: re.Match) -> str:
        return RELATIVE.sub(moment, clause.group(0))
    return DATE_CLAUSE.sub(in_clause, text)


# --- filters ---------------------------------------------------------------

def keyword_filter(field_name: str, values: list[str]) -> wq.Query | None:
    """Any of `values` in a keyword field (case- and accent-insensitive)."""
    terms = [wq.Term(field_name, normalize_keyword(v)) for v in values if v.strip()]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def date_filter(since: str | None, until: str | None) -> wq.Query | None:
    """Published within [since, until], both inclusive, either open-ended."""
    if not since and not until:
        return None
    start = parse_date_bound(since, end=False) if since else None
    end = parse_date_bound(until, end=True) if until else None
    if start and end and start > end:
        raise QueryError(f"--since {since} is after --until {until}")
    return PublishedRange.between(start, end)


DATE_FORMATS = (("%Y-%m-%dT%H:%M:%S", None), ("%Y-%m-%dT%H:%M", None),
                ("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year"))


def parse_date_bound(value: str, *, end: bool) -> datetime:
    """`2020`, `2020-02`, `2020-02-27` or a full ISO timestamp, as naive UTC.

    An end bound covers its whole period: ``--until 2020-02`` includes 29 Feb."""
    value = value.strip()
    relative = RELATIVE.fullmatch(value)
    if relative:
        return relative_date(relative)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        if len(value) > 10:
            return parsed
    except ValueError:
        parsed = None
    for fmt, unit in DATE_FORMATS:
        try:
            start = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if not end or unit is None:
            return start
        return _period_end(start, unit)
    raise QueryError(f'cannot read date "{value}" (use YYYY, YYYY-MM, YYYY-MM-DD, '
                     f'ISO 8601, or now-30d / now-2w / now-6m / now-1y)')


def _period_end(start: datetime, unit: str) -> datetime:
    if unit == "day":
        nxt = start + timedelta(days=1)
    elif unit == "month":
        nxt = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    else:
        nxt = start.replace(year=start.year + 1)
    return nxt - timedelta(microseconds=1)
