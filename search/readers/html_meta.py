"""HTML page metadata: title, date, authors, site, section, tags, language, URL.

Metadata comes from what the page declares about itself, in this order of
trust: Open Graph / ``article:*`` meta tags, JSON-LD (``NewsArticle`` and
friends, also inside ``@graph`` and lists, with ``@id`` references resolved),
other common meta names, then visible markup (``<h1>``, ``<time>``, bylines).
Nothing is guessed: a page that does not state its date, author or site keeps
them unknown.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from ..dates import parse_date
from .html_boiler import in_boilerplate, words_of

if TYPE_CHECKING:
    from .html import Page

ARTICLE_TYPES = {
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "blogposting",
    "liveblogposting", "report", "satiricalarticle", "techarticle", "scholarlyarticle",
    "socialmediaposting", "advertisercontentarticle", "askpublicnewsarticle",
}

#: Meta names (lower case) that carry the publication date, most trusted first.
DATE_META = (
    "article:published_time", "og:article:published_time", "article:published",
    "datepublished", "date", "pubdate", "publishdate", "publish-date", "publish_date",
    "publication_date", "published-date", "dc.date", "dc.date.issued", "dc.date.created",
    "dcterms.date", "dcterms.issued", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "article.published", "og:published_time", "originalpublicationdate",
    "cxenseparse:recs:publishtime",
)
SECTION_META = ("article:section", "articlesection", "section", "parsely-section", "article.section")
TAG_META = ("article:tag", "news_keywords", "keywords")


def read_metadata(soup: BeautifulSoup, page: Page) -> tuple[dict[str, list[str]], "JsonLd"]:
    """Fill `page` with everything but the body; return the page's meta tags
    and JSON-LD (the body's fallbacks read them too)."""
    meta = meta_values(soup)
    ld = JsonLd(soup)

    def first(*names: str) -> str | None:
        return next((v for n in names for v in meta.get(n, []) if v), None)

    page.source = clean(first("og:site_name") or ld.publisher() or first("application-name")) or None
    page.url = canonical_url(soup, first("og:url"))
    page.title = find_title(soup, meta, ld, page.source)

    published = None
    for value in [ld.get("datePublished"), ld.get("dateCreated")] + [
            v for n in DATE_META for v in meta.get(n, [])] + time_values(soup):
        published = parse_date(value) if isinstance(value, str) else None
        if published:
            break
    page.published = published

    page.authors = find_authors(soup, meta, ld, page.source)

    section = first(*SECTION_META)
    if not section:
        ld_section = ld.get("articleSection")
        section = ld_section[0] if isinstance(ld_section, list) and ld_section else ld_section
    page.section = clean(section) or None

    tags: list[str] = []
    for name in TAG_META[:2]:
        for value in meta.get(name, []):
            tags.extend(split_list(value))
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        tags.extend(split_list(keywords))
    elif isinstance(keywords, list):
        tags.extend(clean(k) for k in keywords if isinstance(k, str))
    for value in meta.get("keywords", []):
        tags.extend(split_list(value))
    page.tags = unique(t for t in tags if t and len(t) <= 80)

    html_tag = soup.find("html")
    languages = []
    if isinstance(html_tag, Tag):
        languages += [html_tag.get("lang"), html_tag.get("xml:lang")]
    languages += meta.get("og:locale", []) + meta.get("content-language", [])
    languages += meta.get("language", []) + meta.get("dc.language", [])
    in_language = ld.get("inLanguage")
    languages.append(in_language if isinstance(in_language, str) else None)
    page.language = next((code for code in map(language_code, languages) if code), None)
    return meta, ld


def meta_values(soup: BeautifulSoup) -> dict[str, list[str]]:
    """Every ``<meta>`` as lower-cased name/property/itemprop/http-equiv → contents."""
    values: dict[str, list[str]] = {}
    for tag in soup.find_all("meta"):
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = tag.get(attr)
            if isinstance(key, str) and key.strip():
                values.setdefault(key.strip().lower(), []).append(content.strip())
    return values


class JsonLd:
    """The page's JSON-LD objects, with the article object picked out."""

    def __init__(self, soup: BeautifulSoup):
        self.objects: list[dict] = []
        for script in soup.find_all("script"):
            kind = script.get("type")
            if isinstance(kind, str) and kind.strip().lower() == "application/ld+json":
                data = load_json(script.string or script.get_text())
                if data is not None:
                    self._collect(data)
        self.by_id = {o["@id"]: o for o in self.objects if isinstance(o.get("@id"), str)}
        self.article = next((o for o in self.objects if types(o) & ARTICLE_TYPES), None)

    def _collect(self, data: Any, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(data, list):
            for item in data:
                self._collect(item, depth + 1)
        elif isinstance(data, dict):
            self.objects.append(data)
            for key in ("@graph", "mainEntity"):  # not lists of other stories
                if isinstance(data.get(key), (list, dict)):
                    self._collect(data[key], depth + 1)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and len(value) <= 2:
            return self.by_id.get(value["@id"], value)
        return value

    def get(self, key: str) -> Any:
        return self.article.get(key) if self.article else None

    def publisher(self) -> str | None:
        candidates = [self.get("publisher")]
        candidates += [o for o in self.objects if types(o) & {"newsmediaorganization"}]
        for value in candidates:
            for item in value if isinstance(value, list) else [value]:
                item = self.resolve(item)
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    return item["name"]
                if isinstance(item, str) and not item.startswith("http"):
                    return item
        return None

    def names(self, value: Any) -> list[str]:
        """Names from an author value: string, object, @id reference or a list."""
        if isinstance(value, str):
            return split_names(value)
        if isinstance(value, list):
            return [n for item in value[:20] for n in self.names(item)]
        value = self.resolve(value)
        if isinstance(value, dict):
            name = value.get("name")
            if isinstance(name, (list, dict)):
                return self.names(name)
            if isinstance(name, str):
                return [clean(name)] if clean(name) else []
        return []


def types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def load_json(text: str | None) -> Any:
    """Parse a JSON-LD block, forgiving the usual damage (comments, CDATA,
    trailing commas, raw newlines in strings); None when it cannot be read."""
    if not text or not text.strip():
        return None
    text = text.strip()
    for attempt in range(3):
        try:
            return json.loads(text, strict=False)
        except ValueError:
            pass
        if attempt == 0:
            text = re.sub(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$", "", text)
            text = text.strip().rstrip(";")
        else:
            text = re.sub(r",\s*([}\]])", r"\1", text)
    return None


def canonical_url(soup: BeautifulSoup, og_url: str | None) -> str | None:
    """The page's own address: ``<link rel=canonical>``, else og:url (absolute only)."""
    base = og_url if og_url and og_url.startswith(("http://", "https://")) else None
    base_tag = soup.find("base", href=True)
    if base is None and isinstance(base_tag, Tag) and str(base_tag["href"]).startswith("http"):
        base = str(base_tag["href"])
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        rels = rel if isinstance(rel, list) else str(rel).split()
        if "canonical" in [r.lower() for r in rels]:
            href = str(link["href"]).strip()
            if base and not href.startswith(("http://", "https://")):
                href = urljoin(base, href)
            if href.startswith(("http://", "https://")):
                return href
    return base


_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|·|•)\s+")


def find_title(soup: BeautifulSoup, meta: dict[str, list[str]], ld: JsonLd, source: str | None) -> str:
    """og:title, twitter:title, JSON-LD headline, the article's ``<h1>``, then
    ``<title>`` without its site-name part."""
    for value in meta.get("og:title", []) + meta.get("twitter:title", []) + [ld.get("headline")]:
        if isinstance(value, str) and clean(value):
            return strip_site(clean(value), source)
    title_tag = soup.find("title")
    title_text = clean(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    h1 = best_h1(soup, title_text, source)
    if h1:
        return h1
    if not title_text:
        return ""
    title = strip_site(title_text, source)
    if title != title_text:
        return title
    parts = _TITLE_SEPARATORS.split(title_text)
    if len(parts) > 1:
        # The headline is the part the page also shows as text; else the longest part.
        shown = {clean(t.get_text()) for t in soup.find_all(["b", "strong", "h2", "h3", "font"], limit=500)}
        for part in parts:
            if part in shown:
                return part
        return max(parts, key=lambda p: len(p.split()))
    return title_text


def strip_site(title: str, source: str | None) -> str:
    """Cut a leading or trailing " | Site" from a title when it names the site."""
    if not source:
        return title
    matches = list(_TITLE_SEPARATORS.finditer(title))
    if not matches:
        return title
    site = source.casefold().removeprefix("the ")
    last, first = matches[-1], matches[0]
    if title[last.end():].casefold().removeprefix("the ") == site:
        head = title[:last.start()]
        # "Headline | Section | Site": the headline is the first part.
        return head.split(" | ")[0] if "|" in last.group() else head
    if title[:first.start()].casefold().removeprefix("the ") == site:
        return title[first.end():]
    return title


def best_h1(soup: BeautifulSoup, title_text: str, source: str | None) -> str | None:
    """The headline ``<h1>``: not the site logo; one inside the article or
    repeated in ``<title>`` is preferred."""
    best, best_rank = None, None
    for index, h1 in enumerate(soup.find_all("h1")):
        text = clean(h1.get_text(" "))
        if not text or len(text) > 300:
            continue
        if source and text.casefold() == source.casefold():
            continue
        if words_of(h1) & {"logo", "brand", "masthead"} or h1.find("img") and len(text) < 40:
            continue
        inside = any(p.name in ("article", "main") or p.get("itemprop") == "articleBody"
                     for p in h1.parents if isinstance(p, Tag))
        rank = (text in title_text, inside, -index)
        if best_rank is None or rank > best_rank:
            best, best_rank = text, rank
    return best


def time_values(soup: BeautifulSoup) -> list[str]:
    """``<time datetime>`` values, the ones marked as publication time first;
    times in comments, lists of other stories and page chrome are ignored."""
    marked, plain = [], []
    for time in soup.find_all("time"):
        value = time.get("datetime")
        if not isinstance(value, str) or not value.strip() or in_boilerplate(time):
            continue
        words = words_of(time)
        if time.has_attr("pubdate") or time.get("itemprop") == "datePublished" or words & {"published", "publish", "pubdate", "entry"}:
            marked.append(value)
        elif not words & {"updated", "modified"}:
            plain.append(value)
    return marked + plain


_BY = re.compile(r"^\s*(?:by|von|par|por|door|di|av|af)\b[:\s]*", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||/|&|\band\b|\bund\b|\bet\b|\by\b|\be\b)\s*", re.IGNORECASE)
_PARTICLES = {"de", "da", "di", "del", "della", "van", "von", "der", "den", "du", "la", "le",
              "bin", "ibn", "al", "el", "y", "dos", "das", "ter", "ten", "mac", "st."}


def find_authors(soup: BeautifulSoup, meta: dict[str, list[str]], ld: JsonLd, source: str | None) -> list[str]:
    """JSON-LD author, ``meta[name=author]``, ``article:author`` (not a URL),
    then byline markup."""
    def keep(names: Iterable[str]) -> list[str]:
        out = []
        for name in names:
            name = clean(_BY.sub("", name))
            if not name or name.startswith(("http://", "https://", "www.")) or len(name) > 80:
                continue
            if source and name.casefold() == source.casefold():
                continue
            out.append(name.title() if name.isupper() and len(name) > 3 else name)
        return unique(out)

    sources: list[list[str]] = [ld.names(ld.get("author"))]
    for key in ("author", "article:author", "sailthru.author", "byl", "dc.creator", "parsely-author"):
        sources.append([n for v in meta.get(key, []) for n in split_names(v)])
    sources.append(byline_names(soup))
    for names in sources:
        found = keep(names)
        if found:
            return found
    return []


def byline_names(soup: BeautifulSoup) -> list[str]:
    """Names from visible bylines: ``rel=author`` links, ``itemprop=author``,
    then elements named byline/author."""
    found: list[str] = []
    for el in soup.select('a[rel~="author"], [itemprop="author"]'):
        if in_boilerplate(el):
            continue
        name_el = el.select_one('[itemprop="name"]') if el.name != "a" else None
        value = name_el.get("content") or name_el.get_text(" ") if name_el else el.get_text(" ")
        if isinstance(value, str) and clean(value):
            found.append(clean(value))
    if found:
        return found
    for el in soup.find_all(class_=True):
        words = words_of(el)
        if not words & {"byline", "author", "authors"} or words & {"bio", "role", "title", "avatar", "image"}:
            continue
        if in_boilerplate(el) or len(el.get_text()) > 200:
            continue
        inner = [e for e in el.find_all(class_=True) if words_of(e) & {"author", "name"}
                 and not words_of(e) & {"role", "title", "job", "bio", "label", "position"}]
        texts = [e.get_text(" ") for e in inner] if inner else [el.get_text(" ")]
        names = [n for t in texts for n in split_names(t) if looks_like_name(n)]
        if names:
            return names
    return []


def split_names(text: str) -> list[str]:
    """"By Jane Doe and John Roe" → ["Jane Doe", "John Roe"]."""
    text = clean(_BY.sub("", clean(text)))
    return [clean(_BY.sub("", p)) for p in _NAME_SPLIT.split(text) if clean(p)]


def looks_like_name(text: str) -> bool:
    """Capitalised words, no digits: a name rather than a job title or a date."""
    words = text.split()
    if not 1 <= len(words) <= 5 or any(c.isdigit() for c in text):
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLES for w in words)


def language_code(value: object) -> str | None:
    """"en-GB", "de_DE", "fr" → "en", "de", "fr"."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", value)
    return match.group(1).lower() if match else None


def split_list(value: str) -> list[str]:
    return [clean(p) for p in re.split(r"[,;]", value) if clean(p)]


def clean(value: object) -> str:
    """Unescape stray entities and collapse whitespace."""
    if not isinstance(value, str):
        return ""
    return " ".join(unescape(value).split())


def unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


