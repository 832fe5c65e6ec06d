"""HTML article extraction: our reader against the usual alternatives.

    python bench/bench_html.py            # the summary table
    python bench/bench_html.py --pages    # plus per-page body F1 for each extractor

Over the hand-checked pages in tests/fixtures/html/ (expected values in
expected.json), for each extractor: body token F1 against the true article
text (bag of lowercase word tokens; precision and recall per page, averaged
over pages, F1 of the two means, as the Zyte/Scrapinghub article-extraction
benchmark aggregates), the worst page's F1, the benchmark's own 4-gram shingle
F1, the share of titles exactly right, dates right to the day, author lists
right, site names right, and milliseconds per page. A library that is not
installed is skipped with a note (`pip install trafilatura readability-lxml`
to measure them). Every extractor gets the same decoded text, so encodings do
not decide the comparison.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.readers import html as reader  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "html"
NA = object()  # the extractor does not report this field


@dataclass
class Result:
    body: str
    title: object = NA
    date: object = NA  # "YYYY-MM-DD" or None
    authors: object = NA
    site: object = NA


# -- metrics ----------------------------------------------------------------

def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def prf(true: list, pred: list) -> tuple[float, float, float]:
    """Precision, recall, F1 of two bags (Counter intersection)."""
    t, p = Counter(true), Counter(pred)
    tp = sum((t & p).values())
    if not t and not p:
        return 1.0, 1.0, 1.0
    precision = tp / sum(p.values()) if p else 0.0
    recall = tp / sum(t.values()) if t else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def shingles(text: str, n: int = 4) -> list[tuple]:
    words = re.findall(r"\w+", text)  # the benchmark's own: case kept
    return [tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)) if words[i:i + n]]


def aggregate(pairs: list[tuple[float, float]]) -> float:
    p = statistics.mean(x for x, _ in pairs)
    r = statistics.mean(y for _, y in pairs)
    return 2 * p * r / (p + r) if p + r else 0.0


def norm(value: object) -> object:
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split())
    return value


# -- extractors ---------------------------------------------------------------

def naive(text: str, data: bytes) -> Result:
    from bs4 import BeautifulSoup
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(text, "lxml")
    title = soup.title.get_text() if soup.title else ""
    return Result(soup.get_text(" "), title=title)


def newssearch(text: str, data: bytes) -> Result:
    page = reader.extract(data, "bench")
    return Result(page.body, page.title, page.published.date().isoformat() if page.published else None,
                  page.authors, page.source)


def load_trafilatura() -> Callable[[str, bytes], Result] | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(text: str, data: bytes) -> Result:
        doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
        if doc is None:
            return Result("", None, None, [], None)
        authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
        return Result(doc.text or "", doc.title, doc.date, authors, doc.sitename)

    run.__name__ = f"trafilatura {getattr(trafilatura, '__version__', '')}".strip()
    return run


def load_readability() -> Callable[[str, bytes], Result] | None:
    try:
        from readability import Document
    except ImportError:
        return None
    from bs4 import BeautifulSoup

    def run(text: str, data: bytes) -> Result:
        doc = Document(text)
        summary = BeautifulSoup(doc.summary(html_partial=True), "lxml")
        body = "\n\n".join(" ".join(p.get_text(" ").split()) for p in summary.find_all(["p", "h2", "h3", "li", "pre", "div"])
                           if not p.find(["p", "div"]))
        return Result(body or summary.get_text(" "), title=doc.short_title())

    try:
        from importlib.metadata import version
        run.__name__ = f"readability-lxml {version('readability-lxml')}"
    except Exception:
        run.__name__ = "readability-lxml"
    return run


# -- the run --------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", action="store_true", help="also print per-page body F1")
    args = parser.parse_args()

    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    pages = {name: (FIXTURES / name).read_bytes() for name in expected}
    texts = {name: reader.decode_html(data, name) for name, data in pages.items()}

    extractors: list[tuple[str, Callable]] = [("naive get_text()", naive)]
    notes = []
    for label, loader in (("trafilatura", load_trafilatura), ("readability-lxml", load_readability)):
        run = loader()
        if run is None:
            notes.append(f"{label}: not installed, skipped (pip install {label})")
        else:
            extractors.append((run.__name__, run))
    extractors.append(("newssearch", newssearch))

    rows, per_page = [], {}
    for label, run in extractors:
        words, grams, f1s = [], [], {}
        right = Counter()
        counted = Counter()
        with warnings.catch_warnings():  # warm up (imports, caches) outside the clock
            warnings.simplefilter("ignore")
            first = next(iter(expected))
            run(texts[first], pages[first])
        start = time.perf_counter()
        results = {}
        for name in expected:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    results[name] = run(texts[name], pages[name])
                except Exception as exc:  # a library failing on a page scores zero there
                    results[name] = Result("", None, None, [], None)
                    notes.append(f"{label}: {name}: {type(exc).__name__}: {exc}")
        ms = (time.perf_counter() - start) * 1000 / len(expected)
        for name, want in expected.items():
            got = results[name]
            p, r, f = prf(tokens(want["body"]), tokens(got.body))
            words.append((p, r))
            f1s[name] = f
            sp, sr, _ = prf(shingles(want["body"]), shingles(got.body))
            grams.append((sp, sr))
            checks = {
                "title": (got.title, norm(want["title"])),
                "date": (got.date, want["published"]),
                "authors": (got.authors if got.authors is NA else sorted(a.casefold() for a in got.authors),
                            sorted(a.casefold() for a in want["authors"])),
                "site": (got.site if got.site is NA or got.site is None else got.site.casefold(),
                         want["source"].casefold() if want["source"] else None),
            }
            for key, (value, target) in checks.items():
                if value is NA:
                    continue
                counted[key] += 1
                right[key] += norm(value) == target
        per_page[label] = f1s
        pct = lambda key: f"{100 * right[key] / counted[key]:.0f}%" if counted[key] else "--"  # noqa: E731
        rows.append([label, f"{aggregate(words):.3f}", f"{min(f1s.values()):.2f}", f"{aggregate(grams):.3f}",
                     pct("title"), pct("date"), pct("authors"), pct("site"), f"{ms:.1f}"])

    header = ["extractor", "body F1", "worst page", "4-gram F1", "titles", "dates", "authors", "sites", "ms/page"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(f"{len(expected)} pages in {FIXTURES.relative_to(ROOT)}/\n")
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    if args.pages:
        labels = [label for label, _ in extractors]
        print("\nbody F1 per page")
        name_w = max(map(len, expected))
        print(" " * name_w + "  " + "  ".join(f"{label[:12]:>12}" for label in labels))
        for name in expected:
            print(f"{name:<{name_w}}  " + "  ".join(f"{per_page[label][name]:>12.3f}" for label in labels))
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
