"""Readers turn files into Article records, one module per input format.

Every reader has the same shape: ``read(path, root) -> list[Article]``, raising
:class:`search.errors.ReadError` for a file it cannot use. `discover` decides
which reader a file goes to.
"""
