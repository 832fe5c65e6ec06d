"""Running queries on Whoosh: BM25F scoring (`ranking`, `ranked_query`),
phrases and document sets per segment (`phrases`, `docsets`), pattern
expansion (`patterns`), relaxing a query that finds nothing (`relax`), "did
you mean" (`suggest`), completion (`complete`), facet counts
(`facet_counts`) and the search itself (`execute`). Each takes the
engine-neutral query tree's Whoosh translation (`..translate`) or a
Whoosh searcher; search.query drives them without importing Whoosh."""
