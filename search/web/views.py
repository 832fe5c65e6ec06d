"""What the pages show: the search page's context (facets, date histogram,
pagination, chips), the article page's highlighted paragraphs, the Jinja
filters, and the JSON of results with each snippet's escaped HTML."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup

from .. import __version__, render
from ..article import Article
from ..errors import QueryError
from ..query import facets
from ..results import SearchResults
from ..snapshot import Snapshot
from .state import MAX_PAGE, ParamError, SearchState

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Facets the page's sidebar may show, in order, with their headings: those
#: the index holds any values for (Reuters has places and topics, BBC none).
PAGE_FACETS = {"source": "Source", "section": "Section", "tags": "Tags",
               "topics": "Topics", "places": "Places", "people": "People",
               "orgs": "Organisations", "exchanges": "Exchanges",
               "authors": "Authors", "language": "Language"}
#: Values shown per sidebar facet before "more".
FACET_SHOWN = 8
#: Values counted per facet on the page (the month histogram needs them all).
PAGE_FACET_LIMIT = 600
#: Up to this many bars each get a label; more get the first and last only.
HISTOGRAM_LABELS = 12
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "oldest": "Oldest",
               "recent": "Recent"}


@functools.cache
def templates():
    """The pages' Jinja2 templates, made when the first page is asked for:
    the JSON API renders none, and importing jinja2 was ~30 ms of the
    server's start (docs/performance.md, "Time to the first answer")."""
    import jinja2
    from fastapi.templating import Jinja2Templates

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(mark=mark_filter, day=day, stamp=stamp, article_url=article_url)
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


def results_json(results: SearchResults) -> dict:
    """`results.to_dict()` with each snippet's escaped `html` rendering."""
    data = results.to_dict()
    for hit, out in zip(results.hits, data["hits"]):
        for snippet, snippet_out in zip(hit.snippets, out["snippets"]):
            snippet_out["html"] = render.mark(snippet.text, snippet.highlights, "html")
    return data


def article_url(article_id: str, q: str = "") -> str:
    """`/article/business/001.txt?q=…`: slashes kept, the rest percent-encoded."""
    url = "/article/" + quote(article_id, safe="/")
    return f"{url}?{urlencode({'q': q})}" if q else url


def mark_filter(text: str, spans) -> Markup:
    """Jinja filter: `text` escaped, with `spans` in <mark>. The only way
    article text becomes markup, and render.mark escapes every piece of it."""
    return Markup(render.mark(text or "", [tuple(s) for s in spans or []], "html"))


def day(value: datetime | date | None) -> str:
    if value is None:
        return "date unknown"
    return f"{value.day} {value:%b %Y}"


def stamp(value: datetime) -> str:
    """`7 Mar 2020, 09:30 (UTC+03:00)`: the article's own clock and offset."""
    offset = value.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{day(value)}, {value:%H:%M} ({zone})"


def safe_link(url: str | None) -> str | None:
    """Only http(s) links from articles become clickable (no javascript:)."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def search_context(state: SearchState, results: SearchResults | None,
                    error: ParamError | None = None) -> dict:
    context: dict[str, Any] = {"state": state, "results": results, "error": error,
                               "article_url": article_url}
    if error is not None and error.parameter == "q" and error.column:
        context["caret"] = " " * (error.column - 1) + "^"
    if results is None:
        return context
    sort = state.effective_sort()
    # "Recent" (relevance decayed by age) needs a query to be relevant to.
    sorts = [(label, key == sort, state.url(sort=key)) for key, label in SORT_LABELS.items()
             if key != "recent" or state.q.strip()]
    context.update(
        chips=facets.chips(state, PAGE_FACETS), clear_url=facets.clear_url(state),
        sidebar=facets.sidebar(results.facets, state, PAGE_FACETS), facet_shown=FACET_SHOWN,
        sorts=sorts,
        histogram=_histogram(state, results),
        pages=_pagination(state, results),
        first=(results.page - 1) * results.limit + 1,
        suggestion_url=state.url(q=results.suggestion) if results.suggestion else None,
    )
    return context


@dataclass
class Bar:
    label: str
    count: int
    url: str
    x: float = 0.0
    height: float = 0.0
    title: str = ""
    short: str = ""


def _histogram(state: SearchState, results: SearchResults) -> dict | None:
    """Bars of matches per month (or per year when they span many years),
    empty periods included (see facets.timeline), each a link narrowing
    since/until to it."""
    timeline = facets.timeline(results.facets, results.total)
    if timeline is None:
        return None
    tallest = max(count for _, count in timeline.periods)
    width, gap, height = 100.0 / len(timeline.periods), 0.15, 56.0
    bars = []
    for i, (key, count) in enumerate(timeline.periods):
        label, short = _bar_labels(timeline.unit, i, key)
        bars.append(Bar(label, count, timeline.narrow_url(state, key),
                        x=i * width + width * gap / 2,
                        height=max(1.5, height * count / tallest) if count else 0.0,
                        title=f"{label}: {count:,} {'match' if count == 1 else 'matches'}",
                        short=short))
    return {"bars": bars, "bar_width": width * (1 - gap), "height": height,
            "unit": timeline.unit, "first": bars[0].label, "last": bars[-1].label,
            "every_label": len(bars) <= HISTOGRAM_LABELS, "undated": timeline.undated}


def _bar_labels(unit: str, i: int, key: str) -> tuple[str, str]:
    """A bar's label (`Mar 2024`, `2024`) and its short form under the axis
    (the month alone, but for the first bar and each January)."""
    if unit != "month":
        return key, key
    label = datetime.strptime(key, "%Y-%m").strftime("%b %Y")
    return label, label if i == 0 or key.endswith("-01") else label[:3]


def _pagination(state: SearchState, results: SearchResults) -> dict | None:
    pages = min(results.pages, MAX_PAGE)
    if pages <= 1 and results.page == 1:
        return None
    current = results.page
    numbers = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    items, previous = [], 0
    for n in numbers:
        if n - previous > 1:
            items.append(None)  # an ellipsis
        items.append((n, n == current, state.url(page=n)))
        previous = n
    return {"items": items,
            "prev": state.url(page=current - 1) if current > 1 else None,
            "next": state.url(page=current + 1) if current < pages else None}


def article_highlights(snap: Snapshot, article: Article, q: str):
    """Spans of the query's terms and phrases in the title and body (see
    :meth:`Snapshot.highlight`); none for an empty query or one that is not
    a query."""
    if not q.strip():
        return [], []
    try:
        return snap.highlight(article, q)
    except QueryError:
        return [], []


def paragraphs(body: str, spans: list[tuple[int, int]]) -> list[tuple[str, list]]:
    """The body as paragraphs (split at blank lines), each with the spans
    that fall in it, relative to it (a span across a break is clipped)."""
    out, start = [], 0
    for gap in [*PARAGRAPH_BREAK.finditer(body), None]:
        end = gap.start() if gap else len(body)
        text = body[start:end]
        if text.strip():
            out.append((text, [(max(s, start) - start, min(e, end) - start)
                               for s, e in spans if s < end and e > start]))
        start = gap.end() if gap else end
    return out


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
