"""Query parsing: syntax checks (lenient and strict), fields, dates."""

from __future__ import annotations

from datetime import datetime

import pytest

from search.engine.whoosh.translate import to_whoosh
from search.errors import QueryError
from search.query.parser import check_syntax, parse, parse_date_bound


@pytest.mark.parametrize("text, message, column", [
    ('"unclosed', "unclosed quote", 1),
    ("Patriot (Idlib", "unclosed '('", 9),
    ("Idlib)", "unmatched ')'", 6),
    ("title:", "nothing to search after 'title:'", 6),
    ("published:[2020 TO 2021", "unclosed '['", 11),
])
def test_strict_mode_reports_the_first_problem_with_its_column(text, message, column):
    with pytest.raises(QueryError) as err:
        parse(text, strict=True)
    assert err.value.reason == message
    assert err.value.column == column
    assert str(err.value).startswith(f"col {column}: ")


@pytest.mark.parametrize("text", ['"unclosed', "Patriot (Idlib", "Idlib)", "title:",
                                  "Syria: Idlib"])
def test_lenient_mode_warns_and_still_searches(text):
    parsed = parse(text)
    assert parsed.warnings and all("ignored" in w for w in parsed.warnings)
    assert to_whoosh(parsed.tree) is not None


def test_lenient_cleanup_keeps_the_words():
    cleaned, warnings = check_syntax('Patriot "Idlib', strict=False)
    assert cleaned == "Patriot Idlib"
    assert warnings == ["col 9: unclosed quote (ignored)"]


def test_unknown_field_is_an_error_in_both_modes():
    for strict in (False, True):
        with pytest.raises(QueryError, match='unknown field "foo"'):
            parse("foo:bar", strict=strict)


def test_quoted_colons_are_text():
    assert parse('"foo:bar"').warnings == []


@pytest.mark.parametrize("text, expected", [
    ("Patriot Idlib", "((title:patriot^2.5 OR body:patriot) AND (title:idlib^2.5 OR body:idlib))"),
    ("S-400", '(title:"s 400" OR body:"s 400")'),
    ("author:Doe", "authors:doe"),
    ('source:"Iran Press"', "source:iran press"),
    ("-Idlib Patriot", "((title:patriot^2.5 OR body:patriot) ANDNOT (title:idlib^2.5 OR body:idlib))"),
])
def test_parsed_queries(text, expected):
    assert str(to_whoosh(parse(text).tree)) == expected


def test_any_term_mode_ors_words():
    assert " OR " in str(to_whoosh(parse("Patriot Idlib", any_term=True).tree))
    assert "AND" not in str(to_whoosh(parse("Patriot Idlib", any_term=True).tree))


def test_empty_and_star_match_everything():
    for text in ("", "   ", "*"):
        assert type(to_whoosh(parse(text).tree)).__name__ == "Every"


def test_broken_syntax_in_lenient_mode_falls_back_to_words():
    parsed = parse("published:[garbage TO 2020]")
    assert parsed.warnings
    with pytest.raises(QueryError):
        parse("published:[garbage TO 2020]", strict=True)


@pytest.mark.parametrize("value, end, expected", [
    ("2020", False, datetime(2020, 1, 1)),
    ("2020", True, datetime(2020, 12, 31, 23, 59, 59, 999999)),
    ("2020-02", True, datetime(2020, 2, 29, 23, 59, 59, 999999)),
    ("2020-12", True, datetime(2020, 12, 31, 23, 59, 59, 999999)),
    ("2020-02-27", False, datetime(2020, 2, 27)),
    ("2020-02-27T15:01:00+03:00", False, datetime(2020, 2, 27, 12, 1)),
])
def test_date_bounds(value, end, expected):
    assert parse_date_bound(value, end=end) == expected


def test_bad_date_bound():
    with pytest.raises(QueryError, match="cannot read date"):
        parse_date_bound("32/13/2020", end=False)


# --- plain words skip Whoosh's parser ---------------------------------------------

def _plain_queries() -> list[str]:
    import random

    rng = random.Random(9)
    vocabulary = ["oil", "Oil", "PRICES", "prices", "1987", "the", "and", "or", "not",
                  "And", "Not", "x", "a", "S400", "running", "runs", "Idlib", "IDLIB",
                  "generalizations", "news", "is", "000", "e4", "co2"]
    queries = [" ".join(rng.choices(vocabulary, k=rng.randint(1, 6))) for _ in range(300)]
    return queries + ["  oil   prices ", "oil oil", "oil AND prices", "oil OR prices",
                      "NOT oil", "a TO b", "oil\tprices", "oil\nprices"]


@pytest.mark.parametrize("any_term", [False, True])
def test_plain_words_build_what_whoosh_s_parser_builds(monkeypatch, any_term):
    from search.query import parser as query_module

    fast = [to_whoosh(parse(q, any_term=any_term).tree) for q in _plain_queries()]
    monkeypatch.setattr(query_module, "_plain_words_query", lambda text, any_term, language=None: None)
    slow = [to_whoosh(parse(q, any_term=any_term).tree) for q in _plain_queries()]
    assert fast == slow


@pytest.mark.parametrize("languages", [(None,), (None, "de")])
@pytest.mark.parametrize("any_term", [False, True])
def test_plain_words_skip_the_passes_and_parse_the_same(monkeypatch, any_term, languages):
    """Plain words go straight to the tree (parser._plain_words), without
    the syntax, lint and date passes: the same ParsedQuery (tree, warnings,
    relaxable) as through them, and only for text those passes would leave
    as it is."""
    from search.query import parser as query_module

    texts = _plain_queries() + [" ".join(["oil"] * 450), "oil " * 2000 + "prices", "now", "oil now"]
    fast = [parse(q, any_term=any_term, languages=languages) for q in texts]
    assert sum(query_module._plain_words(q, any_term, None) is not None for q in texts) > 250
    monkeypatch.setattr(query_module, "_plain_words", lambda text, any_term, language: None)
    slow = [parse(q, any_term=any_term, languages=languages) for q in texts]
    assert fast == slow


def test_plain_words_take_the_direct_path_and_syntax_does_not():
    from search.query.parser import _plain_words_query

    assert _plain_words_query("oil prices", False) is not None
    for text in ("oil AND prices", "title:oil", '"oil prices"', "oil*", "oil~",
                 "+oil", "-oil", "(oil)", "S-400", "Élysée", "oil^2"):
        assert _plain_words_query(text, False) is None, text
