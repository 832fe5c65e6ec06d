"""Facets: how many of a search's matches hold each value of a field, and
the links that select or deselect a value — all facet logic in one place.

There is a class per kind of facet (in the manner of datasette's facets.py):

- `KeywordFacet` (source, section, tags, authors, language, topics…): whole
  values, most common first, shown as the articles spell them. A value is
  selected by a filter (`filter.source=Reuters`); the values of one field
  are ORed and different fields ANDed.
- `DateFacet` (year, month, day): periods, oldest first, ending with the
  latest. A period is selected by narrowing the dates to it
  (`since=2024-02&until=2024-02`). The periods of a date are
  `DateFacet.bucket`: `fields.date_periods`, which the schema indexes
  articles with (the engine may not import this module).

Counting is multi-select: a facet that is also filtered is counted with
every other filter but its own, so the values next to a selected one stay
there to be added (`count`). The JSON API and the CLI show the counts
(`FacetCount`: value and count, nothing more); the web page asks each facet
for `results`, which adds each value's selected state and its toggle URL
(the page's URL with the value added to or removed from the filters, every
other parameter kept), and for the `chips` and `timeline` built on them.

The counting itself (per-segment value lists, kept across searches) is the
engine's: `engine/whoosh/querying/facet_counts.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol

from ..engine.whoosh.querying import execute, facet_counts
from ..fields import DATE_FACETS, FACET_FIELDS, date_periods, resolve_facet  # noqa: F401 (FACET_FIELDS re-exported: the web app reads it here)
from ..results import FacetCount
from ..text.analysis import normalize_keyword
from . import tree as t
from .parser import date_filter, keyword_filter

#: A timeline of months when the matches span at most this many; else years.
MONTHS_IN_TIMELINE = 36



# --- which facets ---------------------------------------------------------------

#: Validate a facet name (aliases allowed); shared with other engines.
resolve = resolve_facet


def facet_for(name: str, label: str | None = None) -> "Facet":
    """The facet counting field `name` (a resolved name)."""
    kind = DateFacet if name in DATE_FACETS else KeywordFacet
    return kind(name, label)


# --- what is selected ------------------------------------------------------------

class Selection(Protocol):
    """A request's selected facet values and the way to link to a changed
    request (the server's SearchState is one)."""

    filters: dict[str, list[str]]
    since: str | None
    until: str | None

    def url(self, **changes) -> str:
        """The request's URL with `changes` (filters, since, until) applied."""


def filter_query(filters: dict[str, list[str]], since: str | None,
                 until: str | None) -> t.Node | None:
    """The tree selecting the articles that pass every filter and the dates."""
    parts = [keyword_filter(name, values) for name, values in filters.items()]
    parts.append(date_filter(since, until))
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else t.And(tuple(parts))


# --- counting --------------------------------------------------------------------

def count(searcher, names: list[str], query, filters: dict[str, list[str]],
          since: str | None, until: str | None, matches,
          limit: int, check: Callable[[], None] = lambda: None) -> dict[str, list[FacetCount]]:
    """The counts of each facet in `names` over the matches of `query`
    (`matches`: them, under every filter), top `limit` values each.
    (`searcher`, `query` and `matches` are the engine's, passed through.)"""
    counts = {}
    for name in names:
        if name in filters:  # multi-select: every other filter applies, not its own
            others = {k: v for k, v in filters.items() if k != name}
            own = execute.matching(searcher, query, filter_query(others, since, until), check)
        else:
            own = matches
        counts[name] = facet_for(name).counts(searcher, facet_counts.count_values(own, name),
                                              limit)
    return counts


def count_all(searcher, name: str, limit: int = 1000) -> list[FacetCount]:
    """Counts of every value of a facet field over the whole index."""
    return facet_for(name).counts(searcher, facet_counts.count_all(searcher, name), limit)


# --- the kinds of facet ----------------------------------------------------------

@dataclass
class FacetValue:
    """One value of a facet as the page shows it."""

    value: str
    count: int
    selected: bool
    #: The URL selecting this value, or deselecting it when selected.
    toggle_url: str


@dataclass
class FacetResult:
    """A facet's values as the page shows them."""

    name: str
    label: str
    kind: str
    values: list[FacetValue]


class Facet:
    """Counting and selecting one field's values. Subclasses decide the
    order of the values, how they are shown and how one is selected."""

    kind = ""

    def __init__(self, name: str, label: str | None = None):
        self.name, self.label = name, label or name

    def counts(self, searcher, values: dict, limit: int) -> list[FacetCount]:
        """The top `limit` of `values` (index value → count) as shown."""
        pairs = [(_as_text(v), c) for v, c in values.items() if v is not None]
        return [FacetCount(self.shown(searcher, v), c) for v, c in self.ranked(pairs, limit)]

    def ranked(self, pairs: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
        raise NotImplementedError

    def shown(self, searcher, value: str) -> str:
        return value

    def is_selected(self, selection: Selection, value: str) -> bool:
        raise NotImplementedError

    def toggled(self, selection: Selection, value: str) -> dict:
        """The changes to `selection` that select `value`, or deselect it."""
        raise NotImplementedError

    def toggle_url(self, selection: Selection, value: str) -> str:
        return selection.url(**self.toggled(selection, value))

    def results(self, counts: list[FacetCount], selection: Selection) -> FacetResult:
        """The counted values with their selected state and toggle URLs."""
        return FacetResult(self.name, self.label, self.kind, [
            FacetValue(c.value, c.count, self.is_selected(selection, c.value),
                       self.toggle_url(selection, c.value)) for c in counts])


class KeywordFacet(Facet):
    """Whole values (source, tags…): most common first, ties alphabetical,
    shown as written in the articles rather than in their folded index form."""

    kind = "keyword"

    def ranked(self, pairs, limit):
        return sorted(pairs, key=lambda vc: (-vc[1], vc[0]))[:limit]

    def shown(self, searcher, value: str) -> str:
        """The original spelling of a folded value (`iran press` → `Iran Press`)."""
        return facet_counts.spelling(searcher, self.name, value)

    def is_selected(self, selection, value):
        wanted = normalize_keyword(value)
        return any(normalize_keyword(v) == wanted for v in selection.filters.get(self.name, []))

    def toggled(self, selection, value):
        """Filters with `value` added to this field's, or, if there, removed
        (compared folded, as the index compares them); an emptied field's
        filter goes."""
        current = selection.filters.get(self.name, [])
        if self.is_selected(selection, value):
            wanted = normalize_keyword(value)
            kept = [v for v in current if normalize_keyword(v) != wanted]
        else:
            kept = current + [value]
        filters = {k: v for k, v in selection.filters.items() if k != self.name}
        if kept:
            filters[self.name] = kept
        return {"filters": filters}

    def results(self, counts, selection):
        result = super().results(counts, selection)
        shown = {normalize_keyword(v.value) for v in result.values}
        # A selected value always shows (to be deselected), counted or not.
        for value in selection.filters.get(self.name, []):
            if normalize_keyword(value) not in shown:
                result.values.insert(0, FacetValue(value, 0, True,
                                                   self.toggle_url(selection, value)))
        return result


class DateFacet(Facet):
    """Periods of the published date (year, month or day, as ISO text, UTC):
    a timeline, the latest `limit` periods oldest first (ISO values sort as
    dates)."""

    kind = "date"

    def ranked(self, pairs, limit):
        return sorted(pairs)[-limit:]

    @staticmethod
    def bucket(utc: datetime) -> dict[str, str]:
        """The periods a (naive UTC) date falls in: the year, month and day
        fields an article is indexed with (see fields.date_periods)."""
        return date_periods(utc)

    def is_selected(self, selection, value):
        return selection.since == value and selection.until == value

    def toggled(self, selection, value):
        if self.is_selected(selection, value):
            return {"since": None, "until": None}
        return self.narrowed(value)

    @staticmethod
    def narrowed(value: str) -> dict:
        """The changes narrowing the dates to one period (its first day to
        its last: a month or year as `until` includes its last day)."""
        return {"since": value, "until": value}

    def periods(self, first: str, last: str) -> list[str]:
        """Every period from `first` to `last`, empty ones included (years
        and months)."""
        if self.name == "year":
            return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
        y, m = int(first[:4]), int(first[5:7])
        keys = []
        while (y, m) <= (int(last[:4]), int(last[5:7])):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return keys


# --- the page's pieces -------------------------------------------------------------

def sidebar(counted: dict[str, list[FacetCount]], selection: Selection,
            labels: dict[str, str]) -> list[FacetResult]:
    """The keyword facets in `labels` (name → heading) that have values to
    show, in that order."""
    results = (facet_for(name, label).results(counted.get(name, []), selection)
               for name, label in labels.items())
    return [result for result in results if result.values]


def chips(selection: Selection, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(label, URL removing it) for each selected value, and the dates."""
    out = [(f"{labels.get(name, name)}: {value}",
            facet_for(name).toggle_url(selection, value))
           for name, values in selection.filters.items() for value in values]
    if selection.since or selection.until:
        out.append((date_label(selection.since, selection.until),
                    selection.url(since=None, until=None)))
    return out


def clear_url(selection: Selection) -> str:
    """The URL with no value selected in any facet, nor dates."""
    return selection.url(filters={}, since=None, until=None)


def date_label(since: str | None, until: str | None) -> str:
    if since and since == until:
        return f"Date: {since}"
    if since and until:
        return f"Date: {since} to {until}"
    return f"Date: from {since}" if since else f"Date: until {until}"


@dataclass
class Timeline:
    """Matches per period, empty periods included: months when they span at
    most MONTHS_IN_TIMELINE of them, else years."""

    unit: str
    #: (period, count), oldest first.
    periods: list[tuple[str, int]]
    #: Matches with no date.
    undated: int

    def narrow_url(self, selection: Selection, period: str) -> str:
        return selection.url(**DateFacet.narrowed(period))


def timeline(counted: dict[str, list[FacetCount]], total: int) -> Timeline | None:
    """The timeline of a search counted with the year and month facets (all
    their values); None without dated matches."""
    months = {c.value: c.count for c in counted.get("month", [])}
    years = {c.value: c.count for c in counted.get("year", [])}
    if not years or not months:
        return None
    undated = max(0, total - sum(years.values()))
    first, last = min(months), max(months)
    if _months_between(first, last) <= MONTHS_IN_TIMELINE:
        keys = DateFacet("month").periods(first, last)
        return Timeline("month", [(k, months.get(k, 0)) for k in keys], undated)
    lo, hi = min(years), max(years)
    # (A stray date centuries off would make thousands of empty years.)
    keys = DateFacet("year").periods(lo, hi) if int(hi) - int(lo) < 200 else sorted(years)
    return Timeline("year", [(k, years.get(k, 0)) for k in keys], undated)


def _months_between(first: str, last: str) -> int:
    """How many months from `first` to `last` (YYYY-MM), both included."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1


def _as_text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
