"""An article's language: the code it declares, normalised, or the one its
text shows.

* Codes are BCP 47 primary language subtags, lower case: ``en-GB``,
  ``en_us``, ``EN`` → ``en``; the region is dropped (``--filter
  language=en`` must find British and American English alike). Three-letter
  codes that have a two-letter one are mapped to it (``deu``/``ger`` →
  ``de``), as BCP 47 itself requires.
* When the input does not say, the text is identified with py3langid (the
  maintained fork of langid.py: its model ships in the wheel, about 4 MB,
  and it classifies an article's first 200 characters (600 when unsure)
  in a fraction of a millisecond;
  measured against lingua and fasttext-langdetect in docs/languages.md).
  A guess below :data:`MIN_PROBABILITY` (short texts, tables of figures)
  is no guess: the language stays unknown and the text is analysed as
  English, as before this module existed.
* A declared code is checked against the text: a confident detection of
  another language wins (a feed that says ``en`` for every item, German
  ones too), and :func:`assign` says so.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

#: Below this normalised probability a detection is not trusted.
MIN_PROBABILITY = 0.5
#: A declared code is overruled only by a detection at least this sure...
OVERRULE_PROBABILITY = 0.99
#: ...of a text with at least this many characters.
OVERRULE_MIN_CHARS = 200
#: Characters of an article's text looked at, first a few, then more if the
#: guess was not sure: the detector's cost grows with the text. On BBC,
#: Reuters and 10kGNAD, 200 then 600 were as accurate as 2,000 at a quarter
#: to an eighth of the cost (docs/languages.md).
SAMPLES = (200, 600)
#: A guess this sure from the first sample needs no second look.
SURE = 0.9
#: Fewer letters than this is too little text to tell a language by.
MIN_LETTERS = 20
#: Detector labels that are no language ("zxx": no linguistic content).
NOT_LANGUAGES = frozenset({"zxx", "und"})

#: ISO 639-2/3 codes of languages with an ISO 639-1 code (BCP 47 prefers it).
_THREE_TO_TWO = {
    "eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es",
    "ita": "it", "por": "pt", "nld": "nl", "dut": "nl", "swe": "sv", "dan": "da",
    "nor": "no", "nob": "nb", "nno": "nn", "fin": "fi", "rus": "ru", "pol": "pl",
    "ces": "cs", "cze": "cs", "tur": "tr", "ell": "el", "gre": "el", "hun": "hu",
    "ron": "ro", "rum": "ro", "ara": "ar", "heb": "he", "zho": "zh", "chi": "zh",
    "jpn": "ja", "kor": "ko", "cat": "ca", "eus": "eu", "baq": "eu", "gle": "ga",
    "lit": "lt", "est": "et", "srp": "sr", "hin": "hi", "ind": "id", "fas": "fa",
    "per": "fa", "tam": "ta", "nep": "ne", "hye": "hy", "arm": "hy", "yid": "yi",
    "epo": "eo", "ukr": "uk",
}
#: Deprecated two-letter codes BCP 47 replaced.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}
_CODE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_\s].*)?$", re.DOTALL)
_LETTER = re.compile(r"[^\W\d_]")


def normalize_code(value: object) -> str | None:
    """The BCP 47 primary language subtag of a declared code, or None.

    ``"en-GB"``, ``"en_us"``, ``" DE-AT "`` → ``"en"``, ``"en"``, ``"de"``;
    ``"deu"`` → ``"de"``; ``"x-klingon"``, ``""``, ``"*"`` → None."""
    if not isinstance(value, str):
        return None
    match = _CODE.match(value)
    if not match:
        return None
    code = match.group(1).lower()
    code = _THREE_TO_TWO.get(code, code)
    return _RENAMED.get(code, code)


def region_of(value: object) -> str | None:
    """The region subtag of a declared code (``en-GB`` → ``GB``), or None."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^\s*[A-Za-z]{2,3}[-_]([A-Za-z]{2}|\d{3})\b", value)
    return match.group(1).upper() if match else None


@lru_cache(maxsize=1)
def _identifier():
    # Imported and loaded on first use: a search never pays for the model.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, float]:
    """(language code, probability) of `text`, or (None, p) when the
    detector is not sure enough (see MIN_PROBABILITY) or there is too
    little text."""
    if len(_LETTER.findall(text[:SAMPLES[-1]])) < MIN_LETTERS:
        return None, 0.0
    for size in SAMPLES:
        code, probability = _identifier().classify(text[:size])
        probability = float(probability)
        if probability >= SURE:
            break
    code = normalize_code(code)
    if code is None or code in NOT_LANGUAGES or probability < MIN_PROBABILITY:
        return None, probability
    return code, probability


def choose(declared: object, title: str, body: str) -> tuple[str | None, bool]:
    """The language to record for an article: (code, overruled), where
    `overruled` is True when the text confidently contradicted a declared
    code (the detected code is returned then)."""
    code = normalize_code(declared)
    text = f"{title}\n{body}" if title else body
    if code is not None:
        if len(text) < OVERRULE_MIN_CHARS:
            return code, False
        found, probability = detect(text)
        if found is not None and found != code and probability >= OVERRULE_PROBABILITY:
            return found, True
        return code, False
    return detect(text)[0], False


def assign(article) -> bool:
    """Set `article.language` to the normalised or detected code (see
    :func:`choose`); True if a declared code was overruled."""
    code, overruled = choose(article.language, article.title, article.body)
    article.language = code
    # CALL SITE, dates in the article's language (issue 17, waiting on 15b):
    # once search/dates.py's parse_date takes a language hint, an article
    # whose date text was unreadable is read again here with `code`
    # (readers keep the raw date text for it). Not done yet: no such hint.
    return overruled


def parse_codes(values: Sequence[str] | str) -> list[str]:
    """Language codes a user named (``--lang de,en``), normalised; raises
    QueryError for one that is not a language code."""
    from .errors import QueryError

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


def index_languages(reader) -> list[str | None]:
    """The analyses a query needs on an index: English (None: also the
    analysis of articles of unknown language) and every language of the
    index's articles that has its own (see analysis_lang)."""
    from .analysis_lang import DEFAULT, analysis_language

    found: list[str | None] = [None]
    for term in reader.lexicon("language"):
        code = term.decode("utf-8") if isinstance(term, bytes) else term
        language = analysis_language(code)
        if language != DEFAULT and language not in found:
            found.append(language)
    return found
