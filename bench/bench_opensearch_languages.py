"""Do both engines search real news in French, Portuguese, Russian, … alike?
The real non-English, non-German article text in `../shared` (read, never
copied): the hand-checked bodies of the article-extraction benchmark
(`html-pages/aeb/ground-truth.json`) and Readability's extracted articles
(`html-pages/readability/*/expected.html`, tags stripped), every page, so
the index is mixed as a news archive is. Both engines get the same articles
through `NewsIndex.add` (which detects each language), then:

* every distinct word (4 letters or more, letters only) of each article in
  a language OpenSearch stems in its own right is one query, run on both
  (every match): are the matched articles the same?
* a typo of each such word of 6 letters or more (two middle letters
  swapped) is one query: is the "did you mean" the same?

Skips with a line when `../shared` is absent.

    python bench/opensearch_cluster.py --data /tmp/os --port 9200 &
    python bench/bench_opensearch_languages.py --url http://127.0.0.1:9200
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from bench_language import DEFAULT_SHARED, matched  # noqa: E402
from bench_opensearch_german import build  # noqa: E402

from search.article import Article  # noqa: E402


def pages(shared: Path) -> list[Article]:
    """Every page's text as an article, its language left to `add`."""
    root = shared / "corpora" / "html-pages"
    truth = json.loads((root / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    found = [Article(id=f"aeb-{key[:12]}", title="", body=entry["articleBody"])
             for key, entry in sorted(truth.items())]
    for page in sorted((root / "readability").glob("*/expected.html")):
        text = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
        found.append(Article(id=f"rd-{page.parent.name}", title="", body=" ".join(text.split())))
    return found


def typo(word: str) -> str:
    middle = len(word) // 2
    return word[:middle - 1] + word[middle] + word[middle - 1] + word[middle + 1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    if not (args.shared / "corpora" / "html-pages").is_dir():
        print(f"skipped: no {args.shared}/corpora/html-pages")
        return
    from search.engine.opensearch.snowball import routed

    articles = pages(args.shared)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"opensearch://{args.url.removeprefix('http://')}/bench-languages"
        embedded, t_embedded = build(Path(tmp) / "index", articles)
        cluster, t_cluster = build(url, articles)
        stored = {a.id: embedded.get(a.id) for a in articles}
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        differing: list[str] = []
        started = time.perf_counter()
        for article in stored.values():
            code = article.language if article is not None else None  # (None: a duplicate)
            if code not in routed():
                continue
            row = counts[code]
            row[0] += 1
            words = dict.fromkeys(w for w in re.findall(r"\w+", article.body)
                                  if len(w) >= 4 and w.isalpha())
            for word in words:
                ours, theirs = matched(embedded, word), matched(cluster, word)
                row[1] += 1
                row[2] += ours == theirs
                if ours != theirs:
                    only = sorted({str(stored[i].language) for i in ours ^ theirs})
                    differing.append(f"{code} {word}: {len(ours)} / {len(theirs)} (those found "
                                     f"by one engine only: {', '.join(only)})")
                if len(word) >= 6:
                    wrong = typo(word)
                    mine = embedded.search(wrong, limit=0).suggestion
                    yours = cluster.search(wrong, limit=0).suggestion
                    row[3] += 1
                    row[4] += mine == yours
                    if mine != yours:
                        differing.append(f"{code} {wrong}: did you mean {mine!r} / {yours!r}")
        print(f"## Real non-English news on both engines ({len(articles)} pages, "
              f"{sum(r[0] for r in counts.values())} in a routed language; indexing "
              f"{t_embedded:.1f} s embedded, {t_cluster:.1f} s OpenSearch; queries "
              f"{time.perf_counter() - started:.0f} s)\n")
        print("| language | articles | word queries | same articles | typo queries "
              "| same suggestion |")
        print("|---|---:|---:|---:|---:|---:|")
        for code, (n, queries, same, typos, same_typos) in sorted(counts.items()):
            print(f"| {code} | {n} | {queries} | {same} ({same / queries:.1%}) | {typos} "
                  f"| {same_typos} ({same_typos / max(typos, 1):.1%}) |")
        if differing:
            print("\nwhere they differ (embedded / OpenSearch):\n"
                  + "\n".join(f"- {line}" for line in differing))
        cluster._client.indices.delete(index="bench-languages")
        embedded.close()
        cluster.close()


if __name__ == "__main__":
    main()
