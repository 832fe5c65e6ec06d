"""Articles of several languages on OpenSearch, as the embedded engine
searches them (docs/languages.md).

The embedded engine analyses an article's title and body in the article's
language into the one ``title`` and ``body`` field, parses a query once per
language of the index and merges the parses (`query.parser._merge`): a
word's term matches an article whose own analysis gave that term. A Lucene
field has one analyzer, so the mapping gives each language analysed in its
own right a sub-field (``title.de``, ``body.de``: German stems and compound
parts, `german`), and a text clause of the query is asked of each article
in its language's field: ``body`` for an article not in German, ``body.de``
for one in German (`by_language`). Each article matches one branch, so its
score is that branch's: a word's ``dis_max`` over title and body still
takes the best of its fields.

The other languages the embedded engine stems with Snowball (French,
Spanish, Russian, …: `snowball.routed`) have fields of their own that only
their articles fill (``i18n.fr.body``: `snowball`); their branch asks that
field and needs no language filter. The English branch leaves out German
articles by their ``language`` and routed ones by their fields, so an index
written before the routed fields (where they are not indexed) answers as
it did. The few languages Lucene has no Snowball stemmer for (Czech,
Polish, …) are analysed as English here: a query asking for them is
refused rather than answered otherwise.
"""

from __future__ import annotations

from typing import Any, Sequence

from ...errors import QueryError
from ...text import language as codes
from ...text.analysis_lang import DEFAULT, SNOWBALL, analysis_language
from .dsl import TEXT_FIELDS
from .snowball import ROOT, field as routed_field, routed

#: Languages with their own sub-field of each text field (mapping.json).
SUB_FIELDS = ("de",)
#: Languages analysed in their own right: a sub-field, or routed fields.
ANALYSED = (*SUB_FIELDS, *routed())
LANGUAGE_FIELD = "language"
#: Query clauses on a text field (what `dsl.to_dsl` writes for terms and
#: phrases); patterns are on ``FIELD.words``, the same for every language.
TEXT_CLAUSES = ("term", "match_phrase", "intervals")
#: Clauses holding other clauses: key → where.
COMPOUND_CLAUSES = {"bool": ("must", "should", "must_not", "filter"), "dis_max": ("queries",)}


def languages_aggregation() -> dict[str, Any]:
    """The aggregation whose answer `in_index` reads."""
    return {"terms": {"field": LANGUAGE_FIELD, "size": 1000}}


def in_index(buckets: list[dict]) -> list[str]:
    """The languages with a sub-field among an index's articles' (the
    buckets of `languages_aggregation`)."""
    return [code for code in ANALYSED if any(b["key"] == code for b in buckets)]


def analyses(asked: Sequence[str] | None, present: Sequence[str]) -> list[str | None]:
    """The analyses to parse a query in: English (None) and the index's
    languages with a sub-field, or the languages `asked` (``--lang``), one
    the mapping has no analysis for being a QueryError."""
    if not asked:
        return [None, *present]
    wanted: list[str | None] = []
    for code in codes.parse_codes(asked):
        language = analysis_language(code)
        if language == DEFAULT:
            language = None
        elif language not in ANALYSED:
            raise QueryError(f"--lang {code}: {SNOWBALL[language].title()} analysis is not "
                             f"supported on an OpenSearch index (Lucene has no Snowball "
                             f"stemmer for it)")
        if language not in wanted:
            wanted.append(language)
    return wanted


def by_language(query: dict[str, Any], present: Sequence[str]) -> dict[str, Any]:
    """`query` with each clause on a text field asked of every article in
    its own language's field (`present`: the languages with a sub-field the
    index holds; none, and the query is as it was)."""
    if not present:
        return query
    return _split(query, tuple(present))


def _split(clause: dict[str, Any], present: tuple[str, ...]) -> dict[str, Any]:
    (kind, body), = clause.items()
    if kind in COMPOUND_CLAUSES:
        body = dict(body)
        for key in COMPOUND_CLAUSES[kind]:
            if key in body:
                body[key] = [_split(c, present) for c in body[key]]
        return {kind: body}
    if kind in TEXT_CLAUSES:
        (field, _), = body.items()
        if field in TEXT_FIELDS:
            return _per_language(kind, body, field, present)
    return clause


def _per_language(kind: str, body: dict, field: str, present: tuple[str, ...]) -> dict:
    own_fields = [code for code in present if code in SUB_FIELDS]
    mine = [{"terms": {LANGUAGE_FIELD: own_fields}}] if own_fields else []
    if len(own_fields) < len(present):
        mine.append({"exists": {"field": ROOT}})
    branches = [{"bool": {"must": [{kind: body}], "must_not": mine}}]
    for code in present:
        if code in SUB_FIELDS:
            own = {kind: {f"{field}.{code}": body[field]}}
            branches.append({"bool": {"must": [own],
                                      "filter": [{"term": {LANGUAGE_FIELD: code}}]}})
        else:  # only this language's articles have the field
            branches.append({kind: {routed_field(code, field): body[field]}})
    return {"bool": {"should": branches, "minimum_should_match": 1}}
