"""Ranking quality on two classic test collections: CISI and Cranfield.

    python bench/bench_ranking.py [--shared PATH] [--collection cisi|cranfield] [--quick]
                                  [--latency]

Reads the collections from ``../shared/corpora`` (never copied into the repo),
indexes them through ``NewsIndex.add`` into temporary indexes (ids are the
collection's doc ids, title from ``.T``, authors from ``.A``, body from
``.W``), writes ``Q.tsv`` and TREC qrels to a temporary folder, and runs
:func:`search.query.evaluation.evaluate` on them. It prints MAP, P@10 and nDCG@10 for

* **stock Whoosh**, used the plain way: a ``StemmingAnalyzer`` title+body
  schema, ``BM25F()`` defaults, each query through ``MultifieldParser`` with
  an OR group;
* **SQLite FTS5 (porter)** and **bm25s**, the references
  (bench/references.py);
* **newssearch before the fix**: our index and analyzer, ranked by Whoosh's
  own ``BM25F`` (what ``searcher.WEIGHTING`` was), each query word OR-ed once
  per field with the fields' boosts (title 2.5);
* **query's per-field BM25**: the parser's per-field terms scored apart and
  summed, as ``query`` did before one ranking (today's parameters);
* **newssearch default**: ``eval``, which ranks as ``query --any`` does
  (``search.engine.whoosh.querying.ranked_query``; docs/ranking.md);

then (unless ``--quick``) one line per hypothesis about *why* Whoosh ranks
worse than plain BM25, each change measured alone against "before"; the fix
step by step; the parameter sweeps around the defaults (chosen by
bench/cv_ranking.py); and query latency on BBC News, one ranking against
the per-field scoring (also with ``--quick --latency``). About eight minutes
on two cores (``--quick``: three).

Collection quirks handled here (see each PROVENANCE.md):

* CISI: only 76 of the 112 queries have judgments (only those are
  evaluated); doc 321 has stray ``.K``/``.C`` sections, dropped like every
  field other than ``.T``/``.A``/``.W``; the 55 bibliographic queries have a
  ``.T``/``.A``/``.B`` too: their query text is ``.W`` alone, like the others.
* Cranfield: the qrels number queries 1..225 by their *position* in
  ``cran.qry`` (whose ``.I`` ids have gaps); grade -1 means not relevant and
  grades 1 (a complete answer) .. 4 (minimal interest) are relevant, written
  to the TREC qrels as gains 4 .. 1 so that nDCG rewards the better ones.

Both collections hold exact duplicates (CISI 234 = 1440 and 1084 = 1447,
Cranfield's empty 471 = 995); the indexer keeps one of each, as it does for
any news archive, so a judged duplicate (CISI 1440 for query 44, Cranfield 995
for query 125) cannot be retrieved by newssearch (stock Whoosh indexes all
documents). It moves MAP by less than 0.0002.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from math import log
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from whoosh import fields as wf, index as windex, qparser, query as wq, scoring  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402

from search import Article, NewsIndex  # noqa: E402
from search.engine.whoosh.querying import ranking  # noqa: E402
from search.text import query_words  # noqa: E402
from search.text.analysis import NewsAnalyzer  # noqa: E402
import references  # noqa: E402  (bench/references.py)
from search.engine.whoosh.querying.ranked_query import for_ranking  # noqa: E402
from search.engine.whoosh.schema import TEXT_FIELDS  # noqa: E402
from search.engine.whoosh.translate import to_whoosh  # noqa: E402
from search.query.evaluation import evaluate, measure, read_qrels, read_queries  # noqa: E402
from search.query.parser import parse  # noqa: E402

DEFAULT_SHARED = REPO.parent / "shared"

#: A SMART field marker: ``.I 12``, ``.T``, ``.W`` … on a line of its own.
MARKER = re.compile(r"^\.([A-Z])(?:\s+(\S.*?))?\s*$")


# --- reading the collections ---------------------------------------------------

def read_smart(path: Path) -> list[dict[str, list[str]]]:
    """Records of a SMART-format file: ``{"I": [id], "T": [lines], …}``.
    A field seen twice in a record (Cranfield 240, 576, 578) is continued."""
    records: list[dict[str, list[str]]] = []
    field = None
    for line in path.read_text(encoding="latin-1").splitlines():
        m = MARKER.match(line)
        if m and m.group(1) == "I":
            records.append({"I": [(m.group(2) or "").strip()]})
            field = None
        elif m:
            field = m.group(1)
            records[-1].setdefault(field, [])
        elif field and records:
            records[-1][field].append(line)
    return records


def _text(record: dict[str, list[str]], field: str) -> str:
    return " ".join(" ".join(record.get(field, [])).split())


def _articles(records) -> list[Article]:
    return [Article(id=str(int(r["I"][0])), title=_text(r, "T"), body=_text(r, "W"),
                    authors=[a.strip() for a in r.get("A", []) if a.strip()])
            for r in records]


class Collection:
    """A test collection as articles, query texts and TREC qrels lines."""

    def __init__(self, name: str, articles: list[Article], queries: dict[str, str],
                 qrels: list[tuple[str, str, int]]):
        self.name, self.articles, self.queries, self.qrels = name, articles, queries, qrels

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write ``Q.tsv`` and TREC qrels (``qid 0 docid rel``) into `folder`."""
        queries, qrels = folder / f"{self.name}.Q.tsv", folder / f"{self.name}.qrels"
        queries.write_text("".join(f"{q}\t{t}\n" for q, t in self.queries.items()),
                           encoding="utf-8")
        qrels.write_text("".join(f"{q} 0 {d} {r}\n" for q, d, r in self.qrels),
                         encoding="utf-8")
        return queries, qrels


def load_cisi(shared: Path = DEFAULT_SHARED) -> Collection:
    root = shared / "corpora" / "cisi"
    docs = _articles(read_smart(root / "CISI.ALL"))
    queries = {str(int(r["I"][0])): _text(r, "W") for r in read_smart(root / "CISI.QRY")}
    qrels = []
    for line in (root / "CISI.REL").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if parts:  # every listed pair is relevant
            qrels.append((str(int(parts[0])), str(int(parts[1])), 1))
    return Collection("cisi", docs, queries, qrels)


def load_cranfield(shared: Path = DEFAULT_SHARED) -> Collection:
    root = shared / "corpora" / "cranfield"
    docs = _articles(read_smart(root / "cran.all.1400"))
    # Queries are keyed by position (1..225), as the qrels number them.
    queries = {str(n): _text(r, "W")
               for n, r in enumerate(read_smart(root / "cran.qry"), start=1)}
    qrels = []
    for line in (root / "cranqrel").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if parts:
            grade = int(parts[2])
            gain = 5 - grade if 1 <= grade <= 4 else 0  # 1 best .. 4 least; -1 not relevant
            qrels.append((str(int(parts[0])), str(int(parts[1])), gain))
    return Collection("cranfield", docs, queries, qrels)


LOADERS = {"cisi": load_cisi, "cranfield": load_cranfield}


def available(shared: Path = DEFAULT_SHARED) -> bool:
    corpora = shared / "corpora"
    return (corpora / "cisi" / "CISI.ALL").is_file() and \
        (corpora / "cranfield" / "cran.all.1400").is_file()


# --- the engines ---------------------------------------------------------------------

DEPTH = 1000
#: What searcher.WEIGHTING was before the fix.
OLD_WEIGHTING = dict(B=0.75, K1=1.2, title_B=0.5)


def build_newssearch(collection: Collection, folder: Path) -> NewsIndex:
    ix = NewsIndex.create(folder / f"ns-{collection.name}")
    ix.add(collection.articles)
    return ix


def build_stock(collection: Collection, folder: Path):
    """Whoosh the way its documentation shows: StemmingAnalyzer title+body."""
    schema = wf.Schema(id=wf.ID(stored=True, unique=True),
                       title=wf.TEXT(analyzer=StemmingAnalyzer()),
                       body=wf.TEXT(analyzer=StemmingAnalyzer()))
    path = folder / f"stock-{collection.name}"
    path.mkdir()
    ix = windex.create_in(str(path), schema)
    writer = ix.writer()
    for article in collection.articles:
        writer.add_document(id=article.id, title=article.title, body=article.body)
    writer.commit()
    return ix


def rankings_of(searcher, queries: dict[str, str], make_query) -> dict:
    ids: dict[int, str] = {}
    return {qid: ranking.rank(searcher, make_query(text), DEPTH, ids)
            for qid, text in queries.items()}


def words(text: str, drop_stop: bool = False) -> list[str]:
    """The query's terms as our analyzer makes them, optionally without
    function words (as for_ranking drops them)."""
    pairs = [(t.text, query_words.is_query_stop_word(t.original))
             for t in NewsAnalyzer()(text, mode="query", keeporiginal=True)]
    terms = [term for term, _ in pairs]
    if drop_stop:
        terms = [term for term, stop in pairs if not stop] or terms
    return terms


def per_field_query(text: str, *, weights=TEXT_FIELDS, qf: bool = False,
                    drop_stop: bool = False, scale=None) -> wq.Query:
    """Free text the way Whoosh's OR group builds it: each word once, one Term
    per field with the field's boost, summed (optionally with the word's query
    frequency as a boost, without function words, or with coordination)."""
    counts = Counter(words(text, drop_stop))
    subs = [wq.Term(field, term, boost=weight * (n if qf else 1))
            for term, n in counts.items() for field, weight in weights.items()]
    return wq.Or(subs, scale=scale) if subs else wq.NullQuery


def bm25f_query(text: str) -> wq.Query:
    """True BM25F, each word once, function words kept."""
    terms = list(dict.fromkeys(words(text)))
    return wq.Or([ranking.BM25FTerm(t) for t in terms]) if terms else wq.NullQuery


class WhooshIdfBM25F(ranking.BM25F):
    """Our BM25F with Whoosh's idf, to measure the combination alone."""

    def term_idf(self, doc_count, doc_freq):
        return log(doc_count / (doc_freq + 1)) + 1


class ExactLengthBM25F(scoring.BM25F):
    """Whoosh's BM25F reading exact field lengths instead of its one-byte
    approximations (and averaging the exact lengths)."""

    def __init__(self, lengths: dict[str, list[int]], **kwargs):
        super().__init__(**kwargs)
        self.lengths = lengths

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if fieldname in self.lengths:
            lengths = self.lengths[fieldname]
            scorer.dfl = lengths.__getitem__
            scorer.avgfl = sum(lengths) / max(len(lengths), 1) or 1
            # Its block bounds come from the one-byte lengths: do not prune by them.
            scorer.supports_block_quality = lambda: False
        return scorer

    def supports_block_quality(self):
        return False


def exact_lengths(searcher) -> dict[str, list[int]]:
    """Every document's token count per text field, from the stored text
    analysed as the indexer does."""
    analyzer = NewsAnalyzer()
    lengths: dict[str, list[int]] = {f: [] for f in TEXT_FIELDS}
    for docnum in range(searcher.doc_count_all()):
        stored = searcher.stored_fields(docnum)
        for field in TEXT_FIELDS:
            lengths[field].append(sum(1 for _ in analyzer(stored.get(field) or "",
                                                          mode="index")))
    return lengths


# --- the run ---------------------------------------------------------------------------

class Bench:
    """One collection, indexed both ways, with its queries and judgments."""

    def __init__(self, collection: Collection, folder: Path):
        self.collection = collection
        self.queries_path, self.qrels_path = collection.write(folder)
        self.queries = read_queries(self.queries_path)
        self.qrels = read_qrels(self.qrels_path)
        self.judged = {q: t for q, t in self.queries.items()
                       if any(g > 0 for g in self.qrels.get(q, {}).values())}
        started = time.perf_counter()
        self.ix = build_newssearch(collection, folder)
        self.stock = build_stock(collection, folder)
        self.index_seconds = time.perf_counter() - started
        self._lengths = None

    def close(self) -> None:
        self.ix.close()
        self.stock.close()

    def score(self, rankings) -> tuple[float, float, float]:
        report = measure(self.judged, self.qrels, rankings, depth=DEPTH)
        return report.map, report.p_at_10, report.ndcg_at_10

    def ours(self, weighting, make_query) -> tuple[float, float, float]:
        """Our index, ranked by `weighting`, for queries built by `make_query`."""
        with self.ix._ix.searcher(weighting=weighting) as searcher:
            return self.score(rankings_of(searcher, self.judged, make_query))

    def stock_whoosh(self) -> tuple[float, float, float]:
        parser = qparser.MultifieldParser(["title", "body"], self.stock.schema,
                                          group=qparser.OrGroup)
        with self.stock.searcher(weighting=scoring.BM25F()) as searcher:
            return self.score(rankings_of(searcher, self.judged, parser.parse))

    def before(self) -> tuple[float, float, float]:
        return self.ours(scoring.BM25F(**OLD_WEIGHTING), per_field_query)

    def default(self) -> tuple[float, float, float]:
        report = evaluate(self.ix, self.queries, self.qrels_path, depth=DEPTH)
        return report.map, report.p_at_10, report.ndcg_at_10

    def per_field_path(self) -> tuple[float, float, float]:
        """`query --any` before one ranking: the parser's per-field terms,
        each scored with BM25 and summed (title boost 2.5)."""
        return self.ours(ranking.BM25F(), lambda text: to_whoosh(parse(text, any_term=True).tree))

    def fts5(self) -> tuple[float, float, float]:
        return self.score(references.fts5(self.collection.articles, self.judged, DEPTH))

    def bm25s(self) -> tuple[float, float, float]:
        return self.score(references.bm25s_rankings(self.collection.articles, self.judged,
                                                    DEPTH))

    def lengths(self):
        if self._lengths is None:
            with self.ix._ix.searcher() as searcher:
                self._lengths = exact_lengths(searcher)
        return self._lengths


#: The main table's rows: (label, method); bm25s only when installed.
ENGINES = [
    ("stock Whoosh", Bench.stock_whoosh),
    ("SQLite FTS5 (porter)", Bench.fts5),
    ("bm25s (Lucene BM25, stemmed)", Bench.bm25s if references.bm25s_available() else None),
    ("newssearch before the fix", Bench.before),
    ("query's per-field BM25 (before one ranking)", Bench.per_field_path),
    ("newssearch default (eval = query --any)", Bench.default),
]


def per_field(**kw):
    return lambda text: per_field_query(text, **kw)


def free(text: str) -> wq.Query:
    """The query `newssearch query --any TEXT` ranks by (and eval runs)."""
    parsed = parse(text, any_term=True)
    return for_ranking(to_whoosh(parsed.tree), parsed.text)


OLD_B = dict(b=0.75, field_b={"title": 0.5})

#: Each change alone, from "before" (Whoosh BM25F over title+body summed,
#: each query word once, function words kept).
HYPOTHESES = [
    ("idf: Lucene's log(1+(N-df+.5)/(df+.5)), not log(N/(df+1))+1",
     lambda b: b.ours(ranking.BM25F(k1=1.2, **OLD_B), per_field_query)),
    ("exact field lengths, not Whoosh's one-byte ones",
     lambda b: b.ours(ExactLengthBM25F(b.lengths(), **OLD_WEIGHTING), per_field_query)),
    ("a word repeated in the query counts each time (qf)",
     lambda b: b.ours(scoring.BM25F(**OLD_WEIGHTING), per_field(qf=True))),
    ("function words dropped from the query",
     lambda b: b.ours(scoring.BM25F(**OLD_WEIGHTING), per_field(drop_stop=True))),
    ("true BM25F: fields combined, then saturated once",
     lambda b: b.ours(WhooshIdfBM25F(k1=1.2, **OLD_B), bm25f_query)),
    ("title boost 1 instead of 2.5 (fields still summed)",
     lambda b: b.ours(scoring.BM25F(**OLD_WEIGHTING),
                      per_field(weights={"title": 1.0, "body": 1.0}))),
    ("Whoosh's coordination bonus (Or scale 0.9)",
     lambda b: b.ours(scoring.BM25F(**OLD_WEIGHTING), per_field(scale=0.9))),
    ("K1 2.0, B 0.75 for the title too",
     lambda b: b.ours(scoring.BM25F(K1=2.0, B=0.75), per_field_query)),
]

#: The fix, one step at a time.
STEPS = [
    ("+ Lucene idf", lambda b: b.ours(ranking.BM25F(k1=1.2, **OLD_B), per_field_query)),
    ("+ query-term frequency", lambda b: b.ours(ranking.BM25F(k1=1.2, **OLD_B),
                                                per_field(qf=True))),
    ("+ function words dropped", lambda b: b.ours(ranking.BM25F(k1=1.2, **OLD_B),
                                                  per_field(qf=True, drop_stop=True))),
    ("+ true BM25F (= query --any)", lambda b: b.ours(ranking.BM25F(k1=1.2, **OLD_B), free)),
    ("+ K1 2.0, title B 0.75 (= default)", lambda b: b.ours(ranking.BM25F(), free)),
]


def sweeps():
    """(label, weighting) around the defaults, with query --any queries."""
    for k1 in (1.2, 1.5, 2.0, 3.0):
        for b in (0.5, 0.75, 0.9):
            yield f"K1 {k1}, B {b}", ranking.BM25F(k1=k1, b=b)
    for title in (1.0, 1.5, 4.0):
        yield f"title weight {title} (default {TEXT_FIELDS['title']})", \
            ranking.BM25F(weights={"title": title, "body": 1.0})


# --- query latency -----------------------------------------------------------------

LATENCY_QUERIES = 100


def latency(shared: Path, folder: Path) -> None:
    """Median and p95 ms of ``NewsIndex.search`` (top 10, snippets) on BBC
    News, with one ranking and with the per-field scoring it replaced (the
    same index and queries; ``execute.for_ranking`` swapped out): two-word
    AND queries and --any queries made of article titles."""
    import random
    import statistics

    from search.engine.whoosh.querying import execute as searching

    corpus = shared / "corpora" / "bbc"
    if not corpus.is_dir():
        print(f"- latency: {corpus} not found, skipped\n")
        return
    ix = NewsIndex.create(folder / "latency-bbc")
    ix.index_paths([corpus])
    rng = random.Random(42)
    with ix._searching() as searcher:
        titles = [searcher.stored_fields(d).get("title") or "" for d in
                  rng.sample(range(searcher.doc_count_all()), LATENCY_QUERIES)]
    words = [w for t in titles for w in re.findall(r"[A-Za-z]{4,}", t)]
    kinds = {"two words, all required": [(f"{rng.choice(words)} {rng.choice(words)}", False)
                                         for _ in range(LATENCY_QUERIES)],
             "a title, any word (--any)": [(t, True) for t in titles if t.strip()]}
    one = searching.for_ranking
    rows = []
    for kind, queries in kinds.items():
        for label, rewrite in (("per-field BM25 (before)", lambda q, text: q),
                               ("one ranking (BM25F)", one)):
            searching.for_ranking = rewrite
            times = []
            for _ in range(2):  # the first round warms caches
                times = []
                for text, any_term in queries:
                    started = time.perf_counter()
                    ix.search(text, any_term=any_term, limit=10)
                    times.append((time.perf_counter() - started) * 1000)
            searching.for_ranking = one
            times.sort()
            rows.append([kind, label, f"{statistics.median(times):.1f}",
                         f"{times[int(len(times) * 0.95) - 1]:.1f}"])
    ix.close()
    print(f"Query latency on BBC News ({LATENCY_QUERIES} queries of each kind, top 10 with "
          f"snippets, ms):\n")
    table(("queries", "ranking", "p50", "p95"), rows)


# --- output ----------------------------------------------------------------------------

def table(header, rows) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def figures(m: tuple[float, float, float]) -> list[str]:
    return [f"{m[0]:.4f}", f"{m[1]:.4f}", f"{m[2]:.4f}"]


def delta(m, base) -> str:
    return f"{m[0]:.4f} ({m[0] - base[0]:+.4f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help=f"the shared folder holding corpora/ (default: {DEFAULT_SHARED})")
    ap.add_argument("--collection", choices=sorted(LOADERS), action="append",
                    help="only this collection (repeatable; default: both)")
    ap.add_argument("--quick", action="store_true",
                    help="the main table only: no hypotheses, steps, sweeps or latency")
    ap.add_argument("--latency", action="store_true", help="with --quick: the latency table too")
    args = ap.parse_args()
    names = args.collection or ["cisi", "cranfield"]
    missing = [n for n in names if not (args.shared / "corpora" / n).is_dir()]
    if missing:
        print(f"bench_ranking: error: {', '.join(missing)} not found under "
              f"{args.shared}/corpora (pass --shared PATH)", file=sys.stderr)
        return 2

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-ranking-") as tmp:
        benches = {}
        for name in names:
            print(f"indexing {name} …", file=sys.stderr)
            benches[name] = Bench(LOADERS[name](args.shared), Path(tmp))
        main_rows, results = [], {}
        for name, bench in benches.items():
            print(f"ranking {name} …", file=sys.stderr)
            for label, run in ENGINES:
                if run is None:
                    continue
                results[name, label] = run(bench)
                main_rows.append([name, label, *figures(results[name, label])])
        table(("collection", "engine", "MAP", "P@10", "nDCG@10"), main_rows)
        for name, bench in benches.items():
            c = bench.collection
            print(f"- {name}: {len(c.articles):,} documents ({len(bench.ix):,} indexed), "
                  f"{len(bench.judged)} judged queries of {len(c.queries)}, depth {DEPTH}, "
                  f"indexed both ways in {bench.index_seconds:.1f} s")
        print()

        if not args.quick:
            hyp_rows = []
            for label, run in HYPOTHESES:
                print(f"hypothesis: {label} …", file=sys.stderr)
                hyp_rows.append([label] + [delta(run(b), results[n, "newssearch before the fix"])
                                           for n, b in benches.items()])
            print("Each change alone, from \"newssearch before the fix\" (MAP, change):\n")
            table(("hypothesis", *names), hyp_rows)

            step_rows, previous = [], {n: results[n, "newssearch before the fix"]
                                       for n in names}
            for label, run in STEPS:
                print(f"step: {label} …", file=sys.stderr)
                row = [label]
                for n, b in benches.items():
                    m = run(b)
                    row.append(delta(m, previous[n]))
                    previous[n] = m
                step_rows.append(row)
            print("The fix step by step (MAP, change from the line above):\n")
            table(("step", *names), step_rows)

            sweep_rows = []
            for label, weighting in sweeps():
                print(f"sweep: {label} …", file=sys.stderr)
                sweep_rows.append([label] + [f"{b.ours(weighting, free)[0]:.4f}"
                                             for b in benches.values()])
            print("Parameter sweeps around the defaults (free-text queries, MAP):\n")
            table(("setting", *names), sweep_rows)

        for bench in benches.values():
            bench.close()
        if not args.quick or args.latency:
            latency(args.shared, Path(tmp))
    print(f"- total {time.perf_counter() - started:.0f} s; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
