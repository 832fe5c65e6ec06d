"""The Article record: what every reader produces and the index stores.

An Article is plain data. Readers fill it from files; the indexer turns it into
a Whoosh document; the API hands it back from the stored fields. Keeping it
engine-agnostic is what lets `export` and a future engine swap work.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .text.language import normalize_code

#: Field names, in the order `export` and `show --json` print them (a contract).
FIELD_NAMES = (
    "id", "title", "body", "source", "authors", "published", "url", "section",
    "tags", "language", "related", "path", "content_hash",
    "topics", "places", "people", "orgs", "exchanges", "cluster", "extraction",
)
#: List-valued fields (stored as lists, indexed as whole keyword values).
LIST_FIELDS = ("authors", "tags", "related", "topics", "places", "people", "orgs", "exchanges")


@dataclass
class Article:
    """One news article.

    `published` is timezone-aware or None: an article that never says its date
    keeps None rather than an invented one. `content_hash` is derived from the
    content fields (see :meth:`compute_hash`) and tells the indexer whether a
    re-read file changed.
    """

    id: str
    title: str
    body: str
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    url: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    related: list[str] = field(default_factory=list)
    path: str | None = None
    content_hash: str = ""
    #: Subject codes (e.g. Reuters topics such as "earn", "crude").
    topics: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    #: Stock exchanges named by the story (Reuters).
    exchanges: list[str] = field(default_factory=list)
    #: Near-duplicate cluster id, set by the indexer (None until indexed).
    cluster: str | None = None
    #: How the body was found in an HTML page ("trafilatura", "readability",
    #: "newssearch", "json-ld", "meta-description"); None for other formats.
    extraction: str | None = None
    #: A date the reader found but could not read without knowing the
    #: language ("5. März 2024" in a record that does not say it is German):
    #: read again once the language is detected (language.assign). Not a
    #: field: never stored or hashed.
    unread_date: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            # Lone surrogates (a JSON "\ud800" escape, bytes decoded with
            # surrogateescape) cannot be written as UTF-8: mark them instead.
            # (str.isascii() is a flag check: most text needs no search.)
            if isinstance(value, str):
                if not value.isascii() and _SURROGATE.search(value):
                    setattr(self, name, _SURROGATE.sub("\ufffd", value))
            elif isinstance(value, list):
                setattr(self, name, [_SURROGATE.sub("\ufffd", v)
                                     if isinstance(v, str) and not v.isascii() else v
                                     for v in value])
        # BCP 47 primary code: "en-GB", "en_us" → "en" (a facet and a filter).
        self.language = normalize_code(self.language)
        self.title = clean_text(self.title)
        self.body = clean_text(self.body)
        if self.published is not None and self.published.tzinfo is None:
            # A naive datetime is taken to be UTC rather than local time, so the
            # same file indexes identically on every machine.
            self.published = self.published.replace(tzinfo=timezone.utc)
        if not self.content_hash:
            self.content_hash = self.compute_hash()

    def compute_hash(self) -> str:
        """SHA-256 over every content field (not id, path or the hash itself)."""
        content = self.to_dict()
        # (extraction says how, not what: a changed route alone is no change,
        # and articles from other formats keep their hashes.)
        for key in ("id", "path", "content_hash", "cluster", "extraction"):
            content.pop(key)
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the contract field names; dates as ISO 8601.
        (Not dataclasses.asdict: its deep copy was half of all reading time.)"""
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        for name in LIST_FIELDS:
            data[name] = list(data[name])
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Article":
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        values = {k: data[k] for k in FIELD_NAMES if k in data and data[k] is not None}
        if isinstance(values.get("published"), str):
            values["published"] = datetime.fromisoformat(values["published"])
        return cls(**values)


def text_fingerprint(title: str, body: str, body_words: list[str] | None = None) -> str:
    """Hash of the normalised words of title and body: equal for articles that
    differ only in case, spacing or punctuation (exact duplicates).
    `body_words`: the body's words (neardup.words), if found already."""
    if body_words is None:
        body_words = _WORDS.findall(body.casefold())
    words = " ".join(_WORDS.findall(title.casefold()) + body_words)
    return hashlib.blake2b(words.encode("utf-8"), digest_size=8).hexdigest()


#: A word, for fingerprints (neardup.words finds the same ones).
_WORDS = re.compile(r"\w+")


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """NFC-normalise, unify line endings and trim; keeps paragraph breaks."""
    if not text.isascii():  # ASCII is its own NFC form
        text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x00", "")
    return text.strip()
