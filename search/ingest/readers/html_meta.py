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
import unicodedata
from html import unescape
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from ...text.dates import parse_date
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

    page.url = canonical_url(soup, first("og:url"))
    page.source = find_site(
        [*meta.get("og:site_name", []), ld.publisher(), *meta.get("application-name", [])],
        [page.url, first("og:url")])
    page.section = find_section(meta, ld)
    page.title = find_title(soup, meta, ld, page.source, page.section)

    page.published = find_date(soup, meta, ld)

    page.authors = find_authors(soup, meta, ld, page.source)


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
    for link in soup.find_all("link"):  # (no href=True filter: bs4 4.15 makes that slow)
        if not link.get("href"):
            continue
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


def find_date(soup: BeautifulSoup, meta: dict[str, list[str]], ld: JsonLd) -> datetime | None:
    """JSON-LD, then date meta tags, then ``<time>`` elements (looked for
    only when needed: walking the page is the slow part)."""
    declared = [ld.get("datePublished"), ld.get("dateCreated")] + [v for n in DATE_META for v in meta.get(n, [])]
    for values in (declared, None):
        for value in values if values is not None else time_values(soup):
            published = parse_date(value) if isinstance(value, str) else None
            if published:
                return published
    return None


def find_section(meta: dict[str, list[str]], ld: JsonLd) -> str | None:
    """The first section the page names, from meta tags, else JSON-LD
    ``articleSection``; a list ("News, News, Politics") is split and
    de-duplicated, and the first entry kept."""
    values: list[object] = [v for name in SECTION_META for v in meta.get(name, [])]
    if not values:
        ld_section = ld.get("articleSection")
        values = ld_section if isinstance(ld_section, list) else [ld_section]
    sections = unique(part for v in values if isinstance(v, str) for part in split_list(v))
    return sections[0] if sections else None


def find_title(soup: BeautifulSoup, meta: dict[str, list[str]], ld: JsonLd, source: str | None,
               section: str | None = None) -> str:
    """og:title, twitter:title, the JSON-LD headline (or its name, when that is
    closer to ``<title>``: Wikipedia's headline is a description), then
    ``<title>``, or the ``<h1>`` when ``<title>`` holds it; site names cut
    off (:func:`strip_site`)."""
    title_tag = soup.find("title")
    title_text = clean(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    host = site_host(meta)
    ld_titles = [v for v in (ld.get("headline"), ld.get("name")) if isinstance(v, str) and clean(v)]
    ld_titles.sort(key=lambda v: -overlap(clean(v), title_text))
    for value in meta.get("og:title", []) + meta.get("twitter:title", []) + ld_titles[:1]:
        if isinstance(value, str) and clean(value):
            return strip_site(clean(value), source, host, section)
    h1 = best_h1(soup, title_text, source)
    if h1 and (not title_text or h1.casefold() in title_text.casefold()):
        return h1
    if not title_text:
        return ""
    title = strip_site(title_text, source, host, section)
    if title != title_text:
        return title
    parts = _TITLE_SEPARATORS.split(title_text)
    if len(parts) > 1 and any(len(p.split()) <= 3 for p in parts):
        # The headline is the part the page also shows as text; else the longest part.
        shown = {clean(t.get_text()) for t in soup.find_all(["b", "strong", "h2", "h3", "font"], limit=500)}
        for part in parts:
            if part in shown:
                return part
        return max(parts, key=lambda p: len(p.split()))
    return title_text


def overlap(a: str, b: str) -> float:
    """Share of the words of `a` that `b` has too."""
    words = a.casefold().split()
    other = set(b.casefold().split())
    return sum(w in other for w in words) / len(words) if words else 0.0


def site_host(meta: dict[str, list[str]]) -> str | None:
    """The site's host name from og:url ("www.bbc.co.uk" → "bbc")."""
    url = next(iter(meta.get("og:url", [])), "")
    match = re.match(r"https?://(?:www\d?\.|m\.)?([^/.:]+)", url)
    return match.group(1) if match else None


def strip_site(title: str, source: str | None, host: str | None = None, section: str | None = None) -> str:
    """Cut a site name off a title: a leading or trailing part ("… | Harbour
    News", "BBC News - …") that names the site (its name or host, loosely),
    and a short trailing part after a bar ("… | Editorial", "… | Local |
    Site"): bars separate headlines from site and section names. A leading
    or trailing section name goes too ("Opinion | Is Football Violence a Crime?")."""
    names = {key for key in (name_key(source), name_key(host)) if key}
    exact = {name_key(section)} - {""}  # a section only by its exact name: "Good news - …" stays
    for _ in range(3):  # "Headline | Section | Site"
        matches = list(_TITLE_SEPARATORS.finditer(title))
        if not matches:
            return title
        last, first = matches[-1], matches[0]
        head, tail = title[:last.start()], title[last.end():]
        if names_site(tail, names) or name_key(tail) in exact \
                or ("|" in last.group() and len(tail.split()) <= 3 <= len(head.split())):
            title = head
        elif names_site(title[:first.start()], names) or name_key(title[:first.start()]) in exact:
            title = title[first.end():]
        else:
            return title
    return title


def name_key(name: str | None) -> str:
    """A site name for loose comparison: letters and digits without accents,
    lower case, no "the"."""
    folded = unicodedata.normalize("NFKD", (name or "").casefold().removeprefix("the "))
    return re.sub(r"\W|_", "", "".join(c for c in folded if not unicodedata.combining(c)))


def names_site(part: str, names: set[str]) -> bool:
    """True when a title part is the site's name ("BBC News" for site "BBC",
    "The Guardian" for host "theguardian")."""
    key = name_key(part)
    if not key or len(part.split()) > 5:
        return False
    # Loosely, but only a name plus a word or so: "How we designed Dropbox's
    # ATF" holds "dropbox" and is a headline.
    return any(key == n or (len(n) >= 3 and (n in key or key in n) and abs(len(key) - len(n)) <= 6)
               for n in names)


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


def find_site(candidates: list[object], urls: list[str | None]) -> str | None:
    """The first usable site name: not a URL or a headline, a tagline cut off
    at " | " ("LinkNaija | Nigeria's popular news platform"), and a one-word name
    only if the site's domain bears it out (og:site_name "Hosted" on
    hosted.ap.org, or "U.S.", are stray words, not the site)."""
    domains = {name for name in map(registrable_name, urls) if name}
    for value in candidates:
        name = clean(value)
        if not name or re.match(r"(?:https?:|www\.)", name, re.IGNORECASE):
            continue
        name = clean(name.split(" | ")[0])
        if not name or len(name) > 60 or len(name.split()) > 6:  # a headline, not a name
            continue
        if " " not in name and name.isascii() and domains and not names_site(name, domains):
            continue
        return name
    return None


def registrable_name(url: str | None) -> str:
    """"https://hosted.ap.org/x" → "ap"; "https://www.bbc.co.uk/" → "bbc"."""
    match = re.match(r"https?://([^/:?#]+)", url or "")
    if not match:
        return ""
    labels = match.group(1).lower().split(".")
    if len(labels) >= 3 and labels[-2] in {"co", "com", "org", "net", "ac", "gov", "ne", "or", "go"}:
        return name_key(labels[-3])
    return name_key(labels[-2]) if len(labels) >= 2 else ""


def find_authors(soup: BeautifulSoup, meta: dict[str, list[str]], ld: JsonLd, source: str | None) -> list[str]:
    """JSON-LD author, ``meta[name=author]``, ``article:author`` (not a URL),
    then byline markup."""
    def keep(names: Iterable[str]) -> list[str]:
        out = []
        for name in names:
            name = clean(_BY.sub("", name))
            if not name or name.startswith(("http://", "https://", "www.")) or len(name) > 80:
                continue
            if is_not_a_name(name):
                continue
            if source and name.casefold() == source.casefold():
                continue
            out.append(name.title() if name.isupper() and len(name) > 3 else name)
        return unique(out)

    sources: list[Callable[[], list[str]]] = [lambda: ld.names(ld.get("author"))]
    for key in ("author", "article:author", "sailthru.author", "byl", "dc.creator", "parsely-author"):
        sources.append(lambda key=key: [n for v in meta.get(key, []) for n in split_names(v)])
    sources.append(lambda: byline_names(soup))  # the slow one: only when the rest say nothing
    for names in sources:
        found = keep(names())
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
    """"By Jane Doe and John Roe" → ["Jane Doe", "John Roe"]; URLs, handles,
    job titles, degrees and trailing dates left out ("Analysis by Chris
    Cillizza, CNN Editor-at-large Monday" → ["Chris Cillizza"])."""
    text = _URL.sub(" ", clean(text))  # before splitting: "/" splits names
    text = _LABEL.sub("", clean(text))
    text = clean(_BY.sub("", clean(text)))
    names = []
    for part in _NAME_SPLIT.split(text):
        part = clean(_TRAILING_DATE.sub("", _BY.sub("", clean(part))))
        if part and not is_not_a_name(part):
            names.append(part)
    return names


#: URLs, bare or in brackets: "Bradley M. Kuhn (http://ebb.org/bkuhn/)".
_URL = re.compile(r"\(?\s*(?:https?:|www\.)\S*\s*\)?", re.IGNORECASE)
#: A label before a byline: "Analysis by", "Written by", "Текст:", "Words:".
_LABEL = re.compile(r"^\s*(?:(?:analysis|written|story|text|words|report(?:ed)?|opinion)\s+by\b|"
                    r"[^\W\d_]{2,12}\s*:)\s*", re.IGNORECASE)
#: A weekday or date trailing a byline ("Jeff Foust Monday", "… March 25, 2015").
_TRAILING_DATE = re.compile(
    r"\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d.*|\d.*)$", re.IGNORECASE)
#: Words of a job title or an affiliation, not a name.
_ROLE_WORDS = re.compile(
    r"\b(?:writer|editor|editors|correspondent|reporter|columnist|contributor|producer|"
    r"staff|bureau|desk|editor-at-large|analyst|photographer|intern)\b", re.IGNORECASE)
#: Degrees and credentials after a name ("Ilana Muhlstein, MS, RDN").
_DEGREES = {"ma", "ms", "msc", "md", "phd", "rdn", "rd", "rn", "mph", "mba", "bsc", "ba", "jr", "sr", "dr"}


def is_not_a_name(part: str) -> bool:
    """A URL fragment, a handle ("@politifact", "bbcnews"), a credential or a
    job title ("AP Auto Writer") rather than a person's or agency's name."""
    if part.startswith("@") or part.endswith(":") or re.search(r"[/=?]|\.\w{2,4}$", part):
        return True
    if part.casefold().strip(".") in _DEGREES:
        return True
    if " " not in part and part.isascii() and part.islower():
        return True  # a user name or slug: "bbcnews", "jdadmin", "mcupdate"
    if any(c.isdigit() for c in part):
        return True
    return bool(_ROLE_WORDS.search(part))


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


