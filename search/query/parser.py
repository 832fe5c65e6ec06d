"""Query text → the engine-neutral query tree (`tree`), plus filters
(source, section, dates).

The grammar is Whoosh's qparser, run by the Whoosh engine's `syntax` module;
everything around it is here: the text checked and cleaned first, plain
words built directly, the analyses of several languages merged. Whoosh's
parser is forgiving in ways that surprise people: an unclosed quote
or bracket silently changes what is searched. So a query is first scanned
here. In *lenient* mode (the default) stray quotes, brackets and colons are
read as text and a warning says what was ignored; in *strict* mode the first
problem is a :class:`QueryError` naming its column. An unknown field is an
error in both modes: it almost always means a typo the user wants to hear about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator, Sequence

from ..engine.whoosh import syntax
from ..errors import QueryError
from ..fields import FIELD_ALIASES, QUERY_FIELDS, TEXT_FIELDS, resolve_field
from ..text.analysis import NewsAnalyzer, normalize_keyword
from ..text.punctuation import as_punctuation
from . import tree as t
from .lint import lint
from .tree import (MAX_FUZZY_CHARS, MAX_FUZZY_EDITS, MAX_PHRASE_SLOP,  # noqa: F401 (the
                   MAX_QUERY_CHARS, unnegated_leaves)  # query language's limits, named here too)

#: `name:` at the start of a term.
FIELD_PREFIX = re.compile(r"([A-Za-z_][\w.]*):")
#: Characters after which a `name:` prefix may start a field query.
TERM_START = set(" \t\n(+-!")
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
#: Longest query read, in words (and MAX_QUERY_CHARS characters): Whoosh's
#: parser slows down with the square of the words (3,000 words took 12 s).
#: Lenient mode reads the first part (with a warning), strict mode refuses
#: the query.
MAX_QUERY_WORDS = 400
_QUERY_WORD = re.compile(r"[^\W_]+")


@dataclass
class ParsedQuery:
    """A query ready to run, and what the parser had to say about it."""

    text: str
    #: What the query asks for, engine-neutral (each engine translates it).
    tree: t.Node
    warnings: list[str] = field(default_factory=list)
    #: Two or more words ANDed by default (not by an explicit AND, && or
    #: +; see `tree.loosenable`): if no article has them all, either engine
    #: may search them as any word instead (see `relax`).
    relaxable: bool = False


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
    queries = [first.tree] + [_parse_one(text, strict, any_term, language).tree
                              for language in wanted[1:]]
    merged = _merge(queries)
    return ParsedQuery(first.text, merged, first.warnings,
                       first.relaxable and t.loosenable(merged))


def _merge(queries: list[t.Node]) -> t.Node:
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
    if all(_text_leaf(q) and q.field == first.field for q in variants):
        return t.Or(tuple(variants))
    children = [t.children(q) for q in queries]
    same_shape = all(type(q) is type(first) and not t.is_leaf(q) and len(kids) == len(children[0])
                     for q, kids in zip(queries, children))
    if not same_shape:
        return t.Or(tuple(variants))
    return t.with_children(first, [_merge(list(group)) for group in zip(*children)])


def _text_leaf(q: t.Node) -> bool:
    return type(q) in (t.Term, t.Phrase) and q.field in TEXT_FIELDS


def _distinct(queries: list[t.Node]) -> list[t.Node]:
    found: list[t.Node] = []
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
    plain = _plain_words(text, any_term, language)
    if plain is not None:
        return plain
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
        return ParsedQuery(text, t.MatchAll(), warnings)
    relaxable = not any_term and not _EXPLICIT_AND.search(cleaned)
    plain = _plain_words_query(cleaned, any_term, language)
    if plain is not None:
        return ParsedQuery(text, plain, warnings, relaxable and t.loosenable(plain))
    tree, more = syntax.read(cleaned, strict=strict, any_term=any_term, language=language,
                             same_columns=same_columns)
    return ParsedQuery(text, tree, warnings + more, relaxable and t.loosenable(tree))


#: An operator that asks for every part explicitly: such a query is not relaxed.
_EXPLICIT_AND = re.compile(r"(?<=\s)(?:AND|&&)(?=\s)|(?<![^\s(])\+")
#: Text that is only words of letters and digits: no syntax for the parser.
_PLAIN_WORDS = re.compile(r"\s*[A-Za-z0-9]+(?:\s+[A-Za-z0-9]+)*\s*")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "TO"})
_QUERY_ANALYZER = NewsAnalyzer()


def _plain_words(text: str, any_term: bool, language: str | None) -> ParsedQuery | None:
    """_parse_one of plain words (letters and digits, no operator word,
    within the bounds) straight from `_plain_words_query`, without the
    passes that find nothing to change in them (surrogates, punctuation,
    syntax, lint, field names, relative dates): the commonest query, and
    those passes were half of its parse. None for any other text.
    (tests/test_query.py compares this with the whole parse.)"""
    if len(text) > MAX_QUERY_CHARS or not _PLAIN_WORDS.fullmatch(text):
        return None
    words = text.split()
    if len(words) > MAX_QUERY_WORDS or _OPERATOR_WORDS.intersection(words):
        return None
    tree = _plain_words_query(text, any_term, language)
    if tree is None:
        return None
    return ParsedQuery(text, tree, [], not any_term and t.loosenable(tree))


def _plain_words_query(text: str, any_term: bool,
                       language: str | None = None) -> t.Node | None:
    """The tree Whoosh's parser builds for plain words ("oil prices"), built
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
    clauses = [tuple(t.Term(name, term, boost=boost) for name, boost in TEXT_FIELDS.items())
               for term in terms]
    if any_term:
        return t.Or(tuple(leaf for clause in clauses for leaf in clause))
    ors = [t.Or(clause) for clause in clauses]
    return ors[0] if len(ors) == 1 else t.And(tuple(ors))


def _lower_fields(text: str) -> str:
    """`Title:Idlib` → `title:Idlib`: check_syntax accepts field names in any
    case, Whoosh's parser only in lower case (it searched "title:idlib" as a
    word, silently finding nothing)."""
    def lower(m: re.Match) -> str:
        at_term = m.start() == 0 or text[m.start() - 1] in TERM_START
        return m.group(0).lower() if at_term and resolve_field(m.group(1)) else m.group(0)
    return FIELD_PREFIX.sub(lower, text)


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

def keyword_filter(field_name: str, values: list[str]) -> t.KeywordFilter | None:
    """Any of `values` in a keyword field (case- and accent-insensitive)."""
    folded = tuple(normalize_keyword(v) for v in values if v.strip())
    return t.KeywordFilter(field_name, folded) if folded else None


def date_filter(since: str | None, until: str | None) -> t.DateRange | None:
    """Published within [since, until], both inclusive, either open-ended."""
    if not since and not until:
        return None
    start = parse_date_bound(since, end=False) if since else None
    end = parse_date_bound(until, end=True) if until else None
    if start and end and start > end:
        raise QueryError(f"--since {since} is after --until {until}")
    return t.DateRange(start, end)


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
