"""Choosing the ranking's parameters by cross-validation on CISI, Cranfield and news.

    python bench/cv_ranking.py [--shared PATH] [--folds 5]

Every setting in :func:`grid` ranks every judged query of three collections
(CISI, Cranfield, and Reuters-21578 topic names as news queries: see
bench/news_topics.py)
through the search path (``parse(text, any_term=True)`` → ``for_ranking``,
as ``newssearch eval`` and ``query --any`` do) and keeps each query's
average precision. From that table it prints, per setting, MAP on each
collection, and two cross-validated figures that say how well *choosing*
the setting generalises:

* **leave one collection out**: pick the best setting on two collections,
  measure it on the third (mean over the three);
* **k-fold over queries**: split each collection's queries into k folds;
  pick the setting with the best mean of the collections' MAPs on the
  other folds, measure it on the held-out fold (mean over folds).

Parameters are then fixed to the setting most often chosen. About ten
minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_ranking import DEFAULT_SHARED, DEPTH, LOADERS, table  # noqa: E402
from news_topics import reuters_topics  # noqa: E402
from search import NewsIndex  # noqa: E402
from search.engine.whoosh.querying import ranking
from search.engine.whoosh.querying.ranked_query import for_ranking  # noqa: E402
from search.engine.whoosh.translate import to_whoosh  # noqa: E402
from search.query.evaluation import measure, read_qrels, read_queries  # noqa: E402
from search.query.parser import parse  # noqa: E402


#: The setting of search.engine.whoosh.querying.ranking's defaults, as grid() names it.
DEFAULT_LABEL = f"k1 {ranking.K1}, b {ranking.B}, title weight {ranking.FIELD_WEIGHTS['title']}"


def grid():
    """(label, BM25F weighting, for_ranking options) to compare: the sweep,
    the defaults (if the sweep does not have them), and each of
    for_ranking's choices turned off."""
    settings = list(_sweep())
    yield from settings
    if not any(label == DEFAULT_LABEL for label, _, _ in settings):
        yield DEFAULT_LABEL, ranking.BM25F(), {}
    for option in ("query_frequency", "drop_function_words", "compounds_as_words"):
        yield f"default without {option}", ranking.BM25F(), {option: False}


def _sweep():
    for k1, b, title in itertools.product((1.2, 2.0, 3.0, 4.0), (0.3, 0.5, 0.75),
                                          (1.5, 2.5, 4.0)):
        yield (f"k1 {k1}, b {b}, title weight {title}",
               ranking.BM25F(k1=k1, b=b, weights={"title": title, "body": 1.0}), {})


class Collection:
    """A collection indexed once, its judged queries parsed once."""

    def __init__(self, name: str, shared: Path, folder: Path):
        self.name = name
        if name == "reuters-topics":
            self.ix, _, queries, self.qrels = reuters_topics(shared, folder)
        else:
            c = LOADERS[name](shared)
            queries_path, qrels_path = c.write(folder)
            self.qrels = read_qrels(qrels_path)
            queries = read_queries(queries_path)
            self.ix = NewsIndex.create(folder / name)
            self.ix.add(c.articles)
        self.judged = {q: t for q, t in queries.items()
                       if any(g > 0 for g in self.qrels.get(q, {}).values())}
        self.parsed = {q: parse(t, any_term=True) for q, t in self.judged.items()}
        self.ids: dict[int, str] = {}  # document number → id, across settings

    def average_precision(self, weighting, options) -> dict[str, float]:
        """qid → AP of every judged query, ranked with `weighting`."""
        with self.ix._ix.searcher(weighting=weighting) as searcher:
            rankings = {q: ranking.rank(searcher, for_ranking(to_whoosh(p.tree), p.text, **options),
                                        DEPTH, self.ids) for q, p in self.parsed.items()}
        report = measure(self.judged, self.qrels, rankings, depth=DEPTH)
        return {q: scores["map"] for q, scores in report.per_query.items()}


def mean(values) -> float:
    values = list(values)
    return sum(values) / max(len(values), 1)


def leave_one_out(ap, labels, names) -> tuple[float, list[str]]:
    """Best setting on the other collections (mean of their MAPs), measured
    on the one left out; mean over the collections left out."""
    figures, notes = [], []
    for test in names:
        train = [n for n in names if n != test]
        best = max(labels, key=lambda s: mean(mean(ap[s][n].values()) for n in train))
        figures.append(mean(ap[best][test].values()))
        notes.append(f"{test} {figures[-1]:.4f} with {best}")
    return mean(figures), notes


def k_fold(ap, labels, names, folds: int, seed: int = 7) -> tuple[float, dict[str, int]]:
    """Mean held-out MAP (per collection, then averaged) over `folds` folds;
    and how often each setting was chosen."""
    rng = random.Random(seed)
    fold_of = {}
    for name in names:
        qids = sorted(ap[labels[0]][name])
        rng.shuffle(qids)
        fold_of.update({(name, q): i % folds for i, q in enumerate(qids)})
    held_out, chosen = [], {}
    for k in range(folds):
        def score(s, keep):
            return mean(mean(v for q, v in ap[s][n].items() if keep(fold_of[n, q]))
                        for n in names)
        best = max(labels, key=lambda s: score(s, lambda f: f != k))
        chosen[best] = chosen.get(best, 0) + 1
        held_out.append(score(best, lambda f: f == k))
    return mean(held_out), chosen


def main() -> int:
    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap_.add_argument("--folds", type=int, default=5)
    ap_.add_argument("--save", type=Path, help="also write every query's AP per setting (JSON)")
    args = ap_.parse_args()
    names = ["cisi", "cranfield", "reuters-topics"]
    if not all((args.shared / "corpora" / n).is_dir() for n in ("cisi", "cranfield",
                                                                "reuters21578")):
        print(f"cv_ranking: error: cisi, cranfield and reuters21578 not found under "
              f"{args.shared}/corpora", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cv-ranking-") as tmp:
        collections = {n: Collection(n, args.shared, Path(tmp)) for n in names}
        ap: dict[str, dict[str, dict[str, float]]] = {}
        for label, weighting, options in grid():
            print(f"{label} …", file=sys.stderr)
            ap[label] = {n: c.average_precision(weighting, options)
                         for n, c in collections.items()}
        for c in collections.values():
            c.ix.close()
    if args.save:
        args.save.write_text(json.dumps(ap), encoding="utf-8")
    labels = list(ap)
    rows = sorted(([label, *(f"{mean(ap[label][n].values()):.4f}" for n in names),
                    f"{mean(mean(ap[label][n].values()) for n in names):.4f}"]
                   for label in labels), key=lambda r: -float(r[-1]))
    print("MAP per setting, best first (top 15):\n")
    table(("setting", *names, "mean"), rows[:15])
    cv, chosen = k_fold(ap, labels, names, args.folds)
    loo, notes = leave_one_out(ap, labels, names)
    print(f"- leave one collection out: {loo:.4f} MAP ({'; '.join(notes)})")
    print(f"- {args.folds}-fold over queries: {cv:.4f} MAP; chosen: "
          + "; ".join(f"{s} ×{n}" for s, n in sorted(chosen.items(), key=lambda x: -x[1])))
    default = DEFAULT_LABEL
    print(f"- current default ({default}): "
          + ", ".join(f"{n} {mean(ap[default][n].values()):.4f}" for n in names))
    print(f"- total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
