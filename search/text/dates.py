"""Reading the many date formats news uses, into timezone-aware datetimes.

Unknown stays unknown: anything unparseable or absurd gives None, never a
guess. Naive times are taken as UTC so an index means the same everywhere.

Two paths: the fast one (``datetime.fromisoformat``, then dateutil) reads the
English and numeric dates nearly all news carries; only a date it cannot read
and that names a year goes to dateparser, which knows month names in other
languages ("5. März 2024", "3 mars 2021"). dateparser costs ~1-2 ms a date
(and ~0.5 s to load its language data, once per process), so the fast path
keeps Reuters and BBC indexing speed unchanged: they never reach it.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from datetime import datetime, timezone

from dateutil import parser as dateutil_parser

#: Languages dateparser tries when no hint is given: the common languages of
#: news. Asking it to try all of its ~200 locales made a failed parse cost
#: 0.5-5 s; with this list a failure costs ~2 ms.
FOREIGN_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "sv", "da", "nb",
                     "pl", "tr", "cs", "fi", "ro", "hu", "el", "uk")
#: Longer strings are sentences, not dates: never handed to dateparser.
FOREIGN_MAX_CHARS = 80
_LETTERS = re.compile(r"[^\W\d_]{3,}")
_WORDS = re.compile(r"[^\W\d_]+")

#: Dates outside this range are taken as errors in the data ("year 0", "99999").
EARLIEST_YEAR = 1800
LATEST_YEAR = 2200

_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?")
#: North American and European zone abbreviations dateutil does not know
#: (it drops them silently, shifting the time by hours).
TZ_ABBREVIATIONS = {
    "EST": "-05:00", "EDT": "-04:00", "CST": "-06:00", "CDT": "-05:00",
    "MST": "-07:00", "MDT": "-06:00", "PST": "-08:00", "PDT": "-07:00",
    "AKST": "-09:00", "AKDT": "-08:00", "HST": "-10:00",
    "BST": "+01:00", "CET": "+01:00", "CEST": "+02:00", "EET": "+02:00",
    "EEST": "+03:00", "WET": "+00:00", "WEST": "+01:00", "MSK": "+03:00",
    "JST": "+09:00", "KST": "+09:00", "AEST": "+10:00", "AEDT": "+11:00",
}
_TZ_ABBR = re.compile(r"\b(" + "|".join(TZ_ABBREVIATIONS) + r")\b")

#: Reuters-21578: "26-FEB-1987 15:01:01.79" (dateutil misreads the centiseconds).
_REUTERS = re.compile(r"^\s*(\d{1,2}-[A-Za-z]{3}-\d{4} \d{1,2}:\d{2}:\d{2})(?:\.\d+)?\s*$")


def parse_date(value: object, language: str | None = None) -> datetime | None:
    """A timezone-aware datetime from a string, epoch number or datetime, or
    None when the value is empty, unreadable or out of range.

    `language` (an ISO 639-1 code such as ``de``, when the caller knows the
    article's language) is tried first for dates in words."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str):
        parsed = _from_text(value.strip(), language)
    else:
        return None
    if parsed is None or not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    try:
        # An offset of a day or more ("+99:99") makes every later use of the
        # datetime raise: such a date is unknown, not a reason to drop the record.
        parsed.utcoffset()
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds, as JavaScript dumps write them
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def has_date_part(text: str) -> bool:
    """Whether a date string states a year: a four-digit number, or day,
    month and year as three numbers ("3/3/20"). "10:30" and "March 3" do not,
    and would otherwise come back dated in the year 2000."""
    rest = _CLOCK.sub(" ", text)
    if re.search(r"(?<!\d)\d{4}(?!\d)", rest) or re.search(r"\d{8}", rest):
        return True
    return len(re.findall(r"\d+", rest)) >= 3


def _from_text(text: str, language: str | None = None) -> datetime | None:
    if not text or not has_date_part(text):
        return None
    match = _REUTERS.match(text)
    if match:
        text = match.group(1)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    text = _TZ_ABBR.sub(lambda m: TZ_ABBREVIATIONS[m.group(1)], text)
    try:
        with warnings.catch_warnings():  # dateutil warns about unknown zones
            warnings.simplefilter("ignore")
            return dateutil_parser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return _foreign(text, language)


def _foreign(text: str, language: str | None) -> datetime | None:
    """A date written in words of another language, read by dateparser; only
    absolute dates with day, month and year ("yesterday" or "March 2024"
    would be guesses)."""
    if len(text) > FOREIGN_MAX_CHARS or not _LETTERS.search(text):
        return None
    try:
        key = _language_key(language)
        words = set(_WORDS.findall(text.casefold()))
        if not words & _month_names(key):
            return None  # no month name in any language tried: dateparser would fail, slowly
        return _foreign_parser(key).get_date_data(text).date_obj
    except Exception:  # a parser bug must not sink the record: the date stays unknown
        return None


def _language_key(language: str | None) -> str | None:
    """The primary subtag of a language hint ("de-AT" -> "de")."""
    if not language:
        return None
    key = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    return key if key.isalpha() and 2 <= len(key) <= 3 else None


def _languages(language: str | None) -> list[str]:
    """`language` (if dateparser knows it), then FOREIGN_LANGUAGES."""
    from dateparser.languages.loader import default_loader  # only when needed

    languages = [language] if language and language in default_loader.get_locale_map() else []
    return languages + [lang for lang in FOREIGN_LANGUAGES if lang not in languages]


@lru_cache(maxsize=32)
def _month_names(language: str | None) -> frozenset[str]:
    """Every month name and abbreviation, folded, in the languages tried: a
    date in words has one, and the check costs microseconds where a failed
    dateparser call cost milliseconds."""
    from dateparser.languages.loader import default_loader

    months = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")
    names: set[str] = set()
    for lang in _languages(language):
        info = default_loader.get_locale(lang).info
        for month in months:
            for name in info.get(month, ()):
                names.update(_WORDS.findall(str(name).casefold()))
    return frozenset(names)


@lru_cache(maxsize=32)
def _foreign_parser(language: str | None):
    """A dateparser parser for `language` first, then FOREIGN_LANGUAGES."""
    from dateparser.date import DateDataParser  # ~0.3 s to import: only when needed

    languages = _languages(language)
    settings = {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"],
                "RETURN_AS_TIMEZONE_AWARE": False}
    return DateDataParser(languages=languages, settings=settings, try_previous_locales=False)
