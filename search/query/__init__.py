"""Query text to ranked, faceted, highlighted results."""
