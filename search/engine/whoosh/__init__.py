"""The Whoosh engine: schema, on-disk format, segments, generations."""
