"""Reference rankers for bench/bench_ranking.py: what newssearch is compared with.

* **SQLite FTS5 (porter)**: the stdlib's sqlite3, a ``title, body`` table
  tokenised ``porter unicode61``, each query's words OR-ed (quoted, so no
  word is read as an operator), ranked by FTS5's ``bm25()`` with its
  defaults (k1 1.2, b 0.75, both columns weight 1).
* **bm25s**: the bm25s package as its README shows it (Lucene BM25, k1 1.5,
  b 0.75), with English stop words and the Snowball stemmer (PyStemmer),
  over title and body as one text. Optional: left out when not installed
  (``pip install bm25s``).

Each returns {qid: [(doc id, score), …] best first} down to `depth`.
"""

from __future__ import annotations

import re
import sqlite3

_WORD = re.compile(r"\w+")


def fts5(articles, queries: dict[str, str], depth: int) -> dict[str, list[tuple[str, float]]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
               "tokenize = 'porter unicode61')")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?)",
                   [(a.id, a.title or "", a.body or "") for a in articles])
    rankings = {}
    for qid, text in queries.items():
        words = _WORD.findall(text.lower())
        if not words:
            rankings[qid] = []
            continue
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute("SELECT id, bm25(docs) FROM docs WHERE docs MATCH ? "
                          "ORDER BY bm25(docs) LIMIT ?", (match, depth)).fetchall()
        rankings[qid] = [(docid, -score) for docid, score in rows]  # bm25() is negated
    db.close()
    return rankings


def bm25s_available() -> bool:
    try:
        import bm25s  # noqa: F401
        import Stemmer  # noqa: F401
    except ImportError:
        return False
    return True


def bm25s_rankings(articles, queries: dict[str, str],
                   depth: int) -> dict[str, list[tuple[str, float]]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = [a.id for a in articles]
    corpus = [f"{a.title or ''}\n{a.body or ''}" for a in articles]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer,
                                   show_progress=False), show_progress=False)
    rankings = {}
    for qid, text in queries.items():
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.ids or not tokens.ids[0]:
            rankings[qid] = []
            continue
        k = min(depth, len(ids))
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        rankings[qid] = [(ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
    return rankings
