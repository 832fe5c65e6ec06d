"""Unpickling index files without running code.

Whoosh pickles the schema and the segment list into the table of contents,
and posting and column headers into segment files; our codec pickles stored
fields. A pickle names the callables it calls while loading, so a crafted
table of contents runs whatever it names (``os.system``) when a reader
opens the index. Every pickle an index holds is therefore loaded through
:class:`RestrictedUnpickler`, which resolves only an allow-list of names:

* a few plain data types of the standard library (:data:`BASE`), and
* the classes and functions the index format itself pickles: those found in
  the pickles of this version's schema, codec and segment (see
  :func:`allowed`), and those older schemas used (:data:`LEGACY`). Adding a
  field type or an analyzer to the schema allows its classes with it;
  nothing else in ``search`` or ``whoosh`` (an index writer, a process
  pool) is reachable.

Any other name makes the load fail with :class:`ForbiddenPickleError`,
which callers report as "index damaged". :func:`install` points every
pickle load in Whoosh that can read index data at the restricted loader.
"""

from __future__ import annotations

import io
import pickle
from functools import lru_cache
from types import SimpleNamespace

#: Standard-library names an index's pickles may use besides the format's
#: own classes: containers, dates, and the helpers protocol 2 calls to
#: rebuild an object of an allowed class or a bytes object (_codecs.encode).
BASE: frozenset[tuple[str, str]] = frozenset({
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"),
    ("builtins", "object"), ("builtins", "slice"), ("builtins", "range"),
    ("copyreg", "_reconstructor"), ("_codecs", "encode"), ("collections", "defaultdict"),
    ("collections", "OrderedDict"), ("array", "array"), ("array", "_array_reconstructor"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"),
    ("datetime", "timedelta"), ("datetime", "timezone"), ("re", "_compile"),
})


#: Names that older schemas pickled and this one no longer uses: an index of
#: an older schema version must still open, for `rebuild` to read it. When a
#: schema change drops or renames a field type, analyzer or format class,
#: add its old (module, name) here, and keep the class importable there.
LEGACY: frozenset[tuple[str, str]] = frozenset()

_ANALYZERS = "search.engine.whoosh.analyzers"

#: Classes an index's pickles name by an import path this version moved
#: (issue 19 put the flat modules into packages): old (module, name) → new.
#: Indexes built before the move name the old paths in their table of
#: contents, and must still open without a rebuild. When a pickled class
#: moves again, add its path here (and keep the old entries: older indexes
#: still name them). The analyzers moved twice: the flat release pickled
#: `search.analysis`, the first package layout `search.text.analysis`
#: (whose classes no longer are Whoosh analyzers); both map to the Whoosh
#: adapters.
MOVED: dict[tuple[str, str], tuple[str, str]] = {
    ("search.analysis", "NewsAnalyzer"): (_ANALYZERS, "WhooshNewsAnalyzer"),
    ("search.analysis", "KeywordAnalyzer"): (_ANALYZERS, "WhooshKeywordAnalyzer"),
    ("search.text.analysis", "NewsAnalyzer"): (_ANALYZERS, "WhooshNewsAnalyzer"),
    ("search.text.analysis", "KeywordAnalyzer"): (_ANALYZERS, "WhooshKeywordAnalyzer"),
    ("search.codec", "NewsCodec"): ("search.engine.whoosh.codec", "NewsCodec"),
    ("search.datecolumn", "PublishedField"): ("search.engine.whoosh.datecolumn", "PublishedField"),
    ("search.postings", "CompactPositions"): ("search.engine.whoosh.postings", "CompactPositions"),
}


class ForbiddenPickleError(pickle.UnpicklingError):
    """A pickle naming something outside the allow-list."""


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler resolving only :func:`allowed` names."""

    def find_class(self, module: str, name: str):
        module, name = MOVED.get((module, name), (module, name))
        found = _RESOLVED.get((module, name))
        if found is None:
            if (module, name) not in allowed():
                raise ForbiddenPickleError(f"a pickle names {module}.{name}, "
                                           "which is not part of the index format")
            found = _RESOLVED[module, name] = super().find_class(module, name)
        return found


#: Allowed names already resolved (a stored article's date names
#: datetime: looked up once, not once an article).
_RESOLVED: dict[tuple[str, str], object] = {}


def loads(data: bytes):
    """pickle.loads, restricted."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


def load(file):
    """pickle.load, restricted (reads one pickle from an open file)."""
    return RestrictedUnpickler(file).load()


class _Recorder(pickle.Unpickler):
    """An Unpickler noting every name it resolves (for our own pickles only)."""

    def __init__(self, data: bytes, names: set):
        super().__init__(io.BytesIO(data))
        self._names = names

    def find_class(self, module: str, name: str):
        self._names.add((module, name))
        return super().find_class(module, name)


@lru_cache(maxsize=1)
def allowed() -> frozenset[tuple[str, str]]:
    """BASE plus every name the pickles of this version's schema, codec and
    segments use, in the protocols Whoosh writes them with (2 and highest)."""
    from whoosh.codec.whoosh3 import W3Codec, W3Segment

    from .codec import NewsCodec
    from .schema import build_schema

    codec = NewsCodec()
    segment = W3Segment(codec, "MAIN")
    segment.delete_document(0)  # a segment with deletions pickles its set too
    names: set[tuple[str, str]] = set()
    # (Whoosh's own codec too: a segment written by it reads as well.)
    for obj in (build_schema(), [segment], codec, W3Codec()):
        for protocol in (2, pickle.HIGHEST_PROTOCOL):
            _Recorder(pickle.dumps(obj, protocol), names).load()
    return frozenset(names | BASE | LEGACY)


def install() -> None:
    """Route Whoosh's pickle loads of index data through the restricted
    loader: the table of contents (schema, segments), posting block and
    column headers, inlined postings, pickled column values and posting
    values, compound-file directories and hash-table extras."""
    from whoosh import columns, formats, index
    from whoosh.codec import plaintext, whoosh3
    from whoosh.filedb import structfile

    structfile.load_pickle = load  # StructFile.read_pickle: TOC segments, headers, extras
    whoosh3.loads = loads  # W3 posting blocks and inlined postings
    columns.loads = loads  # PickleColumn values
    formats.loads = loads  # posting values (positions, characters)
    plaintext.loads = loads
    index.pickle = SimpleNamespace(loads=loads, dumps=pickle.dumps,
                                   PicklingError=pickle.PicklingError)  # TOC.read's schema
    # Older TOC layouts go through whoosh.legacy's unrestricted unpickler:
    # newssearch never wrote them, so they are not read at all.
    index.toc_loaders.clear()
