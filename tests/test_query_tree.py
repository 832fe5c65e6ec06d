"""The engine-neutral query tree (search/query/tree.py): read off every kind
of query the parser produces and written back as the very same Whoosh query
(and the same hits on a real index); its shape for a few queries; the
OpenSearch Query DSL of representative trees; and the tree module free of
Whoosh."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from whoosh import query as wq

from search import Article, NewsIndex
from search.engine.opensearch import dsl
from search.engine.opensearch.dsl import to_dsl
from search.engine.whoosh import syntax
from search.engine.whoosh.datecolumn import PublishedRange
from search.engine.whoosh.querying.patterns import on_words
from search.engine.whoosh.schema import TEXT_FIELDS
from search.engine.whoosh.translate import from_whoosh, to_whoosh
from search.errors import QueryError
from search.query import tree as t
from search.query.parser import keyword_filter, parse
from search.text.analysis import normalize_keyword

from .test_fuzz_queries import soup

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(timezone.utc)

#: Queries of every kind, from tests/test_query*.py, tests/test_phrases.py,
#: tests/test_fuzz_queries.py and docs/query-language.md, plus edge cases.
QUERIES = [
    # words, boolean operators, grouping
    "oil prices", "Patriot Idlib", "Turkey Russia", "oil OR gas", "oil AND NOT gas",
    "(oil OR gas) AND opec", "oil && gas", "oil || gas", "missile || economy", "!gas",
    "oil !gas", "Idlib NOT Russia", "Idlib AND NOT Russia",
    "(missile OR economy) AND Syrian", "Idlib AND (Turkey OR Russia) NOT Moscow",
    "(a OR b) AND (c OR d)", "a AND (b OR (c AND NOT d))", "-(oil gas)",
    # + and -, exclusions only
    "+oil -gas", "+Idlib -Russia", "-blair", "NOT blair", "-blair -brown", "+oil gas",
    "oil +gas", "+oil +gas -brent", "oil -gas +opec prices", "Russia -Moscow",
    "Turkey Russia -Moscow +Idlib",
    # phrases, slop
    '"prime minister"', '"turkey russia"~5', '"turkey russia"~3', '"company would"~2',
    '"company said"~3', '"the company said"', '"said the company" OR "oil prices"',
    '"joint patrols"', '"patrols joint"', '"Patriot missile systems"', '"S-400 missiles"',
    '"joint patrols"^2', '"company said"^3 prices', 'prices -"company said"',
    'body:"oil prices"~100', '"oil prices"~2 source:Reuters',
    # fields and aliases
    "title:opec", 'source:"Iran Press"', "places:brazil", "title:(economy OR missile)",
    'title:"Russia warns"', 'title:"oil prices"', "author:Doe", 'author:"jane doe"',
    "tags:economy", "source:afp", "lang:fr", "headline:opec", "id:wire-1", "cluster:3",
    'url:"https://example.com/wire-1"', "source:reuters OR source:afp",
    "section:world -tags:sport", "topics:crude places:usa", "title:(-Idlib)",
    # wildcards, prefixes, fuzzy words
    "m?nister", "*companies", "minist*", "missil*", "s?rian", "*a*", "body:m?nist*",
    "source:reu*", "id:wire*", "goverment~1", "minster~", "Idlb~1", "idlib~2",
    "title:idlib~2", "idlib~99", "idlib~2 patriot*", "ka*~", "source:afp~1",
    # boosts
    "title:opec^3", "title:idlib^3 Russia", "Turkey OR Syrian^5", "Turkey OR Syrian^0.1",
    "(oil OR gas)^2", '"joint patrols"^2 source:afp^3', "title:(oil^2 gas)",
    # dates, relative dates, ranges
    "published:1987-03", "published:[1987-03 TO 1987-04]", "published:>=1987-06",
    "published:[now-30d TO now]", "published:[now-7d TO now]", "published:>=now-60d",
    "published:<2020", "published:{2019 TO 2021}", "date:2020", "published:2020-02-27",
    "ceasefire AND published:2020", "published:[2020 TO 2021] Idlib",
    "published:[1988 TO 1987]", "title:[a TO c]", "body:{a TO m}", "title:[a TO]",
    # everything, nothing
    "", "*", "title:*", "Idlib *", "source:*", "published:*",
    # words that are compounds, acronyms, unicode
    "S-400", "YPG/PKK", "al-Sham", "U.S.", "U.S. trade deficit", "J.K. Rowling",
    "Élysée", "Präsident", "Straße", "İstanbul", "👍🏽 Idlib", "ǅ e\u0301",
    # lenient repairs
    "oil^abc", "blair AND", '"unclosed', 'Idlib "patrols', "Syria: Idlib", "NOT NOT a",
    "Patriot (Idlib", "Idlib)", "the", "a an the",
]

assert len(QUERIES) >= 80


def story(id_, title, body, published=None, **kw):
    return Article(id=id_, title=title, body=body, published=published, **kw)


ARTICLES = [
    story("oil", "Oil prices rise as OPEC cuts output",
          "Oil prices rose after OPEC ministers agreed to cut output; gas followed.",
          datetime(1987, 3, 12, tzinfo=timezone.utc), source="Reuters", section="Markets",
          topics=["crude"], places=["usa"], tags=["Economy"], authors=["Jane Doe"]),
    story("gas", "Gas prices fall in Brazil",
          "Gas prices fell, the company said on monday it would cut prices again.",
          datetime(1987, 6, 2, tzinfo=timezone.utc), source="AFP", section="World",
          places=["brazil"], authors=["John Roe"]),
    story("pm", "Prime minister Blair meets Brown",
          "The prime minister said the government would not raise taxes. Brown agreed.",
          datetime(2019, 12, 30, tzinfo=timezone.utc), source="BBC", section="Politics"),
    story("idlib", "Turkey and Russia agree on Idlib patrols",
          "Turkey and Russia agreed on joint patrols in Idlib. Syrian refugees wait. "
          "Moscow said Patriot missile systems were not discussed.",
          NOW - timedelta(days=2), source="Reuters", section="World", tags=["Syria"],
          url="https://example.com/wire-1", language="en"),
    story("s400", "Turkey tests the S-400",
          "The S-400 missiles were tested; the YPG/PKK and al-Sham were mentioned. "
          "U.S. officials objected to the trade deficit.",
          NOW - timedelta(days=40), source="Iran Press", section="World", tags=["Defence"]),
    story("elysee", "Élysée comments on Idlib",
          "The Élysée said the Präsident in Straße talks in İstanbul was worried. "
          "J.K. Rowling wrote nothing.", datetime(2020, 2, 27, 15, 1, tzinfo=timezone.utc),
          source="AFP", section="Europe", language="fr"),
    story("companies", "Companies and ministers",
          "Many companies said the minister and the goverment disagreed about economy.",
          datetime(2021, 5, 5, tzinfo=timezone.utc), source="Bloomberg", section="Markets",
          tags=["Economy"]),
    story("undated", "A ceasefire holds",
          "The ceasefire held in Idlib for a second day; Syrian monitors said so.",
          source="Reuters", section="World"),
]

#: Attributes that say where a node was typed, not what it searches.
POSITIONS = {"startchar", "endchar", "char_ranges", "error"}


def shape(q: wq.Query):
    """Everything a Whoosh query searches with, recursively: stricter than
    Whoosh's ==, which ignores e.g. a Not's boost and an Or's minmatch."""
    attrs = {name: value for name, value in vars(q).items() if name not in POSITIONS}
    for name, value in attrs.items():
        if isinstance(value, wq.Query):
            attrs[name] = shape(value)
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], wq.Query):
            attrs[name] = [shape(v) for v in value]
    return type(q), sorted(attrs.items(), key=lambda item: item[0])


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    path = tmp_path_factory.mktemp("tree") / "ix"
    with NewsIndex.create(path) as ix:
        ix.add(ARTICLES)
    with NewsIndex.open(path) as ix, ix._searching() as s:
        yield s


def hits(searcher, q: wq.Query) -> list[tuple[str, float]]:
    return [(hit["id"], hit.score) for hit in searcher.search(q, limit=None)]


def parsed(text: str, **kw) -> wq.Query:
    """What the grammar (Whoosh's qparser, engine/whoosh/syntax.py) makes
    of `text` before it becomes a tree, its patterns on the unstemmed words
    (as searches ran it before the tree)."""
    q, _ = syntax.to_query(text, **kw)
    return wq.NullQuery if q is None else on_words(q)


# --- round trips ----------------------------------------------------------------

@pytest.mark.parametrize("any_term", [False, True])
@pytest.mark.parametrize("text", QUERIES)
def test_the_tree_writes_back_the_same_whoosh_query(text, any_term):
    q = parsed(text, any_term=any_term)
    back = to_whoosh(from_whoosh(q))
    assert back == q
    assert shape(back) == shape(q)


@pytest.mark.parametrize("text", ["Präsident Straße", '"Patriot missile systems" -Russia',
                                  "minist* Idlib NOT Moscow", "Bundesregierung OR Idlib"])
def test_queries_analysed_in_several_languages_round_trip(text):
    for language in ("de", "fr"):
        q = parsed(text, language=language)
        assert shape(to_whoosh(from_whoosh(q))) == shape(q)
    # The analyses are merged as trees: the merged tree reads back the same.
    tree = parse(text, languages=("en", "de", "fr")).tree
    assert from_whoosh(to_whoosh(tree)) == tree


def test_the_round_trip_finds_the_same_articles(searcher):
    found = 0
    for text in QUERIES:
        q = parsed(text)
        expected = hits(searcher, q)
        assert hits(searcher, to_whoosh(from_whoosh(q))) == expected, text
        found += bool(expected)
    # The articles are written for these queries: most must find something,
    # or the comparison above proves little.
    assert found >= 0.7 * len(QUERIES), found


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(soup)
def test_fuzzed_query_text_round_trips(text):
    try:
        q = parsed(text)
    except QueryError:  # an unknown field, a too-long query in strict terms
        return
    assert shape(to_whoosh(from_whoosh(q))) == shape(q)


def test_parsed_query_offers_its_tree():
    assert parse("title:opec^3").tree == t.Term("title", "opec", boost=3.0)


# --- the tree's shape -----------------------------------------------------------

def either_field(kind, *args, **kw) -> t.Or:
    """A word searched in title and body, each with its weight."""
    return t.Or(tuple(kind(name, *args, boost=boost, **kw) for name, boost in TEXT_FIELDS.items()))


@pytest.mark.parametrize("text, expected", [
    ('"oil prices"~2 source:Reuters',
     t.And((either_field(t.Phrase, ("oil", "price"), slop=2), t.Term("source", "reuters")))),
    ("+oil -gas", t.AndNot(either_field(t.Term, "oil"), either_field(t.Term, "gas"))),
    ("+oil gas", t.AndMaybe(either_field(t.Term, "oil"), either_field(t.Term, "gas"))),
    ("-blair -brown", t.Not(t.Or(either_field(t.Term, "blair").children
                                 + either_field(t.Term, "brown").children))),
    ("m?nister", either_field(t.Wildcard, "m?nister")),
    ("title:minist*^2", t.Prefix("title", "minist", boost=2.0)),
    ("goverment~3", either_field(t.Fuzzy, "goverment", maxdist=2)),
    ("source:reu*", t.Prefix("source", "reu")),
    ("published:[2020-01 TO 2020-03]",
     t.DateRange(datetime(2020, 1, 1), datetime(2020, 3, 31, 23, 59, 59, 999999))),
    ("published:>=1987-06", t.DateRange(datetime(1987, 6, 1), None)),
    ("title:[a TO c]", t.Range("title", "a", "c")),
    ("body:{a TO m}", t.Range("body", "a", "m", start_inclusive=False, end_inclusive=False)),
    ("(oil OR gas)^2", t.Or(either_field(t.Term, "oil").children
                            + either_field(t.Term, "gas").children, boost=2.0)),
    ("*", t.MatchAll()),
    ("source:*", t.Exists("source")),
    ("published:*", t.NullQuery()),
])
def test_the_tree_of_a_query(text, expected):
    assert parse(text).tree == expected


def test_a_relative_date_is_a_moment_in_the_tree():
    node = parse("published:[now-7d TO now]").tree
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert isinstance(node, t.DateRange)
    assert abs(node.start - (now - timedelta(days=7))) < timedelta(minutes=1)
    assert abs(node.end - now) < timedelta(minutes=1)


def test_walk_visits_every_node_in_order():
    tree = parse("+oil -gas").tree
    kinds = [type(node).__name__ for node in t.walk(tree)]
    assert kinds == ["AndNot", "Or", "Term", "Term", "Or", "Term", "Term"]


# --- tree → Whoosh for nodes the parser does not produce ---------------------------

def test_a_keyword_filter_is_what_the_parser_filters_with():
    for values in (["AFP"], ["AFP", "Reuters"]):
        node = t.KeywordFilter("source", tuple(normalize_keyword(v) for v in values))
        assert keyword_filter("source", values) == node
        terms = [wq.Term("source", normalize_keyword(v)) for v in values]
        assert to_whoosh(node) == (terms[0] if len(terms) == 1 else wq.Or(terms))
    assert to_whoosh(t.KeywordFilter("source", ())) is wq.NullQuery


def test_an_exclusive_date_range_steps_one_tick_inside(searcher):
    start, end = datetime(1987, 3, 12), datetime(1987, 6, 2)
    inclusive = to_whoosh(t.DateRange(start, end))
    exclusive = to_whoosh(t.DateRange(start, end, inclusive=False))
    assert (exclusive.start, exclusive.end) == (inclusive.start + 1, inclusive.end - 1)
    assert {i for i, _ in hits(searcher, inclusive)} == {"oil", "gas"}
    assert hits(searcher, exclusive) == []
    assert to_whoosh(t.DateRange(None, None, boost=2.0)) == PublishedRange(None, None, boost=2.0)


def test_unknown_nodes_are_refused_both_ways():
    from search.engine.whoosh.querying.phrases import KeptPhrase

    for q in (wq.Or([wq.Term("title", "a")], minmatch=2), wq.Term("published", datetime(2020, 1, 1)),
              KeptPhrase(wq.Phrase("body", ["oil", "price"])), wq.Require(wq.Term("body", "a"), wq.Term("body", "b")),
              wq.Wildcard("body", "a*", constantscore=False)):
        with pytest.raises(t.UnsupportedQuery):
            from_whoosh(q)
    with pytest.raises(t.UnsupportedQuery):
        to_whoosh(wq.Term("body", "a"))
    with pytest.raises(t.UnsupportedQuery):
        to_dsl(wq.Term("body", "a"))


def test_every_node_kind_has_both_translations():
    kinds = [value for value in vars(t).values()
             if isinstance(value, type) and is_dataclass(value) and value.__module__ == t.__name__]
    assert len(kinds) >= 16
    samples = {t.Term: ("body", "a"), t.Phrase: ("body", ("a", "b")), t.Prefix: ("body", "a"),
               t.Wildcard: ("body", "a?"), t.Fuzzy: ("body", "a"), t.Range: ("body", "a", "b"),
               t.DateRange: (datetime(2020, 1, 1), None), t.KeywordFilter: ("source", ("afp",)),
               t.MatchAll: (), t.Exists: ("source",), t.NullQuery: ()}
    leaf = t.Term("body", "a")
    for kind in kinds:
        if kind in samples:
            node = kind(*samples[kind])
        elif "children" in {f.name for f in fields(kind)}:
            node = kind((leaf, leaf))
        elif kind is t.Not:
            node = kind(leaf)
        else:
            node = kind(leaf, leaf)
        assert isinstance(to_whoosh(node), wq.Query), kind
        assert json.dumps(to_dsl(node)), kind


# --- OpenSearch Query DSL -------------------------------------------------------

def test_dsl_of_a_phrase_and_a_source():
    tree = parse('"oil prices"~2 source:Reuters').tree
    words = [{"match": {"query": w, "analyzer": "whitespace"}} for w in ("oil", "price")]
    rule = {"all_of": {"ordered": True, "max_gaps": 1, "intervals": words}}
    assert to_dsl(tree) == {"bool": {"must": [
        {"bool": {"should": [{"intervals": {"title": {**rule, "boost": 2.5}}},
                             {"intervals": {"body": rule}}],
                  "minimum_should_match": 1}},
        {"term": {"source": {"value": "reuters"}}}]}}
    exact = {"query": "oil price", "slop": 0, "analyzer": "whitespace"}
    assert to_dsl(t.Phrase("body", ("oil", "price"))) == {"match_phrase": {"body": exact}}


def test_dsl_of_boolean_nodes():
    a, b = t.Term("body", "a"), t.Term("body", "b")
    da, db = to_dsl(a), to_dsl(b)
    assert da == {"term": {"body": {"value": "a"}}}
    assert to_dsl(t.And((a, b), boost=2.0)) == {"bool": {"must": [da, db], "boost": 2.0}}
    assert to_dsl(t.Or((a, b))) == {"bool": {"should": [da, db], "minimum_should_match": 1}}
    assert to_dsl(t.Not(a)) == {"bool": {"must_not": [da]}}
    assert to_dsl(t.AndNot(a, b)) == {"bool": {"must": [da], "must_not": [db]}}
    assert to_dsl(t.AndMaybe(a, b)) == {"bool": {"must": [da], "should": [db]}}


def test_dsl_patterns_go_to_the_unstemmed_words():
    assert to_dsl(parse("title:m?nister^2").tree) == {"wildcard": {"title.words": {
        "value": "m?nister", "rewrite": "constant_score", "boost": 2.0}}}
    assert to_dsl(parse("body:minist*").tree) == {"prefix": {"body.words": {
        "value": "minist", "rewrite": "constant_score"}}}
    # A keyword field has no .words: its values are matched.
    assert to_dsl(t.Prefix("source", "reu")) == {"prefix": {"source": {
        "value": "reu", "rewrite": "constant_score"}}}
    assert to_dsl(parse("body:goverment~1").tree) == {"fuzzy": {"body.words": {
        "value": "goverment", "fuzziness": 1, "prefix_length": 0,
        "max_expansions": dsl.MAX_EXPANSIONS, "transpositions": False,
        "rewrite": "constant_score"}}}


def test_dsl_phrase_slop_bounds_each_gap_in_order_as_whoosh():
    # Whoosh: each word at most `slop` positions after the previous, in
    # order; each gap gets its own bound (nested), not their sum.
    def gaps(words, whoosh_slop):
        rule = to_dsl(t.Phrase("body", tuple(words.split()), slop=whoosh_slop))["intervals"]["body"]
        found = []
        while "all_of" in rule:
            assert rule["all_of"]["ordered"] is True
            found.append(rule["all_of"]["max_gaps"])
            rule = rule["all_of"]["intervals"][0]
        return found
    assert gaps("oil prices", 3) == [2]
    assert gaps("alpha charlie echo", 2) == [1, 1]  # two gaps of one word each
    assert "match_phrase" in to_dsl(t.Phrase("body", ("patriot", "missile", "systems")))


def test_dsl_refuses_what_the_parser_would_not_let_through():
    with pytest.raises(t.UnsupportedQuery, match="fuzzy"):
        to_dsl(t.Fuzzy("body", "idlib", maxdist=dsl.MAX_FUZZY_EDITS + 1))
    with pytest.raises(t.UnsupportedQuery, match="slop"):
        to_dsl(t.Phrase("body", ("a", "b"), slop=dsl.MAX_PHRASE_SLOP + 1))
    assert to_dsl(t.Phrase("body", ("a", "b"), slop=dsl.MAX_PHRASE_SLOP))


def test_dsl_limits_are_the_query_languages():
    from search.engine.whoosh.querying import execute as searching
    from search.query import parser

    assert dsl.MAX_FUZZY_EDITS == parser.MAX_FUZZY_EDITS
    assert dsl.MAX_PHRASE_SLOP == parser.MAX_PHRASE_SLOP
    assert dsl.MAX_EXPANSIONS == searching.MAX_EXPANSIONS
    assert dsl.TEXT_FIELDS == tuple(TEXT_FIELDS)


def test_dsl_of_dates_and_ranges():
    assert to_dsl(parse("published:[1987-03 TO 1987-04]").tree) == {"range": {"published": {
        "gte": "1987-03-01T00:00:00", "lte": "1987-04-30T23:59:59.999999",
        "format": "strict_date_optional_time"}}}
    exclusive = t.DateRange(None, datetime(2020, 1, 1), inclusive=False, boost=3.0)
    assert to_dsl(exclusive) == {"range": {"published": {
        "lt": "2020-01-01T00:00:00", "format": "strict_date_optional_time", "boost": 3.0}}}
    assert to_dsl(t.DateRange(None, None)) == {"exists": {"field": "published"}}
    assert to_dsl(parse("body:{a TO m}").tree) == {"range": {"body": {"gt": "a", "lt": "m"}}}


def test_dsl_of_filters_and_everything():
    assert to_dsl(t.KeywordFilter("source", ("afp", "reuters"))) == {
        "terms": {"source": ["afp", "reuters"]}}
    assert to_dsl(t.KeywordFilter("source", ())) == {"match_none": {}}
    assert to_dsl(parse("").tree) == {"match_all": {}}
    assert to_dsl(parse("source:*").tree) == {"exists": {"field": "source"}}
    assert to_dsl(t.NullQuery()) == {"match_none": {}}


@pytest.mark.parametrize("text", QUERIES)
def test_every_listed_query_has_a_dsl(text):
    assert json.loads(json.dumps(to_dsl(parse(text).tree)))


def test_dsl_of_a_word_over_both_fields_is_a_dis_max():
    # BM25F saturates a word once over its fields; a sum would twice.
    word = to_dsl(parse("oil").tree)
    assert word == {"dis_max": {"queries": [
        {"term": {"title": {"value": "oil", "boost": dsl.WORD_FIELD_WEIGHTS["title"]}}},
        {"term": {"body": {"value": "oil"}}}], "tie_breaker": dsl.WORD_TIE_BREAKER}}
    # the user's boost is kept, relative to the parser's field boosts
    boosted = to_dsl(t.Or((t.Term("title", "oil", 2.5 * 3), t.Term("body", "oil", 3.0))))
    assert [q["term"] for q in boosted["dis_max"]["queries"]] == [
        {"title": {"value": "oil", "boost": 4.5}}, {"body": {"value": "oil", "boost": 3.0}}]
    # terms of two words, or of one field, stay a bool
    assert "bool" in to_dsl(t.Or((t.Term("body", "oil"), t.Term("body", "gas"))))
    assert "bool" in to_dsl(t.Or((t.Term("title", "oil"), t.Term("title", "oil"))))


def test_weightless_function_words_still_match():
    tree = parse("gold mine").tree
    light = dsl.weightless(tree, {"mine"})
    boosts = {(n.field, n.text): n.boost for n in t.walk(light) if isinstance(n, t.Term)}
    assert boosts[("title", "mine")] == boosts[("body", "mine")] == 0.0
    assert boosts[("title", "gold")] == 2.5 and boosts[("body", "gold")] == 1.0
    assert to_dsl(light)["bool"]["must"][1]["dis_max"]["queries"][1] == {
        "term": {"body": {"value": "mine", "boost": 0.0}}}
    # negated parts too; and a query of nothing but function words keeps them all
    assert dsl.weightless(parse("the who").tree, {"the", "who"}) == parse("the who").tree
    negated = dsl.weightless(parse("gold -mine").tree, {"mine"})
    assert all(n.boost == 0.0 for n in t.walk(negated.negative) if isinstance(n, t.Term))


def test_opensearch_highlights_come_from_the_tree():
    from search.engine.opensearch.highlight import matchers

    plans = matchers(parse('Patriot "missile systems" -Idlib minist* m?scow govenment~1').tree)
    body = plans["body"].matcher("The ministers in Moscow and the government's ministry")
    assert body.terms == {"patriot"} and body.phrases == (("missil", "system"),)
    assert body.words == {"ministers", "ministry", "moscow", "government"}
    assert plans["title"].matcher("").words == frozenset()
    sloppy = matchers(parse('"oil prices"~3').tree)["body"].matcher("")
    assert sloppy.terms == {"oil", "price"} and sloppy.phrases == ()


# --- free of Whoosh ---------------------------------------------------------------

# `search/__init__.py` imports the whole API (and so Whoosh) on any import
# under `search`; the package is stood in for by an empty one here so that
# what is measured is the modules named and what they import themselves.
ISOLATED = """
import sys, types
package = types.ModuleType("search")
package.__path__ = [{root!r} + "/search"]
sys.modules["search"] = package
import {module}
print(sorted(m for m in sys.modules if m == "whoosh" or m.startswith("whoosh.")))
"""


def loaded_whoosh(module: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", ISOLATED.format(root=str(ROOT), module=module)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.replace("'", '"'))


def test_the_tree_and_the_dsl_import_no_whoosh():
    assert loaded_whoosh("search.query.tree") == []
    assert loaded_whoosh("search.engine.opensearch.dsl") == []
    # The same probe sees Whoosh where it is imported.
    assert "whoosh.query" in loaded_whoosh("search.engine.whoosh.translate")
