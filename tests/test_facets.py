"""Facet counts stay right while per-segment value lists are cached: after
adds (new segments), deletions, and a rebuild (new generation); and the
facet classes give each value its selected state and toggle URL, and cut
dates into periods, on a real index."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest

from search import Article, NewsIndex
from search.engine.whoosh.querying import facet_counts
from search.query import facets
from search.web.state import SearchState


def article(i: int, tags: list[str]) -> Article:
    return Article(id=f"a{i}", title=f"Story {i} about grain", body="Grain prices moved.",
                   tags=tags, source=f"Wire {i % 3}")


def expected(articles: list[Article], name: str) -> Counter:
    counts = Counter()
    for a in articles:
        for value in getattr(a, name) if name == "tags" else [a.source]:
            counts[value] += 1
    return counts


def counts(ix: NewsIndex, name: str) -> Counter:
    found = ix.search("grain", facets=[name], facet_limit=100)
    return Counter({f.value: f.count for f in found.facets[name]})


def test_cached_counts_follow_adds_deletes_and_rebuilds(tmp_path):
    stored = [article(i, ["farm", f"t{i % 4}"]) for i in range(30)]
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add(stored[:20])
        assert counts(ix, "tags") == expected(stored[:20], "tags")
        assert counts(ix, "tags") == expected(stored[:20], "tags")  # from the cache
        cached = len(facet_counts._cache)
        assert cached >= 1

        ix.add(stored[20:])  # a new segment: its lists are built, the old kept
        assert counts(ix, "tags") == expected(stored, "tags")
        assert counts(ix, "source") == expected(stored, "source")

        ix.delete(["a0", "a5", "a29"])
        alive = [a for a in stored if a.id not in {"a0", "a5", "a29"}]
        assert counts(ix, "tags") == expected(alive, "tags")

        ix.add([article(5, ["changed"])])  # an update: old version deleted
        alive.append(article(5, ["changed"]))
        assert counts(ix, "tags") == expected(alive, "tags")

        ix.rebuild()  # a new generation: new segments, new keys
        assert counts(ix, "tags") == expected(alive, "tags")
        assert counts(ix, "source") == expected(alive, "source")


def test_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(facet_counts._cache, "entries", 2)
    with NewsIndex.create(tmp_path / "ix") as ix:
        for i in range(4):
            ix.add([article(i, ["x"])])
            ix.search("grain", facets=["tags", "source", "year"])
        assert len(facet_counts._cache) <= 2
        assert counts(ix, "tags") == Counter({"x": 4})


# --- the facet classes: selected state, toggle URLs, date periods -------------------


def dated(i: int, source: str, tags: list[str], when: str | None) -> Article:
    published = datetime.fromisoformat(when).replace(tzinfo=timezone.utc) if when else None
    return Article(id=f"d{i}", title=f"Harbour news {i}", body="The harbour reopened.",
                   source=source, tags=tags, published=published)


@pytest.fixture
def harbour(tmp_path):
    """An index of seven harbour stories: two sources, tags, three months of
    2024 (February empty) and one undated."""
    stories = [dated(1, "Alder Gazette", ["Ferries"], "2024-01-05"),
               dated(2, "Alder Gazette", ["Ferries", "Strikes"], "2024-01-20"),
               dated(3, "Coastline Wire", ["Strikes"], "2024-03-02"),
               dated(4, "Coastline Wire", ["Ferries"], "2024-03-09"),
               dated(5, "Coastline Wire", [], "2024-03-30"),
               dated(6, "Alder Gazette", ["Weather"], "2024-04-01"),
               dated(7, "Alder Gazette", [], None)]
    ix = NewsIndex.create(tmp_path / "ix")
    ix.add(stories)
    yield ix
    ix.close()


def page(ix: NewsIndex, state: SearchState, names=("source", "tags", "year", "month")):
    """The page's search: facets counted as the server counts them."""
    return ix.search(state.q, filters=state.filters, since=state.since, until=state.until,
                     facets=list(names), facet_limit=600)


LABELS = {"source": "Source", "tags": "Tags"}


def test_keyword_values_carry_selected_state_and_toggle_urls(harbour):
    state = SearchState(q="harbour", filters={"source": ["Alder Gazette"]}, sort="oldest")
    results = page(harbour, state)
    source, tags = facets.sidebar(results.facets, state, LABELS)
    assert (source.name, source.label, source.kind) == ("source", "Source", "keyword")
    by_value = {v.value: v for v in source.values}
    # multi-select: the other source is still counted, unselected
    assert [(v.value, v.count, v.selected) for v in source.values] == [
        ("Alder Gazette", 4, True), ("Coastline Wire", 3, False)]
    # deselecting keeps the query and the sort; selecting adds to the field's values
    assert by_value["Alder Gazette"].toggle_url == "/?q=harbour&sort=oldest"
    assert by_value["Coastline Wire"].toggle_url == (
        "/?q=harbour&filter.source=Alder+Gazette&filter.source=Coastline+Wire&sort=oldest")
    # another field's values follow the source filter, and add a filter of their own
    assert {v.value: v.count for v in tags.values} == {"Ferries": 2, "Strikes": 1, "Weather": 1}
    strikes = next(v for v in tags.values if v.value == "Strikes")
    assert not strikes.selected and strikes.toggle_url == (
        "/?q=harbour&filter.source=Alder+Gazette&filter.tags=Strikes&sort=oldest")


def test_a_selected_value_matching_nothing_still_shows_first(harbour):
    state = SearchState(q="harbour", filters={"tags": ["Ferries", "fog"]}, page=3)
    tags = facets.sidebar(page(harbour, state).facets, state, LABELS)[1]
    first = tags.values[0]
    assert (first.value, first.count, first.selected) == ("fog", 0, True)
    # (toggling goes back to page 1)
    assert first.toggle_url == "/?q=harbour&filter.tags=Ferries"
    # a value is selected whatever its case and spacing
    assert facets.facet_for("tags").is_selected(SearchState(filters={"tags": [" FERRIES "]}),
                                                "Ferries")


def test_date_values_are_periods_selected_by_narrowing_the_dates(harbour):
    state = SearchState(q="harbour", since="2024-03", until="2024-03")
    counted = page(harbour, state, names=("month", "year")).facets
    assert [(c.value, c.count) for c in counted["month"]] == [("2024-03", 3)]
    month = facets.facet_for("month")
    assert month.kind == "date"
    result = month.results(counted["month"], state)
    [march] = result.values
    assert march.selected and march.toggle_url == "/?q=harbour"  # deselect: all dates
    january = month.toggle_url(state, "2024-01")
    assert january == "/?q=harbour&since=2024-01&until=2024-01"
    assert not month.is_selected(SearchState(since="2024-03"), "2024-03")  # not only March


def test_date_buckets_and_periods():
    when = datetime(2024, 3, 9, 23, 30)
    assert facets.DateFacet.bucket(when) == {"year": "2024", "month": "2024-03",
                                             "day": "2024-03-09"}
    assert facets.DateFacet.bucket(datetime(987, 1, 2))["year"] == "0987"
    assert facets.facet_for("month").periods("2023-11", "2024-02") == [
        "2023-11", "2023-12", "2024-01", "2024-02"]
    assert facets.facet_for("year").periods("1998", "2001") == ["1998", "1999", "2000", "2001"]


def test_date_facets_are_timelines_ending_with_the_latest(harbour):
    res = harbour.search("harbour", facets=["month"], facet_limit=2)
    assert [(c.value, c.count) for c in res.facets["month"]] == [("2024-03", 3), ("2024-04", 1)]


def test_timeline_fills_empty_months_and_counts_undated(harbour):
    state = SearchState(q="harbour")
    res = page(harbour, state)
    timeline = facets.timeline(res.facets, res.total)
    assert timeline.unit == "month" and timeline.undated == 1
    assert timeline.periods == [("2024-01", 2), ("2024-02", 0), ("2024-03", 3), ("2024-04", 1)]
    assert timeline.narrow_url(state, "2024-02") == "/?q=harbour&since=2024-02&until=2024-02"


def test_timeline_switches_to_years_over_many_months():
    counted = {"month": [facets.FacetCount("2019-05", 1), facets.FacetCount("2024-03", 2)],
               "year": [facets.FacetCount("2019", 1), facets.FacetCount("2024", 2)]}
    timeline = facets.timeline(counted, total=3)
    assert timeline.unit == "year" and len(timeline.periods) == 6
    assert timeline.periods[0] == ("2019", 1) and timeline.periods[-1] == ("2024", 2)
    assert facets.timeline({"year": [], "month": []}, total=3) is None


def test_chips_and_clear_url(harbour):
    state = SearchState(q="harbour", filters={"source": ["Alder Gazette", "Coastline Wire"]},
                        since="2024-01")
    assert facets.chips(state, LABELS) == [
        ("Source: Alder Gazette", "/?q=harbour&filter.source=Coastline+Wire&since=2024-01"),
        ("Source: Coastline Wire", "/?q=harbour&filter.source=Alder+Gazette&since=2024-01"),
        ("Date: from 2024-01", "/?q=harbour&filter.source=Alder+Gazette"
                               "&filter.source=Coastline+Wire")]
    assert facets.clear_url(state) == "/?q=harbour"
    assert facets.date_label("2024-01", "2024-03") == "Date: 2024-01 to 2024-03"
    assert facets.date_label(None, "2024") == "Date: until 2024"


def test_whole_index_counts_and_offered_fields(harbour):
    assert [(c.value, c.count) for c in harbour.stats().sources] == [
        ("Alder Gazette", 4), ("Coastline Wire", 3)]
    assert harbour.fields_with_values(["source", "section", "tags"]) == ["source", "tags"]


def test_unknown_facet_names_are_refused_and_aliases_resolved():
    assert facets.resolve("Tag") == "tags" and facets.resolve("category") == "section"
    with pytest.raises(Exception, match='cannot filter on "colour"'):
        facets.resolve("colour", "filter on")


def test_whole_index_counts_from_the_term_dictionary_equal_grouping_every_article(tmp_path):
    """`stats`' counts (facet_counts.count_all) come from term document
    frequencies; grouping every article, as Whoosh's search does, must give
    the same: several segments, one with deletions, several values an article."""
    from whoosh import query as wq, sorting

    from search import Article, NewsIndex
    from search.engine.whoosh.querying import facet_counts

    ix = NewsIndex.create(tmp_path / "ix")
    for batch in range(3):  # a segment each
        ix.add([Article(id=f"a{batch}-{n}", title=f"Story {batch} {n}", body=f"Text {batch} of story {n}.",
                        source=["AFP", "Reuters", "BBC News"][n % 3],
                        section=None if n % 4 == 0 else f"desk {n % 2}",
                        tags=[f"tag{n % 5}", f"tag{n % 7}"]) for n in range(30)])
    ix.delete([f"a1-{n}" for n in range(0, 30, 4)])
    with ix._searching() as searcher:
        assert sum(sub.has_deletions() for sub, _ in
                   facet_counts.leaves(searcher.reader())) == 1
        for name in ("source", "section", "tags"):
            grouped = searcher.search(wq.Every(), limit=None, groupedby={
                name: sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count)}
            ).groups(name)
            assert facet_counts.count_all(searcher, name) == {
                value: count for value, count in grouped.items() if value is not None}, name
    ix.close()
