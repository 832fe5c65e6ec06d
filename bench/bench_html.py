"""HTML extraction on real pages: newssearch against trafilatura and readability-lxml.

    python bench/bench_html.py                 # both tables (about two minutes)
    python bench/bench_html.py --pages         # plus per-page body F1
    python bench/bench_html.py --limit 20      # a quick look at the first pages
    python bench/bench_html.py --variants      # body only: trafilatura's settings

Data: ``../shared/corpora/html-pages/`` (see its PROVENANCE.md; research use
only, never copied into the project). Skipped with a note when it is absent.

Body (``aeb/``: 141 pages of the Zyte article-extraction benchmark with
hand-checked ``articleBody``): token F1 as the issue states the bar (bag of
lowercase ``\\w+`` tokens; precision and recall per page, averaged over pages,
F1 of the two means, as the benchmark's evaluate.py aggregates), the mean of
per-page F1, the benchmark's own 4-gram shingle F1 (case kept), pages under
0.5, failures (pages rejected or left empty) and pages per second.

Metadata (``readability/``: 114 Mozilla Readability test pages with expected
title, byline, siteName, publishedTime): the share right among pages where the
expectation is not null (titles: whitespace- and case-insensitive equality,
a leading or trailing site part aside;
bylines: the same set of names, "By" and separators aside; site names: equal;
dates: the same day), and "extra": values given where the expectation is null.
readability-lxml reports only a title. Every extractor gets the same decoded
text, so encodings do not decide the comparison.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.errors import ReadError  # noqa: E402
from search.ingest.readers import html as reader  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "html-pages"


@dataclass
class Result:
    """What one extractor made of one page (None: it does not report that)."""

    body: str = ""
    title: str | None = None
    authors: list[str] | None = None
    site: str | None = None
    date: str | None = None  # YYYY-MM-DD
    failed: bool = False
    route: str | None = None


@dataclass
class Extractor:
    label: str
    run: Callable[[str, bytes], Result]
    metadata: set[str] = field(default_factory=set)


# -- metrics ----------------------------------------------------------------------

def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def shingles(text: str, n: int = 4) -> list[tuple]:
    words = re.findall(r"\w+", text)  # the benchmark's own: case kept
    return [tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)) if words[i:i + n]]


def prf(true: list, pred: list) -> tuple[float, float, float]:
    """Precision, recall, F1 of two bags."""
    t, p = Counter(true), Counter(pred)
    if not t and not p:
        return 1.0, 1.0, 1.0
    tp = sum((t & p).values())
    precision = tp / sum(p.values()) if p else 0.0
    recall = tp / sum(t.values()) if t else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def aggregate(scores: list[tuple[float, float, float]]) -> float:
    """F1 of mean precision and mean recall (the benchmark's aggregate)."""
    p = statistics.mean(s[0] for s in scores)
    r = statistics.mean(s[1] for s in scores)
    return 2 * p * r / (p + r) if p + r else 0.0


def norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


_TITLE_PARTS = re.compile(r"\s+(?:\||-|–|—|::|»|·|•)\s+|\s*_\s*|\s+\[")


def title_ok(want: str | None, got: str | None) -> bool:
    """The expected title, or it without a leading or trailing part (Mozilla's
    expectations keep site suffixes, "… | eHow", which the issue asks to cut)."""
    variants = {norm(want)}
    for match in _TITLE_PARTS.finditer(want or ""):
        variants |= {norm(want[:match.start()]), norm(want[match.end():])}
    return bool(got) and norm(got) in variants


def names_of(byline: str | list[str] | None) -> set[str]:
    """A byline or author list as a set of normalised names."""
    parts = byline if isinstance(byline, list) else re.split(r",|;|\band\b|&|\|", byline or "")
    out = set()
    for part in parts:
        part = re.sub(r"^\s*by\b[:\s]*", "", norm(part))
        if part:
            out.add(part)
    return out


# -- extractors -------------------------------------------------------------------

def newssearch(text: str, data: bytes) -> Result:
    try:
        page = reader.extract(data, "bench")
    except ReadError:
        return Result(failed=True)
    return Result(page.body, page.title, page.authors, page.source,
                  page.published.date().isoformat() if page.published else None, route=page.extraction)


def load_trafilatura() -> Extractor | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(text: str, data: bytes) -> Result:
        doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
        if doc is None:
            return Result(failed=True)
        authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
        return Result(doc.text or "", doc.title, authors, doc.sitename, doc.date, failed=not doc.text)

    return Extractor(f"trafilatura {trafilatura.__version__}", run, {"title", "byline", "site", "date"})


def trafilatura_variants() -> list[Extractor]:
    """trafilatura's body with each of its precision/recall/speed settings
    (``--variants``): the setting newssearch uses was chosen from these."""
    try:
        import trafilatura
    except ImportError:
        return []
    settings = {"default": {}, "favor_precision": {"favor_precision": True},
                "favor_recall": {"favor_recall": True}, "fast": {"fast": True}}
    out = []
    for label, options in settings.items():
        def run(text: str, data: bytes, options: dict = options) -> Result:
            body = trafilatura.extract(text, include_comments=False, include_tables=True, **options) or ""
            return Result(body, failed=not body)
        out.append(Extractor(f"trafilatura {label}", run))
    return out


def load_readability() -> Extractor | None:
    try:
        from readability import Document
    except ImportError:
        return None
    from importlib.metadata import version

    from bs4 import BeautifulSoup

    def run(text: str, data: bytes) -> Result:
        doc = Document(text)
        body = BeautifulSoup(doc.summary(html_partial=True), "lxml").get_text("\n")
        return Result(body, doc.short_title(), failed=not body.strip())

    return Extractor(f"readability-lxml {version('readability-lxml')}", run, {"title"})


# -- the runs ------------------------------------------------------------------------

def load_pages(limit: int | None) -> tuple[dict, dict]:
    """(aeb pages, readability pages): name → (decoded text, bytes, truth)."""
    aeb_truth = json.loads((CORPUS / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    aeb = {}
    for key in list(aeb_truth)[:limit]:
        data = gzip.decompress((CORPUS / "aeb" / f"{key}.html.gz").read_bytes())
        aeb[key] = (reader.decode_html(data, key), data, aeb_truth[key])
    meta = {}
    for folder in sorted(p for p in (CORPUS / "readability").iterdir() if p.is_dir())[:limit]:
        data = (folder / "source.html").read_bytes()
        truth = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        meta[folder.name] = (reader.decode_html(data, folder.name), data, truth)
    return aeb, meta


def run_all(extractor: Extractor, pages: dict) -> tuple[dict[str, Result], float]:
    """Every page through one extractor; (results, pages per second)."""
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = next(iter(pages.values()))
        extractor.run(first[0], first[1])  # warm up imports and caches outside the clock
        start = time.perf_counter()
        for name, (text, data, _) in pages.items():
            try:
                results[name] = extractor.run(text, data)
            except Exception:  # a library failing on a page: a failure there
                results[name] = Result(failed=True)
        seconds = time.perf_counter() - start
    return results, len(pages) / seconds


def body_row(extractor: Extractor, pages: dict, per_page: dict) -> list[str]:
    results, speed = run_all(extractor, pages)
    words, grams, f1s = [], [], {}
    for name, (_, _, truth) in pages.items():
        got = results[name]
        words.append(prf(tokens(truth["articleBody"]), tokens(got.body)))
        grams.append(prf(shingles(truth["articleBody"]), shingles(got.body)))
        f1s[name] = words[-1][2]
    per_page[extractor.label] = f1s
    failures = sum(1 for r in results.values() if r.failed or not r.body.strip())
    routes = Counter(r.route for r in results.values() if r.route)
    if routes:
        per_page.setdefault("_routes", {})[extractor.label] = routes
    return [extractor.label, f"{aggregate(words):.3f}", f"{statistics.mean(f1s.values()):.3f}",
            f"{aggregate(grams):.3f}", str(sum(1 for f in f1s.values() if f < 0.5)), str(failures),
            f"{speed:.1f}"]


def meta_row(extractor: Extractor, pages: dict) -> list[str]:
    results, speed = run_all(extractor, pages)
    right, counted, extra = Counter(), Counter(), Counter()
    for name, (_, _, truth) in pages.items():
        got = results[name]
        checks = {
            "title": (truth.get("title"), got.title, title_ok),
            "byline": (truth.get("byline"), got.authors, lambda a, b: names_of(a) == names_of(b)),
            "site": (truth.get("siteName"), got.site, lambda a, b: norm(a) == norm(b)),
            "date": (truth.get("publishedTime"), got.date, lambda a, b: str(a)[:10] == str(b)[:10]),
        }
        for key, (want, value, same) in checks.items():
            if key not in extractor.metadata:
                continue
            if want:
                counted[key] += 1
                right[key] += bool(value) and same(want, value)
            elif value:
                extra[key] += 1
    cells = [extractor.label]
    for key in ("title", "byline", "site", "date"):
        if key in extractor.metadata:
            cells.append(f"{right[key]}/{counted[key]} ({100 * right[key] / max(1, counted[key]):.0f}%)")
            cells.append(str(extra[key]))
        else:
            cells += ["--", "--"]
    cells.append(f"{speed:.1f}")
    return cells


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", action="store_true", help="also print per-page body F1")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    parser.add_argument("--variants", action="store_true",
                        help="only the body table, for trafilatura's settings (default, favor_precision, ...)")
    args = parser.parse_args()
    if not (CORPUS / "aeb" / "ground-truth.json").exists():
        print(f"no dev pages at {CORPUS}: nothing to measure")
        return
    aeb, meta = load_pages(args.limit)
    extractors = [Extractor("newssearch", newssearch, {"title", "byline", "site", "date"})]
    for label, loader in (("trafilatura", load_trafilatura), ("readability-lxml", load_readability)):
        found = loader()
        if found is None:
            print(f"note: {label} not installed, skipped (pip install {label})")
        else:
            extractors.append(found)

    if args.variants:
        extractors = [extractors[0], *trafilatura_variants()]
    per_page: dict = {}
    rows = [body_row(e, aeb, per_page) for e in extractors]
    print(f"Body: {len(aeb)} pages of the Zyte article-extraction benchmark (aeb/)\n")
    print(table(["extractor", "token F1", "mean F1", "4-gram F1", "F1<0.5", "failures", "pages/s"], rows))
    for label, routes in per_page.pop("_routes", {}).items():
        print(f"\n{label} body routes: " + ", ".join(f"{k} {v}" for k, v in routes.most_common()))

    if args.variants:
        return
    rows = [meta_row(e, meta) for e in extractors]
    print(f"\nMetadata: {len(meta)} Mozilla Readability test pages (readability/); "
          "right / expected (extra = given where none is expected)\n")
    print(table(["extractor", "titles", "extra", "bylines", "extra", "sites", "extra", "dates", "extra",
                 "pages/s"], rows))
    if args.pages:
        labels = [e.label for e in extractors]
        print("\nbody F1 per page")
        print(" " * 10 + "  ".join(f"{label[:16]:>16}" for label in labels) + "  url")
        for name, (_, _, truth) in aeb.items():
            print(f"{name[:8]:<10}" + "  ".join(f"{per_page[label][name]:>16.3f}" for label in labels)
                  + "  " + truth.get("url", "")[:70])


if __name__ == "__main__":
    main()
