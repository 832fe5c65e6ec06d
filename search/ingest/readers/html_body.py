"""The article body of an HTML page: three extractors vote, then fallbacks.

Three extractors read every page: trafilatura, readability-lxml and our own
(:mod:`html_own`). Each is right on most pages and badly wrong on a few (the
wrong box, half the story, the comment thread), and they are rarely wrong on
the same page in the same way. So the body is the *consensus* candidate: the
one whose bag of words agrees best (token F1) with the other two. When two
agree and one has wandered off, one of the two wins; trafilatura, the best
single extractor on the dev pages, breaks ties. Measured on 141 real pages of
the Zyte benchmark (``bench/bench_html.py``, docs/html-extraction.md), the
vote beats each extractor alone.

When none of them finds anything convincing (fewer than
:data:`CONVINCING_WORDS` words), the page may still say what its story is:
the JSON-LD ``articleBody`` (LA Times pages carry their full text there), then
``og:description`` / ``meta description``. The longest of these wins, and the
route that produced the body is recorded (:attr:`Body.route`, the article's
``extraction`` field).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from bs4 import BeautifulSoup

from . import html_own
from .html_meta import JsonLd, clean

#: A body with fewer words is not convincing: the fallbacks are asked too.
CONVINCING_WORDS = 30
#: A box named as boilerplate is removed before extraction when it holds
#: less than this share of the page's text.
SMALL_BOX = 0.1
#: A paragraph of the winner stays when another extractor has this share of its words.
SUPPORT = 0.5
#: A winner in fewer paragraphs than this may be one wall of text ...
WALL_PARAGRAPHS = 3
#: ... and a candidate agreeing this well (token F1) has the same text.
SAME_TEXT = 0.9
#: Lines under a boilerplate heading this short (without a full stop) are its list.
RUN_LINE_WORDS = 12
#: The extractors, in order of preference when their votes tie.
EXTRACTORS = ("trafilatura", "readability", "newssearch")

_WORD = re.compile(r"\w+")


@dataclass
class Body:
    """The article text as paragraphs, and which route produced it
    ("trafilatura", "readability", "newssearch", "json-ld", "meta-description")."""

    paragraphs: list[str]
    route: str | None

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def extract_body(soup: BeautifulSoup, title: str, ld: JsonLd, meta: dict[str, list[str]]) -> Body:
    """The body of one page: `soup` is its parse (consumed: the libraries get
    it cleaned, then our extractor prunes it), `ld` and `meta` its JSON-LD and
    meta tags, read before."""
    cleaned = preclean(soup)
    candidates = {
        "trafilatura": run(trafilatura_paragraphs, cleaned),
        "readability": run(readability_paragraphs, cleaned),
        "newssearch": run(lambda _: html_own.extract_body(soup, title), cleaned),
    }
    body = consensus(candidates)
    # (No second de-duplication: our own candidate was de-duplicated already.)
    body.paragraphs = html_own.tidy(drop_boiler_runs([p for p in body.paragraphs if keep(p)]), title,
                                    dedupe=False)
    if body.words >= CONVINCING_WORDS:
        return body
    if sum(1 for paras in candidates.values() if paras) < 2:
        # One extractor alone with a few lines: a list of links on a section
        # page, not a story.
        body = Body([], None)
    fallbacks = [body, Body(json_ld_paragraphs(ld), "json-ld"),
                 Body(description_paragraphs(meta), "meta-description")]
    best = max(fallbacks, key=lambda b: b.words)  # first of equals: the extractors
    return best if best.words else Body([], None)


def preclean(soup: BeautifulSoup) -> str:
    """The page without what is never article text, as HTML for the
    libraries (they keep some of it): scripts, templates, hidden elements,
    navigation (our own first pruning step), and small boxes that name
    themselves as boilerplate by a strong class/id word (captions, sign-up
    prompts, share tools). Boxes holding a large share of the text stay:
    dropping every element named like boilerplate, the way our own extractor
    does, cost the vote 0.06 F1 on the dev pages."""
    root = soup.body or soup
    html_own.remove_junk(root)
    sizes = html_own.TextSizes(root)
    total = sizes.text(root) or 1
    doomed = [el for el in root.find_all(True)
              if sizes.text(el) < SMALL_BOX * total and html_own.boilerplate_reason(el) == "strong"]
    for el in doomed:
        if el.parent is not None:
            el.decompose()
    return str(soup)


def run(extractor: Callable[[str], list[str]], text: str) -> list[str]:
    """One extractor's paragraphs; a library failing on a page counts as
    finding nothing there (the others still vote)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [p for p in (" ".join(p.split()) for p in extractor(text)) if p]
    except RecursionError:
        raise  # the caller reports a page nested too deeply
    except Exception:  # noqa: BLE001 - a library's parser surprise on one page
        return []


def consensus(candidates: dict[str, list[str]]) -> Body:
    """The candidate that agrees best with the others (sum of token F1)."""
    bags = {name: Counter(_WORD.findall(" ".join(paras).lower())) for name, paras in candidates.items()}
    present = [name for name in EXTRACTORS if bags.get(name)]
    if not present:
        return Body([], None)
    agreement = {name: sum(token_f1(bags[name], bags[other]) for other in present if other != name)
                 for name in present}
    winner = max(present, key=lambda name: agreement[name])  # max keeps the first of equals
    winner = better_paragraphs(winner, candidates, bags)
    others = [bags[name] for name in present if name != winner]
    return Body([p for p in candidates[winner] if supported(p, others)], winner)


def better_paragraphs(winner: str, candidates: dict[str, list[str]], bags: dict[str, Counter]) -> str:
    """The same text cut into paragraphs: a winner that is one wall of text
    (a table-layout page read as one table row) gives way to a candidate with
    the same words in more paragraphs."""
    if len(candidates[winner]) >= WALL_PARAGRAPHS:
        return winner
    same = [name for name in EXTRACTORS if name != winner and bags.get(name)
            and token_f1(bags[winner], bags[name]) >= SAME_TEXT
            and len(candidates[name]) >= WALL_PARAGRAPHS]
    return same[0] if same else winner


def supported(paragraph: str, others: list[Counter]) -> bool:
    """True unless no other extractor has most of this paragraph's words: a
    box only the winner took in (a newsletter plug, a caption) is dropped."""
    words = Counter(_WORD.findall(paragraph.lower()))
    if not others or not words:
        return True
    total = sum(words.values())
    return any(sum((words & bag).values()) >= SUPPORT * total for bag in others)


def token_f1(a: Counter, b: Counter) -> float:
    """F1 of two bags of words."""
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(b.values()), common / sum(a.values())
    return 2 * precision * recall / (precision + recall)


def keep(paragraph: str) -> bool:
    """Not a label ("Advertisement") or a lead-in to other stories ("READ MORE: …")."""
    label = paragraph.lower().strip(" :|·•-–—").rstrip(".")
    if label in html_own.LABELS:
        return False
    return not (html_own.LEAD_IN.match(paragraph) and len(paragraph.split()) <= 25)


def drop_boiler_runs(paragraphs: list[str]) -> list[str]:
    """Drop a boilerplate heading ("Most read", "Also in this week's Echo:")
    and the run of short lines under it (the headlines it lists)."""
    out: list[str] = []
    in_run = False
    for para in paragraphs:
        if html_own.BOILER_HEADING.match(para):
            in_run = True
            continue
        if in_run and len(para.split()) <= RUN_LINE_WORDS and not para.rstrip().endswith((".", "!", "?", '"', "”")):
            continue
        in_run = False
        out.append(para)
    return out


# -- the extractors -------------------------------------------------------------

def trafilatura_paragraphs(text: str) -> list[str]:
    """trafilatura's main text. `fast` (no fallback to its own readability and
    jusText ports) measured better in the vote, and is a third faster."""
    import trafilatura  # imported on first use: only indexing HTML needs it

    result = trafilatura.extract(text, fast=True, include_comments=False, include_tables=True,
                                 include_images=False, include_links=False)
    return result.split("\n") if result else []


def readability_paragraphs(text: str) -> list[str]:
    """readability-lxml's article HTML, cut into paragraphs at block elements."""
    from readability import Document  # imported on first use, as above

    summary = Document(text).summary(html_partial=True)
    root = BeautifulSoup(summary, "lxml")
    return [block.text for block in html_own.blocks(root)]


# -- the fallbacks ------------------------------------------------------------------

def json_ld_paragraphs(ld: JsonLd) -> list[str]:
    """The JSON-LD ``articleBody`` (markup inside it removed)."""
    value = ld.get("articleBody")
    if not isinstance(value, str):
        value = next((o["articleBody"] for o in ld.objects if isinstance(o.get("articleBody"), str)), "")
    if "<" in value:  # some sites put the story's HTML in there
        value = BeautifulSoup(value, "lxml").get_text("\n")
    return [p for p in (clean(line) for line in value.split("\n")) if p]


def description_paragraphs(meta: dict[str, list[str]]) -> list[str]:
    """The longest of og:description, description and twitter:description."""
    values = [clean(v) for key in ("og:description", "description", "twitter:description")
              for v in meta.get(key, [])]
    best = max(values, key=len, default="")
    return [best] if best else []
