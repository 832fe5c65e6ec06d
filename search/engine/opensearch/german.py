"""The data of the German analysis in the mapping (the ``title.de`` and
``body.de`` sub-fields), made from what the embedded engine's German
analysis uses (`search.text.analysis_lang`, `search.text.decompound`), so
both engines analyse German words alike:

* **Stems.** OpenSearch 2.19's Snowball ``german2`` is an older German
  stemmer than PyStemmer's (3.x): on the 20,000 commonest words of 10kGNAD
  they disagree on 471 (``berichtet``: ``berichtet`` against ``bericht``;
  ``Sprecherin``; ``Regeln``). A ``stemmer_override`` gives the words of the
  German dictionary (wordfreq's list, 39,000 words: 89% of 10kGNAD's words
  as they occur) that ``german2`` stems otherwise the stem PyStemmer gives
  them (`STEMS_FILE`, 889 rules); ``german2`` stems every other word.
* **Compound parts.** Lucene's ``dictionary_decompounder`` over the same
  dictionary, without function words and derivational suffixes (which
  `decompound` never makes parts), words of 8 letters or more into parts
  of 4 or more. It takes every dictionary word found inside a word, where
  `decompound.split` takes the parts of the best split only: OpenSearch
  finds a part wherever the embedded engine does, and in more words
  (``Minister`` in ``Gesundheitsministerium``; docs/opensearch.md measures
  it on 10kGNAD).

Made once a process, on first use (the word list loads wordfreq's: about
0.5 s); the settings they fill (about 0.5 MB) are sent with each index
created.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

#: The filters of mapping.json this module fills.
COMPOUNDS_FILTER = "news_de_compounds"
STEMS_FILTER = "news_de_stems"


def fill(settings: dict[str, Any]) -> None:
    """Put the word list and stem rules into an index's analysis settings."""
    filters = settings["analysis"]["filter"]
    filters[COMPOUNDS_FILTER]["word_list"] = list(compound_parts())
    filters[STEMS_FILTER]["rules"] = list(stem_rules())


@lru_cache(maxsize=1)
def compound_parts() -> tuple[str, ...]:
    """The words a German compound may be split into (lower case, as the
    decompounder sees them: after ``ß`` → ``ss``, before folding)."""
    from ...text.decompound import MIN_PART, SUFFIXES, _stop_words, dictionary

    stops = _stop_words()
    return tuple(sorted(word for word in dictionary()
                        if len(word) >= MIN_PART and word not in SUFFIXES and word not in stops))


#: The stem rules: the words of the dictionary `german2` stems otherwise
#: than PyStemmer, made by `bench/opensearch_german_stems.py` (a test checks
#: it is current against the node the tests start).
STEMS_FILE = "german_stems.txt"


@lru_cache(maxsize=1)
def stem_rules() -> tuple[str, ...]:
    """``folded => stem`` rules (the file's lines but comments)."""
    text = resources.files(__package__).joinpath(STEMS_FILE).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def our_stems() -> dict[str, str]:
    """Each dictionary word as the stemmer sees it (folded) → the stem the
    embedded engine gives it (`analysis_lang.word_terms`)."""
    from ...text.analysis import fold
    from ...text.analysis_lang import word_terms
    from ...text.decompound import dictionary

    terms = word_terms("de")
    stems: dict[str, str] = {}
    for word in dictionary():
        folded = fold(word)
        parts, _ = terms(word)
        # Short or non-letter words are not stemmed (news_de_not_stemmed),
        # and a word the tokenizer splits never reaches the stemmer whole.
        if len(parts) == 1 and len(folded) >= 3 and folded.isalpha() and folded.isascii():
            stems.setdefault(folded, parts[0][0])
    return stems


def differing_rules(client, batch: int = 2000) -> list[str]:
    """The rules for `STEMS_FILE`: each dictionary word OpenSearch's German
    stemmer (as mapping.json sets it up, asked through `_analyze`) stems
    otherwise than the embedded engine, with the embedded engine's stem."""
    from .mapping import load_mapping

    filters = load_mapping()["settings"]["analysis"]["filter"]
    chain = [filters["news_de_not_stemmed"], filters["news_de_stemmer"]]
    ours = our_stems()
    words = sorted(ours)
    rules = []
    for start in range(0, len(words), batch):
        chunk = words[start:start + batch]
        answer = client.indices.analyze(body={"tokenizer": "whitespace", "filter": chain,
                                              "text": " ".join(chunk)})
        theirs = [token["token"] for token in answer["tokens"]]
        assert len(theirs) == len(chunk), "the stemmer must give one token a word"
        rules.extend(f"{word} => {ours[word]}" for word, stem in zip(chunk, theirs)
                     if stem != ours[word])
    return rules
