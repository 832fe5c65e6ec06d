"""Query-time synonyms from a file in Solr's synonyms format.

::

    # comments and blank lines are ignored
    car, automobile, motorcar           # equivalent: any finds all
    united states, usa, u.s.            # several words: searched as a phrase
    colour => color                     # explicit: colour is searched as color only
    tv, telly => television

Entries go through the index's analyzer, so ``cars`` finds what
``automobile`` does, and ``U.S.`` is ``us``. At query time each word of the
query that is an entry (and each quoted phrase that is a several-word
entry) becomes an OR of its synonyms, in the same field, with the same
boost. Several words typed without quotes (``united states``) are not
matched against several-word entries: quote them. Synonyms apply at query
time only, so changing the file needs no rebuild.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NewsSearchError
from ..fields import TEXT_FIELDS
from ..text.analysis import analyze
from . import tree as t

Terms = tuple[str, ...]
#: A comma that is not escaped (``\\,``).
_COMMA = re.compile(r"(?<!\\),")


@dataclass
class Synonyms:
    """Analysed terms (a word, or a phrase's words) → what to search instead."""

    table: dict[Terms, list[Terms]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "Synonyms":
        """Read a Solr synonyms file; a NewsSearchError (exit 2) names a bad line."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise NewsSearchError(f"cannot read synonyms file {path} ({reason})") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, name: str = "synonyms") -> "Synonyms":
        synonyms = cls()
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                synonyms._add_line(line, f"{name}, line {number}")
        return synonyms

    def _add_line(self, line: str, where: str) -> None:
        left, arrow, right = line.partition("=>")
        sources = _entries(left, where)
        if arrow:
            targets = _entries(right, where)
            for source in sources:
                self._extend(source, targets)
        else:
            for source in sources:
                self._extend(source, sources)

    def _extend(self, source: Terms, targets: list[Terms]) -> None:
        known = self.table.setdefault(source, [])
        known.extend(t for t in targets if t not in known)

    def __bool__(self) -> bool:
        return bool(self.table)

    def expand(self, q: t.Node) -> t.Node:
        """`q` with each full-text word or phrase that has synonyms replaced
        by an OR of them (itself included unless mapped away with ``=>``)."""
        if not self.table:
            return q

        def swap(node: t.Node) -> t.Node:
            if type(node) is t.Term and node.field in TEXT_FIELDS:
                key: Terms = (node.text,)
            elif type(node) is t.Phrase and node.field in TEXT_FIELDS:
                key = tuple(node.words)
            else:
                return node
            targets = self.table.get(key)
            if not targets:
                return node
            return t.Or(tuple(_query(node.field, terms, node.boost) for terms in targets))
        return t.rewrite(q, swap)


def _entries(text: str, where: str) -> list[Terms]:
    entries = []
    for raw in _COMMA.split(text):
        terms = tuple(analyze(raw.replace("\\,", ",").strip()))
        if not terms:
            raise NewsSearchError(f"{where}: an empty synonym (check the commas)")
        entries.append(terms)
    return entries


def _query(field: str, terms: Terms, boost: float) -> t.Node:
    if len(terms) == 1:
        return t.Term(field, terms[0], boost=boost)
    return t.Phrase(field, terms, boost=boost)
