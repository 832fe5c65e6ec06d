"""Our own body extractor, in the readability family, working on the
BeautifulSoup tree. One of the voters in :mod:`html_body` (with trafilatura
and readability-lxml), not the whole answer any more:

1. drop what is never text (scripts, styles, forms, media, hidden elements) and
   what is named as boilerplate (nav, share tools, newsletter and cookie
   boxes, comments, "related"/"most read" lists, ads, captions, bylines), by
   tag, ARIA role, class/id words and boilerplate headings ("Most viewed",
   "Related Topics"); an element holding most of the page's text is kept
   whatever its name says;
2. score block containers by the paragraphs they hold (length, commas),
   discounted by link density, and pick the best one, widened to its parent
   when the story is split into sibling blocks;
3. walk the chosen container and emit its blocks as paragraphs, leaving out
   link lists ("Read more: …"), ad labels, the headline and byline lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import CData, Declaration, Doctype, ProcessingInstruction

from ...text.dates import parse_date
from .html_boiler import (
    AMP_DROP, BOILER_HEADING, CHROME_TAGS, DROP_ROLES, DROP_TAGS, LABELS, LEAD_IN, PART_WORDS,
    POSITIVE_WORDS, STRONG_PHRASES, STRONG_WORDS, WEAK_WORDS, attribute_text, words_of,
)
from .html_meta import _BY

BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "h1", "h2",
    "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "table",
    "thead", "tbody", "tfoot", "tr", "td", "th", "figure", "figcaption", "hr", "address",
    "center", "form", "fieldset", "details", "summary", "caption", "hgroup", "legend", "body",
    "html", "br",
}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIP_STRINGS = (Comment, CData, ProcessingInstruction, Declaration, Doctype)


def extract_body(soup: BeautifulSoup, title: str = "") -> list[str]:
    """The article's paragraphs (boilerplate removed); [] when there are none."""
    root = soup.body or soup
    remove_junk(root)
    sizes = TextSizes(root)
    remove_boilerplate(root, sizes)
    sizes = TextSizes(root)
    nodes = choose_content(root, sizes)
    paragraphs: list[str] = []
    for node in nodes:
        drop_link_boxes(node, sizes)
        paragraphs.extend(p.text for p in blocks(node) if keep_block(p))
    return tidy(paragraphs, title)


def remove_junk(root: Tag) -> None:
    """Drop what is never article text: code, media, forms, hidden elements."""
    doomed = []
    for el in root.find_all(True):
        name = el.name
        if name in DROP_TAGS or AMP_DROP.match(name):
            doomed.append(el)
            continue
        attrs = el.attrs
        if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
            doomed.append(el)
            continue
        style = attrs.get("style")
        if isinstance(style, str) and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I):
            doomed.append(el)
            continue
        role = attrs.get("role")
        if isinstance(role, str) and role.lower() in DROP_ROLES:
            doomed.append(el)
    for el in doomed:
        if el.parent is not None:  # not already gone with an ancestor
            el.decompose()


def remove_boilerplate(root: Tag, sizes: "TextSizes") -> None:
    """Drop elements named as boilerplate by tag, class/id words or their
    heading, unless they hold most of the page's text."""
    total = sizes.text(root) or 1
    for heading in root.find_all(list(HEADINGS)):
        if BOILER_HEADING.match(heading.get_text(" ").strip()):
            # A heading like "Most viewed" condemns the block it opens.
            parent = heading.parent
            if isinstance(parent, Tag) and parent.name not in ("body", "html", "article", "main"):
                first = next((c for c in parent.children if isinstance(c, Tag) or str(c).strip()), None)
                if first is heading:
                    parent.attrs["data-ns-boiler"] = "heading"
    doomed = []
    for el in root.find_all(True):
        if el.name in ("body", "html"):
            continue
        reason = boilerplate_reason(el)
        if not reason:
            continue
        share = sizes.text(el) / total
        if share > 0.5 and sizes.link_density(el) < 0.5 and (reason != "strong" or content_like(el)):
            continue  # the article itself, whatever its wrapper is called
        doomed.append(el)
    for el in doomed:
        if el.parent is not None:
            el.decompose()


def boilerplate_reason(el: Tag) -> str | None:
    if el.name in CHROME_TAGS:
        return "chrome"
    words = words_of(el)
    if words:
        if words & STRONG_WORDS or STRONG_PHRASES.search(" ".join(sorted(words)) + " " + attribute_text(el).lower()):
            return "strong"
        if words & WEAK_WORDS and not words & POSITIVE_WORDS:
            return "weak"
        if words & POSITIVE_WORDS and words & PART_WORDS:
            return "weak"
    if el.name in HEADINGS and BOILER_HEADING.match(el.get_text(" ").strip()):
        return "heading"
    if el.attrs.get("data-ns-boiler"):
        return "heading"
    return None


def content_like(el: Tag) -> bool:
    return bool(words_of(el) & POSITIVE_WORDS) or el.name in ("article", "main", "body") \
        or el.get("itemprop") == "articleBody"


class TextSizes:
    """Whitespace-collapsed text length and link-text length of every element,
    computed once bottom-up (iteratively)."""

    def __init__(self, root: Tag):
        self.total: dict[int, int] = {}
        self.links: dict[int, int] = {}
        order: list[Tag] = []
        stack = [root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(c for c in node.contents if isinstance(c, Tag))
        for node in reversed(order):  # children before parents
            total = links = 0
            for child in node.contents:
                if isinstance(child, Tag):
                    total += self.total.get(id(child), 0)
                    links += self.links.get(id(child), 0)
                elif isinstance(child, NavigableString) and not isinstance(child, SKIP_STRINGS):
                    total += len(" ".join(child.split()))
            if node.name == "a":
                links = total
            self.total[id(node)] = total
            self.links[id(node)] = links

    def text(self, el: Tag) -> int:
        return self.total.get(id(el), 0)

    def link_density(self, el: Tag) -> float:
        total = self.total.get(id(el), 0)
        return self.links.get(id(el), 0) / total if total else 0.0


def choose_content(root: Tag, sizes: TextSizes) -> list[Tag]:
    """The element(s) holding the article: readability-style scoring."""
    scores: dict[int, float] = {}  # tag and class bonus plus paragraph score
    content: dict[int, float] = {}  # paragraph score alone
    nodes: dict[int, Tag] = {}

    def init(node: Tag) -> None:
        if id(node) in scores:
            return
        base = {"div": 5, "article": 8, "main": 3, "section": 3, "pre": 3, "td": 3, "blockquote": 3,
                "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3,
                "form": -3, "th": -5}.get(node.name, 0)
        if node.name in HEADINGS:
            base = -5
        words = words_of(node)
        if words & POSITIVE_WORDS and not words & PART_WORDS:
            base += 25
        if words & (STRONG_WORDS | WEAK_WORDS):
            base -= 25
        if node.get("itemprop") == "articleBody":
            base += 25
        scores[id(node)] = float(base)
        content[id(node)] = 0.0
        nodes[id(node)] = node

    for para, length, commas in paragraphs_to_score(root):
        score = 1 + commas + min(length // 100, 3)
        for level, ancestor in enumerate(ancestors(para, 5)):
            if ancestor.name in ("html", "[document]"):
                break
            init(ancestor)
            share = score / (1 if level == 0 else 2 if level == 1 else level * 3)
            scores[id(ancestor)] += share
            content[id(ancestor)] += share

    if not scores:
        return [root]
    for key, node in nodes.items():
        scores[key] *= 1 - sizes.link_density(node)
        content[key] *= 1 - sizes.link_density(node)
    ranked = sorted(nodes.values(), key=lambda n: scores[id(n)], reverse=True)
    top = ranked[0]
    top_score = scores[id(top)]

    # Several strong candidates under one ancestor: the story is split up.
    alternatives = [n for n in ranked[1:5] if top_score and scores[id(n)] / top_score >= 0.75]
    if len(alternatives) >= 2:
        parent = top.parent
        while isinstance(parent, Tag) and parent.name not in ("body", "html"):
            inside = sum(1 for alt in alternatives if any(p is parent for p in alt.parents))
            if inside >= 2:
                top = parent
                break
            parent = parent.parent

    # Climb to an ancestor that holds more of the paragraphs (by paragraph
    # score alone: a wrapper called "main-content" earns nothing for its name).
    own = content.get(id(top), 0)
    parent = top.parent
    while isinstance(parent, Tag) and parent.name not in ("body", "html"):
        if id(parent) in content:
            if content[id(parent)] < own / 3:
                break
            if content[id(parent)] > own:
                top = parent
                break
        parent = parent.parent
    while isinstance(top.parent, Tag) and top.parent.name not in ("body", "html") \
            and len([c for c in top.parent.children if isinstance(c, Tag)]) == 1:
        top = top.parent

    # Siblings that belong with it (a story split by ad slots or wrappers).
    top_score = scores.get(id(top), 0)
    chosen = []
    parent = top.parent
    siblings = [c for c in parent.children if isinstance(c, Tag)] if isinstance(parent, Tag) else [top]
    threshold = max(10.0, top_score * 0.2)
    top_class = " ".join(top.get("class") or [])
    for sibling in siblings:
        if sibling is top:
            chosen.append(sibling)
            continue
        bonus = top_score * 0.2 if top_class and " ".join(sibling.get("class") or []) == top_class else 0
        if id(sibling) in scores and scores[id(sibling)] + bonus >= threshold:
            chosen.append(sibling)
        elif sibling.name == "p":
            text = " ".join(sibling.get_text().split())
            density = sizes.link_density(sibling)
            if (len(text) > 80 and density < 0.25) or (0 < len(text) <= 80 and density == 0 and re.search(r"\.( |$)", text)):
                chosen.append(sibling)
    return chosen


def drop_link_boxes(node: Tag, sizes: TextSizes) -> None:
    """Inside the story, remove boxes that are mostly links ("More
    information", "Keep reading" lists), headings and all."""
    whole = sizes.text(node) or 1
    for box in node.find_all(["div", "section", "ul", "ol", "dl", "table", "center"]):
        if box.decomposed:
            continue
        if sizes.link_density(box) > 0.5 and sizes.text(box) < whole / 2:
            box.decompose()


def ancestors(node: Tag, limit: int) -> Iterator[Tag]:
    """The node that holds a paragraph, then its ancestors (`limit` levels in all)."""
    current = node.parent if node.name in ("p", "pre") else node
    for _ in range(limit):
        if not isinstance(current, Tag):
            return
        yield current
        current = current.parent


def paragraphs_to_score(root: Tag) -> Iterator[tuple[Tag, int, int]]:
    """(element, text length, commas) for every paragraph-like element:
    ``<p>``, ``<pre>``, leaf ``<td>``, and blocks whose own text (not in child
    blocks) reads like a paragraph, as in ``<div>`` and ``<br>``-run pages."""
    for el in root.find_all(True):
        if el.name in ("p", "pre"):
            text = el.get_text()
        elif el.name not in BLOCK_TAGS or el.name in HEADINGS or el.name in ("li", "ul", "ol", "br"):
            continue
        else:
            own = own_text(el)
            if not own:
                continue
            text = own
        text = " ".join(text.split())
        if len(text) < 25:
            continue
        yield el, len(text), text.count(",") + text.count("，") + text.count("、")


def own_text(el: Tag) -> str:
    """Text of `el` outside its block-level children (inline markup included)."""
    parts = []
    stack = list(reversed(el.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in BLOCK_TAGS:
                continue
            stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, SKIP_STRINGS):
            parts.append(str(node))
    return "".join(parts)


@dataclass
class Block:
    text: str
    tag: str
    link_chars: int
    chars: int

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0


def blocks(node: Tag) -> Iterator[Block]:
    """Walk `node` and yield its text as paragraphs: every block element (and
    every ``<br>``) ends one."""
    parts: list[str] = []
    link_parts: list[int] = []
    tag_stack: list[str] = [node.name]

    def flush() -> Block | None:
        text = " ".join("".join(parts).split())
        link_chars = sum(link_parts)
        parts.clear()
        link_parts.clear()
        if text:
            return Block(text, tag_stack[-1], min(link_chars, len(text)), len(text))
        return None

    # Iterative walk with explicit enter/leave events.
    stack: list[tuple[Any, bool, bool]] = [(node, False, False)]
    while stack:
        item, leaving, in_link = stack.pop()
        if isinstance(item, Tag):
            block = item.name in BLOCK_TAGS
            if leaving:
                if block:
                    done = flush()
                    if done:
                        yield done
                    if item is not node:
                        tag_stack.pop()
                continue
            if item.name == "br":
                done = flush()
                if done:
                    yield done
                continue
            if block:
                done = flush()
                if done:
                    yield done
                if item is not node:
                    tag_stack.append(item.name)
            link = in_link or item.name == "a"
            stack.append((item, True, link))
            for child in reversed(item.contents):
                stack.append((child, False, link))
        elif isinstance(item, NavigableString) and not isinstance(item, SKIP_STRINGS):
            text = str(item)
            parts.append(text)
            if in_link:
                link_parts.append(len(" ".join(text.split())))
    done = flush()
    if done:
        yield done


def keep_block(block: Block) -> bool:
    text = block.text
    label = text.lower().strip(" :|·•-–—").rstrip(".")
    if label in LABELS or not re.search(r"\w", text):
        return bool(re.fullmatch(r"_{3,}", text))  # "___": wire services' section rule
    if block.link_density > 0.5:
        return False
    if LEAD_IN.match(text) and (len(text.split()) <= 25 or block.link_density > 0.3):
        return False
    if block.tag == "li" and block.link_density > 0.3:
        return False
    return True


def tidy(paragraphs: list[str], title: str, dedupe: bool = True) -> list[str]:
    """Drop the headline and byline/date lines that lead some bodies, and
    (with `dedupe`) exact repeats: walking the DOM, our extractor meets boxes
    that pages repeat for mobile and desktop. The libraries do not, and there
    a repeated paragraph is the story's own (a meal plan's "1 cup of ..."
    lines, a refrain)."""
    out: list[str] = []
    seen: set[str] = set()
    title_key = title.casefold().strip()
    started = False
    for para in paragraphs:
        key = para.casefold()
        if title_key and key == title_key:
            continue
        if not started and len(para.split()) <= 15 and (
                _BY.match(para) or any(parse_date_line(part) for part in re.split(r"\s[|·•]\s", para))):
            continue
        if len(para.split()) <= 15 and _READING_TIME.search(para):
            continue
        if dedupe and key in seen and len(para) > 40:
            continue
        seen.add(key)
        out.append(para)
        if len(para.split()) > 12:
            started = True
    return out


_READING_TIME = re.compile(r"\b\d+\s*(min|mins|minutes?)\.?\s+(read|reading|lesezeit|de lecture)\b", re.I)


def parse_date_line(text: str) -> bool:
    """A short line that is only a date ("Tuesday, 5 April 2011", "Jan 31, 2023")."""
    if not any(c.isdigit() for c in text) or len(text) > 60:
        return False
    stripped = re.sub(r"(?i)\b(published|updated|posted|on|at|gmt|bst|utc|et|am|pm|uhr)\b", " ", text)
    stripped = re.sub(r"[|·,:.]", " ", stripped)
    return parse_date(stripped) is not None and not re.search(r"[a-z]{3,}\s+[a-z]{3,}\s+[a-z]{3,}", stripped.lower())
