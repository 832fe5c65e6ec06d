"""A news check of the ranking's parameters: Reuters-21578 topics as queries.

    python bench/news_topics.py [--shared PATH] [--min-docs 20]

CISI and Cranfield (bench/cv_ranking.py) are abstracts with long requests;
news is long articles and short queries, where term-frequency saturation
(k1) and length normalisation (b) matter differently. Reuters-21578 labels
its stories with topics, and ``cat-descriptions_120396.txt`` names each
(``Crude Oil (CRUDE)``): each name is a query (through ``query --any``'s
path), and the stories labelled with its topic are the relevant ones (topics
with at least ``--min-docs`` stories). A rough test collection (a label is
not a relevance judgment), but news text with short queries: the third
collection of bench/cv_ranking.py's cross-validation. This script prints a
small sweep and SQLite FTS5 and bm25s on the same queries for reference.
About three minutes.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import references  # noqa: E402
from bench_ranking import DEFAULT_SHARED, DEPTH, table  # noqa: E402
from search import Article, NewsIndex  # noqa: E402
from search.engine.whoosh.querying import execute, ranking  # noqa: E402
from search.query.evaluation import measure, ranked  # noqa: E402

_NAMED = re.compile(r"^(.+?) \(([A-Z0-9-]+)\)\s*$")


def topic_names(corpus: Path) -> dict[str, str]:
    text = (corpus / "cat-descriptions_120396.txt").read_text(encoding="latin-1")
    names = {}
    for line in text.splitlines():
        m = _NAMED.match(line.strip())
        if m:
            names[m.group(2).lower()] = m.group(1).replace("/", " ")
    return names


def reuters_topics(shared: Path, folder: Path, min_docs: int = 20):
    """Reuters-21578 indexed into `folder`, its articles, topic-name queries
    ({topic: name}) and qrels ({topic: {story id: 1}})."""
    corpus = shared / "corpora" / "reuters21578"
    names = topic_names(corpus)
    ix = NewsIndex.create(folder / "reuters")
    ix.index_paths([corpus])
    articles, qrels = [], {}
    with ix._searching() as searcher:
        for docnum in range(searcher.doc_count_all()):
            stored = searcher.stored_fields(docnum)
            articles.append(Article(id=stored["id"], title=stored.get("title") or "",
                                    body=stored.get("body") or ""))
            for topic in stored.get("topics") or []:
                qrels.setdefault(topic.lower(), {})[stored["id"]] = 1
    queries = {t: names[t] for t, docs in sorted(qrels.items())
               if t in names and len(docs) >= min_docs}
    return ix, articles, queries, qrels


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--min-docs", type=int, default=20)
    args = ap.parse_args()
    corpus = args.shared / "corpora" / "reuters21578"
    if not corpus.is_dir():
        print(f"news_topics: error: {corpus} not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="news-topics-") as tmp:
        ix, articles, queries, qrels = reuters_topics(args.shared, Path(tmp), args.min_docs)
        rows = []
        for label, rankings in (("SQLite FTS5 (porter)", references.fts5(articles, queries, DEPTH)),
                                ("bm25s", references.bm25s_rankings(articles, queries, DEPTH)
                                 if references.bm25s_available() else None)):
            if rankings is not None:
                rows.append([label, f"{measure(queries, qrels, rankings).map:.4f}"])
        settings = [(f"newssearch default (k1 {ranking.K1}, b {ranking.B}, title weight "
                     f"{ranking.FIELD_WEIGHTS['title']})", ranking.BM25F())]
        settings += [(f"newssearch k1 {k1}, b {b}, title weight {title}",
                      ranking.BM25F(k1=k1, b=b, weights={"title": title, "body": 1.0}))
                     for k1, b, title in itertools.product((1.2, 2.0, 3.0), (0.3, 0.75),
                                                           (1.0, 2.5))]
        for label, weighting in settings:
            with ix._ix.searcher(weighting=weighting) as searcher:
                ids: dict = {}
                parsed = {q: ranked(q, text) for q, text in queries.items()}
                rankings = {q: execute.rank(searcher, p.tree, p.text, DEPTH, ids)
                            for q, p in parsed.items()}
            rows.append([label, f"{measure(queries, qrels, rankings).map:.4f}"])
        ix.close()
    print(f"Reuters-21578: {len(articles):,} stories, {len(queries)} topic names as queries "
          f"(topics with >= {args.min_docs} stories), MAP at depth {DEPTH}:\n")
    table(("ranking", "MAP"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
