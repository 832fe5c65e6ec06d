"""The languages the embedded engine stems with Snowball, other than English
and German, as OpenSearch analysis: one analyzer a Snowball algorithm, and
per-language fields that only that language's articles fill.

Why routed fields and not sub-fields (as German's ``.de``): a sub-field
analyses every article's text again, German or not (measured: a third
slower bulk loads). Twenty-nine more would analyse every text thirty times.
So ``to_source`` copies an article's title and body into
``i18n.<code>.title`` / ``.body`` only for an article in language
``<code>`` (`routed_fields`), each mapped with that language's analyzer,
and `languages.by_language` asks a text clause of those fields for those
articles. The copies are left out of ``_source`` (the mapping's
``_source.excludes``): `export` and `get` read ``title`` and ``body``.

What each analyzer does, as `search.text.analysis_lang` does for the
language:

* the tokenizer and compound parts of ``news_index``;
* case and accents folded the way `analysis.fold` folds them, before the
  stemmer for Latin-script languages (a ``mapping`` char filter made from
  `fold` itself, so ``ø``, ``æ``, ``ı`` stay letters of their own, where
  Lucene's ``asciifolding`` would change them: Danish, Norwegian, Turkish)
  and after it for the scripts where a diacritic makes another letter
  (`STEM_BEFORE_FOLDING`: ``pattern_replace`` filters made from `fold`);
* words of one or two letters, or with a non-letter (a mark too, as
  Python's ``isalpha`` counts it), unstemmed;
* stop words kept, as the embedded engine keeps them in every language;
* Lucene's Snowball stemmer of the language (analysis-common's
  ``snowball`` filter), with a ``stemmer_override`` for the words of the
  language's wordfreq list it stems otherwise than PyStemmer's newer
  Snowball (`STEMS_FILE`, made by ``bench/opensearch_snowball_stems.py``;
  a test checks it against the node).

Czech, Esperanto, Persian, Polish and Sesotho have no Snowball stemmer in
Lucene 9.12: their articles are analysed as English here.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

from ...text.analysis import fold
from ...text.analysis_lang import DEFAULT, SNOWBALL, STEM_BEFORE_FOLDING, supported

#: PyStemmer's Snowball algorithms that Lucene 9.12 (OpenSearch 2.19) ships
#: (org.tartarus.snowball.ext) → the name its ``snowball`` filter takes.
#: Snowball 3's Dutch is a new algorithm, Lucene's ``Kp`` (Kraaij-Pohlmann)
#: in all but 34 of the 19,367 commonest Dutch words, where Lucene's
#: ``Dutch`` (the old Porter-style one) differs in 7,609.
LUCENE_SNOWBALL = {name: name.capitalize() for name in (
    "arabic", "armenian", "basque", "catalan", "danish", "estonian", "finnish",
    "french", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
    "spanish", "swedish", "tamil", "turkish", "yiddish")} | {"dutch": "Kp"}
#: Languages with analysis of their own elsewhere (the main fields, ``.de``).
ELSEWHERE = frozenset({DEFAULT, "de"})
#: Where the routed fields live in a document.
ROOT = "i18n"
#: The text fields copied into a language's fields.
FIELDS = ("title", "body")
#: English is the main fields' analysis (``news_index``, ``news_query``);
#: its stem rules are made and kept as the others'.
ENGLISH = "english"
ENGLISH_ANALYZERS = {"index": "news_index", "query": "news_query"}
#: Stem rules, one ``algorithm: folded => stem`` a line.
STEMS_FILE = "snowball_stems.txt"
#: Unicode blocks whose letters `fold` may change: Latin (Latin-1 to
#: Extended-B, Extended Additional), and the others: combining marks, Greek
#: (and Extended), Cyrillic, Armenian, Hebrew, Arabic, Devanagari, Tamil.
_LATIN = ((0xA0, 0x250), (0x1E00, 0x1F00))
_OTHERS = ((0x300, 0x370), (0x370, 0x400), (0x400, 0x500), (0x530, 0x590), (0x590, 0x600),
           (0x600, 0x700), (0x900, 0x980), (0xB80, 0xC00), (0x1F00, 0x2000))


def routed() -> tuple[str, ...]:
    """Language codes with fields of their own under `ROOT`."""
    return tuple(sorted(code for code in supported()
                        if code not in ELSEWHERE and SNOWBALL[code] in LUCENE_SNOWBALL))


def field(code: str, name: str) -> str:
    """The routed field of text field `name` for language `code`."""
    return f"{ROOT}.{code}.{name}"


def routed_fields(article) -> dict[str, Any]:
    """What `bulk.to_source` adds for an article: its title and body under
    its language's fields, or nothing (English, German, unsupported, empty)."""
    code = article.language
    if code not in _routed_set():
        return {}
    texts = {name: getattr(article, name) for name in FIELDS if getattr(article, name)}
    return {ROOT: {code: texts}} if texts else {}


@lru_cache(maxsize=1)
def _routed_set() -> frozenset[str]:
    return frozenset(routed())


def fill(body: dict[str, Any]) -> None:
    """Put the analyzers and the routed fields into an index body."""
    analysis = body["settings"]["analysis"]
    chars = analysis.setdefault("char_filter", {})
    for name, blocks, marks in (("news_fold", _LATIN + _OTHERS, True),
                                ("news_fold_latin", _LATIN, True),
                                ("news_fold_scripts", _OTHERS, False)):
        chars[name] = {"type": "mapping", "mappings": [f"{_escape(k)} => {_escape(v)}"
                                                       for k, v in fold_map(blocks, marks).items()]}
    _fold_scripts(analysis["analyzer"])
    filters = analysis["filter"]
    after = []
    for number, (target, letters) in enumerate(sorted(fold_groups().items())):
        name = f"news_fold_after_{number}"
        filters[name] = {"type": "pattern_replace", "pattern": f"[{''.join(letters)}]",
                         "replacement": target, "all": True}
        after.append(name)
    filters["news_short_not_stemmed"] = {"type": "keyword_marker",
                                         "keywords_pattern": ".{1,2}|.*[^\\p{L}].*"}
    rules = stem_rules()
    for algorithm in sorted({SNOWBALL[code] for code in routed()}):
        chain = ["news_short_not_stemmed"]
        if rules.get(algorithm):
            filters[f"news_{algorithm}_stems"] = {"type": "stemmer_override",
                                                  "rules": list(rules[algorithm])}
            chain.append(f"news_{algorithm}_stems")
        filters[f"news_{algorithm}_stemmer"] = {"type": "snowball",
                                                "language": LUCENE_SNOWBALL[algorithm]}
        chain.append(f"news_{algorithm}_stemmer")
        _analyzers(analysis["analyzer"], algorithm, chain, after)
    _english_rules(analysis, rules.get(ENGLISH, ()))
    properties = {code: {"properties": {name: {
        "type": "text", "analyzer": f"news_{SNOWBALL[code]}_index",
        "search_analyzer": f"news_{SNOWBALL[code]}_query"} for name in FIELDS}}
        for code in routed()}
    body["mappings"]["properties"][ROOT] = {"properties": properties}
    body["mappings"].setdefault("_source", {}).setdefault("excludes", []).append(ROOT)


#: The main fields' analyzers (English, and the unstemmed ``.words``).
MAIN_ANALYZERS = ("news_index", "news_query", "news_words_index", "news_words_query")


def _fold_scripts(analyzers: dict) -> None:
    """The main fields fold the letters of other scripts as `fold` does
    (Russian ``й`` → ``и``, Greek ``ά`` → ``α``), which ``asciifolding``
    leaves alone: a Russian word in an English-analysed article, a pattern
    and a "did you mean" on ``.words`` then meet the embedded engine's
    terms. Latin letters stay ``asciifolding``'s (the known differences of
    `ø`, `œ`, `ł`, pinned by a test)."""
    for name in MAIN_ANALYZERS:
        analyzers[name]["char_filter"] = ["news_fold_scripts"]


def _english_rules(analysis: dict, rules: tuple[str, ...]) -> None:
    """PyStemmer's English (Snowball 3) parts from Lucene's ``porter2`` too
    (``university``: ``universiti`` against ``univers``): the same
    override, before the main fields' stemmer."""
    if not rules:
        return
    analysis["filter"]["news_english_stems"] = {"type": "stemmer_override",
                                                "rules": list(rules)}
    for name in ENGLISH_ANALYZERS.values():
        chain = analysis["analyzer"][name]["filter"]
        chain.insert(chain.index("news_stemmer"), "news_english_stems")


def _analyzers(analyzers: dict, algorithm: str, stemming: list[str], after: list[str]) -> None:
    """``news_<algorithm>_index`` and ``_query``. Latin-script languages are
    folded (the char filter) before the stemmer; the others have their
    script folded after it, Latin letters before (their stemmer leaves
    Latin words alone, so before or after is the same)."""
    codes = [code for code in routed() if SNOWBALL[code] == algorithm]
    fold_first = any(code not in STEM_BEFORE_FOLDING for code in codes)
    for kind in ("index", "query"):
        parts = ["news_parts_index", "flatten_graph"] if kind == "index" else ["news_parts_query"]
        analyzers[f"news_{algorithm}_{kind}"] = {
            "type": "custom", "tokenizer": "news_words",
            "char_filter": ["news_fold" if fold_first else "news_fold_latin"],
            "filter": [*parts, "lowercase", *stemming, *([] if fold_first else after)]}


def _escape(text: str) -> str:
    # A mapping rule's sides as \\uXXXX escapes: no character of the rule
    # syntax (=, >, spaces, quotes) can then be misread.
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _chars(blocks, marks: bool = True):
    for start, end in blocks:
        for point in range(start, end):
            char = chr(point)
            if unicodedata.category(char)[0] in ("LM" if marks else "L"):
                yield char


def _is_word(text: str) -> bool:
    return all(unicodedata.category(c)[0] in "LM" for c in text)


@lru_cache(maxsize=None)
def fold_map(blocks, marks: bool = True) -> dict[str, str]:
    """Each letter (or mark) of `blocks` that `fold` changes otherwise than
    lower-casing does → its folded form (the lowercase filter does the rest).
    Without marks, for an analyzer whose tokenizer must still split at a
    combining mark, as the embedded tokenizer does."""
    return {c: fold(c) for c in _chars(blocks, marks)
            if fold(c) != c.lower() and _is_word(fold(c))}


@lru_cache(maxsize=1)
def fold_groups() -> dict[str, tuple[str, ...]]:
    """Folded form → the lower-case letters and marks of the non-Latin
    blocks that `fold` turns into it (one ``pattern_replace`` each, after a
    stemmer that saw them unfolded)."""
    groups: dict[str, list[str]] = {}
    for char in _chars(_OTHERS):
        folded = fold(char)
        if char == char.lower() and folded != char and _is_word(folded):
            groups.setdefault(folded, []).append(_pattern_char(char))
    return {target: tuple(chars) for target, chars in groups.items()}


def _pattern_char(char: str) -> str:
    return f"\\x{{{ord(char):x}}}"  # Java regex: no mark is misread standing alone


@lru_cache(maxsize=1)
def stem_rules() -> dict[str, tuple[str, ...]]:
    """Algorithm → its ``folded => stem`` rules (`STEMS_FILE`)."""
    text = resources.files(__package__).joinpath(STEMS_FILE).read_text(encoding="utf-8")
    rules: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            algorithm, rule = line.split(": ", 1)
            rules.setdefault(algorithm, []).append(rule)
    return {algorithm: tuple(found) for algorithm, found in rules.items()}


# --- the stem rules: where Lucene's Snowball and PyStemmer's part ----------------------

#: Words of each language's wordfreq list compared (the commonest).
RULE_WORDS = 20_000


def our_stems(algorithm: str) -> dict[str, str]:
    """The commonest words of a language (wordfreq's list), each as the
    stemmer sees it (folded first or not) → the embedded engine's term."""
    import wordfreq

    from ...text.analysis_lang import word_terms

    codes = [DEFAULT] if algorithm == ENGLISH else \
        [code for code in routed() if SNOWBALL[code] == algorithm]
    listed = [code for code in codes if code in wordfreq.available_languages()]
    if not listed:
        return {}
    terms, fold_first = word_terms(listed[0]), listed[0] not in STEM_BEFORE_FOLDING
    stems: dict[str, str] = {}
    for word in wordfreq.top_n_list(listed[0], RULE_WORDS):
        lowered = word.lower()
        parts, _ = terms(word)
        # Only words the stemmer sees whole and stems (see analysis_lang).
        if len(parts) == 1 and len(lowered) >= 3 and lowered.isalpha() and " " not in word:
            stems.setdefault(fold(lowered) if fold_first else lowered, parts[0][0])
    return stems


def differing_rules(client, algorithm: str, batch: int = 2000) -> list[str]:
    """The rules for `STEMS_FILE` of one algorithm: each listed word that
    the mapping's analyzer, without the rules, stems otherwise than the
    embedded engine (asked through `_analyze`), with the embedded stem."""
    from .mapping import load_mapping

    analysis = load_mapping()["settings"]["analysis"]
    analyzer = analysis["analyzer"][ENGLISH_ANALYZERS["query"] if algorithm == ENGLISH
                                    else f"news_{algorithm}_query"]
    chain = [analysis["filter"].get(name, name) for name in analyzer["filter"]
             if name not in ("news_parts_query", f"news_{algorithm}_stems")]
    chars = [analysis["char_filter"][name] for name in analyzer.get("char_filter", [])]
    ours = our_stems(algorithm)
    words = sorted(ours)
    rules = []
    for start in range(0, len(words), batch):
        chunk = words[start:start + batch]
        answer = client.indices.analyze(body={"tokenizer": "whitespace", "char_filter": chars,
                                              "filter": chain, "text": " ".join(chunk)})
        theirs = [token["token"] for token in answer["tokens"]]
        assert len(theirs) == len(chunk), "the stemmer must give one token a word"
        rules.extend(f"{word} => {ours[word]}" for word, stem in zip(chunk, theirs)
                     if stem != ours[word])
    return rules
