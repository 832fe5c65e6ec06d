"""OpenSearch as a second engine (issue 20): the query tree as Query DSL."""
