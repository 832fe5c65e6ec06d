"""Files to articles to index: readers, the indexer, its ledger, check and repair."""
