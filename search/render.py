"""Formatting results for people and programs: terminal text (with ANSI
colour or plain marks), HTML-escaped highlights, and JSON.

Everything here takes typed results and returns strings; nothing reads the
index or prints.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .article import Article
from .results import IndexReport, IndexStats, SearchResults, Snippet

HIGHLIGHT_STYLES = ("ansi", "marks", "html", "none")
ELLIPSIS = "…"

_ANSI = {"title": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m"}
#: Highlight on/off in ANSI: bold yellow, then normal weight and colour.
_ANSI_MARK = ("\x1b[1;33m", "\x1b[22;39m")


def mark(text: str, spans: list[tuple[int, int]], style: str) -> str:
    """`text` with `spans` highlighted in `style` (ansi, marks, html, none).
    HTML style escapes the article text, so markup in an article stays text."""
    escape = html.escape if style == "html" else (lambda s: s)
    if style == "none" or not spans:
        return escape(text)
    opener, closer = {"ansi": _ANSI_MARK, "marks": ("[", "]"),
                      "html": ("<mark>", "</mark>")}[style]
    out, cursor = [], 0
    for start, end in spans:
        out.append(escape(text[cursor:start]))
        out.append(opener + escape(text[start:end]) + closer)
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def snippet_line(snippets: list[Snippet], style: str) -> str:
    """Passages joined by " … ", with an ellipsis where the article goes on
    before the first or after the last."""
    parts = [" ".join(mark(s.text, s.highlights, style).split()) for s in snippets]
    line = f" {ELLIPSIS} ".join(parts)
    if snippets and snippets[0].cut_before:
        line = f"{ELLIPSIS} {line}"
    if snippets and snippets[-1].cut_after:
        line = f"{line} {ELLIPSIS}"
    return line


def _style(text: str, key: str, style: str) -> str:
    return f"{_ANSI[key]}{text}{_ANSI['reset']}" if style == "ansi" else text


def results_text(results: SearchResults, style: str) -> str:
    """Human-readable results page. In html style every piece of article or
    query text is escaped, not only the highlighted title and snippets."""
    plain = (lambda text: html.escape(text, quote=False)) if style == "html" else str
    lines = [plain(_summary(results))]
    for warning in results.warnings:
        lines.append(plain(f"warning: {warning}"))
    if results.relaxed:
        lines.append(plain(results.RELAXED_NOTICE))
    if results.suggestion:
        lines.append(plain(f'Did you mean: "{results.suggestion}"?'))
    for rank, hit in enumerate(results.hits, (results.page - 1) * results.limit + 1):
        lines.append("")
        title = mark(hit.title, hit.title_highlights, style) if hit.title else "(untitled)"
        if style == "ansi":  # a mark's "normal weight" must not end the bold title
            title = title.replace(_ANSI_MARK[1], _ANSI_MARK[1] + _ANSI["title"])
        lines.append(f"{rank}. {_style(title, 'title', style)}")
        meta = [hit.source or "source unknown"]
        if hit.section:
            meta.append(hit.section)
        meta.append(hit.published.date().isoformat() if hit.published else "date unknown")
        meta.append(f"score {hit.score:.2f}")
        if hit.similar:
            meta.append(f"+{hit.similar} similar")
        lines.append("   " + _style(plain(" · ".join(meta)), "dim", style))
        lines.append("   " + _style(plain(f"id: {hit.id}"), "dim", style))
        if hit.snippets:
            lines.append("   " + snippet_line(hit.snippets, style))
    if results.facets:
        lines.append("")
        lines.append("Facets")
        for name, counts in results.facets.items():
            values = ", ".join(f"{c.value} ({c.count})" for c in counts) or "(none)"
            lines.append(plain(f"  {name}: {values}"))
    return "\n".join(lines)


def _summary(results: SearchResults) -> str:
    quote = "'" if '"' in results.query else '"'
    where = f"for {quote}{results.query}{quote}" if results.query.strip() else "(all articles)"
    head = f"{count(results.total, 'result')} {where}"
    if results.total and results.limit:
        first = (results.page - 1) * results.limit + 1
        last = first + len(results.hits) - 1
        shown = f"showing {first}-{last}" if results.hits else f"page {results.page} is past the end"
        head += f" · {shown} · page {results.page} of {results.pages}"
    return f"{head} · {results.took_ms:.1f} ms"


def article_text(article: Article) -> str:
    """An article in full, for `newssearch show`."""
    lines = [article.title, "=" * min(len(article.title), 78)]
    fields = [("id", article.id), ("source", article.source), ("section", article.section),
              ("published", article.published.isoformat() if article.published else "unknown"),
              ("authors", ", ".join(article.authors)), ("url", article.url),
              ("tags", ", ".join(article.tags)), ("language", article.language),
              ("path", article.path)]
    lines += [f"{name:<10} {value}" for name, value in fields if value]
    lines += ["", article.body]
    if article.related:
        lines += ["", "Related:"] + [f"  - {headline}" for headline in article.related]
    return "\n".join(lines)


def stats_text(stats: IndexStats) -> str:
    """The `newssearch stats` table."""
    if stats.earliest:
        dates = f"{stats.earliest.date()} to {stats.latest.date()}"
        if stats.undated:
            dates += f" ({stats.undated} undated)"
    else:
        dates = f"unknown ({stats.undated} undated)" if stats.documents else "none"
    rows = [
        ("Index", stats.path),
        ("Articles", f"{stats.documents:,}"),
        ("Date range", dates),
        ("Sources", _counts(stats.sources)),
        ("Sections", _counts(stats.sections)),
        ("Fields", ", ".join(stats.fields)),
        ("Size on disk", human_bytes(stats.size_bytes)),
        ("Built from", ", ".join(stats.roots) or "(articles added through the API)"),
        ("Created", stats.created),
        ("Updated", stats.updated),
    ]
    return "\n".join(f"{name:<13}{value}" for name, value in rows)


def _counts(counts, shown: int = 10) -> str:
    if not counts:
        return "(none)"
    text = ", ".join(f"{c.value} ({c.count:,})" for c in counts[:shown])
    if len(counts) > shown:
        text += f", … {len(counts) - shown} more"
    return text


def report_text(report: IndexReport, verb: str = "Indexed") -> str:
    """The summary of an index or rebuild run (one line, two with formats)."""
    files = report.files + report.files_unchanged
    line = f"{verb} {count(files, 'file')} in {report.seconds:.2f} s"
    if report.files_unchanged:
        line += f" ({report.files_unchanged:,} unchanged since the last run)"
    line += (f": {report.added:,} added, {report.updated:,} updated, "
             f"{report.unchanged:,} unchanged, {len(report.failed):,} failed")
    extras = [(len(report.duplicates), count(len(report.duplicates), "duplicate")),
              (report.removed, f"{report.removed:,} removed"),
              (len(report.skipped), f"{len(report.skipped):,} skipped"),
              (len(report.problems), count(len(report.problems), "bad record"))]
    line += "".join(f", {text}" for n, text in extras if n)
    if report.seconds > 0 and report.files:
        rate = report.articles / report.seconds
        line += f" ({rate:,.0f} articles/s)"
    if len(report.formats) > 1 or (report.formats and "text" not in report.formats):
        line += "\nBy format: " + ", ".join(f"{fmt} {n:,}" for fmt, n in sorted(report.formats.items()))
    return line


def count(n: int, noun: str) -> str:
    """``1 result``, ``2 results``, ``1,204 duplicates``: a count with its
    noun in the right number (regular English plurals only)."""
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def to_json(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(data, ensure_ascii=False, indent=indent)
