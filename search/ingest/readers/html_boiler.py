"""What boilerplate looks like in HTML: tag, role and class/id vocabulary
shared by the metadata reader (bylines and times outside the story) and our
own body extractor."""

from __future__ import annotations

import re

from bs4 import Tag

#: Never text.
DROP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "canvas", "video", "audio", "source", "track", "picture", "img",
    "map", "button", "input", "select", "textarea", "option", "optgroup", "label", "head",
    "link", "meta", "dialog", "menu", "nav", "aside", "figcaption", "datalist", "output",
    "meter", "progress", "title",
}
#: Page chrome, dropped unless it holds most of the page's text.
CHROME_TAGS = {"header", "footer", "form", "figure"}
AMP_DROP = re.compile(r"^amp-(?!fit-text|accordion|layout)")
DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog",
              "alertdialog", "menu", "menubar", "toolbar", "tablist", "alert", "marquee"}

#: Class/id words that name boilerplate whatever else they say.
STRONG_WORDS = {
    "comment", "comments", "commenting", "disqus", "discussion", "respond", "replies",
    "newsletter", "newsletters", "signup", "subscribe", "subscription", "cookie", "cookies",
    "consent", "gdpr", "onetrust", "didomi", "cmp", "share", "sharing", "sharetools",
    "sharedaddy", "social", "related", "relatedposts", "recommended", "recommendations",
    "recirc", "recirculation", "outbrain", "taboola", "trending", "promo", "ad", "ads",
    "advert", "adverts", "advertisement", "advertising", "adslot", "adholder", "adunit",
    "dfp", "gpt", "mpu", "sponsor", "sponsored", "paywall", "barrier", "breadcrumb",
    "breadcrumbs", "pagination", "pager", "sidebar", "widget", "widgets", "byline",
    "caption", "credit", "credits", "toolbar", "navbar", "navigation", "masthead", "skip",
    "bio", "epic", "contributions", "donate", "signin", "login", "modal", "popup", "overlay",
    "skyscraper", "leaderboard", "outstream", "inread", "anzeige", "werbung", "publicite",
    "teaser", "disclosure", "rail",
}
#: Class/id words that name boilerplate unless the element also says it is content.
WEAK_WORDS = {
    "tag", "tags", "topic", "topics", "meta", "author", "authors", "footer", "header", "banner",
    "menu", "nav", "tools", "tool", "links", "date", "dateline", "timestamp", "time", "aside",
    "popular", "card", "cards", "collection", "submeta", "kicker", "label", "support",
    "feedback", "info", "actions", "extra", "print",
}
#: Word pairs that name boilerplate: "most read", "read more", "more on", …
STRONG_PHRASES = re.compile(
    r"\b(most[- ](read|viewed|popular|shared|commented|watched)|read[- ](more|next|also)|"
    r"more[- ](on|from|stories|news|like|about|to[- ]explore|in)|keep[- ]reading|also[- ]read|"
    r"see[- ]also|you[- ]may[- ](also[- ])?like|up[- ]next|sign[- ](up|in)|"
    r"visually[- ]hidden|screen[- ]reader|sr[- ]only|offscreen|"
    r"skip[- ]link|live[- ]updates[- ]nav|story[- ]list|site[- ](index|header|footer|nav))\b")
POSITIVE_WORDS = {
    "article", "articlebody", "body", "content", "entry", "main", "post", "story", "text",
    "wysiwyg", "richtext", "prose", "paragraph", "para", "markup", "hentry", "cuerpo",
    "artikel", "blog",
}
#: Words that name a part of the article that is not its text ("article-dek",
#: "entry-footer", "bottom-of-article"): boilerplate even beside a content word.
PART_WORDS = {
    "dek", "kicker", "standfirst", "summary", "meta", "bio", "footer", "header", "info",
    "byline", "tools", "desc", "description", "excerpt", "dateline", "timestamp", "date",
    "share", "related", "bottom",
}
#: Headings that open a block of boilerplate ("Most viewed", "Related Topics").
BOILER_HEADING = re.compile(
    r"^\W*(related( stories| articles| content| topics| coverage| posts| news| links)?|"
    r"more (on|from|about|in|stories|news|like this)\b.*|most (read|viewed|popular|shared|commented|watched)\b.*|"
    r"(you|we think you) (may|might) (also )?(like|enjoy).*|recommended( for you| stories| reading)?|"
    r"trending( now| stories)?|popular( now| right now| stories)?|read (more|next)|what to read next|"
    r"keep reading|see also|also (read|on)\b.*|top stories|features|latest (news|stories|headlines)|"
    r"comments?( \(\d+\))?|\d+ (comments|responses|replies)|discussion( about this post)?|"
    r"(leave|post) a (reply|comment)|join the (conversation|discussion)|"
    r"share( this)?( story| article| post)?( on)?:?|explore more on these topics|more stories|in other news|"
    r"editors?'? picks?|site index|around the web|from our partners|sponsored( content)?|"
    r"lo más leído|meistgelesen|mehr zum thema|les plus lus|lire aussi|читайте также|"
    r"also in this (week's|issue).*|ready for more\??)\W*$",
    re.IGNORECASE,
)
#: Whole paragraphs that are labels, not text.
LABELS = {
    "advertisement", "skip advertisement", "ad feedback", "ad", "sponsored", "anzeige",
    "publicité", "publicidad", "werbung", "реклама", "story continues below",
    "story continues below advertisement", "article continues below", "continue reading",
    "read more", "related", "share", "share this", "share this article", "share this story",
    "like this", "loading", "loading...", "scroll to continue", "advertisement · scroll to continue",
    "listen to this article", "print", "email", "copy link", "link copied",
}
#: Paragraphs that introduce links to other stories.
LEAD_IN = re.compile(
    r"^\W*(read more|related|see also|also read|read also|more|watch|listen|recommended|"
    r"lesen sie auch|lesen sie mehr|lire aussi|à lire aussi|lee también|leia também|"
    r"читайте также)\s*:", re.IGNORECASE)

_WORD_SPLIT = re.compile(r"[\s\-_:./]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def words_of(el: Tag) -> set[str]:
    """The words an element's class, id and naming attributes are made of
    ("StoryBodyCompanionColumn" → story, body, companion, column); hash-like
    fragments ("1q0x1qg") are ignored."""
    cached = el.__dict__.get("_ns_words")  # not getattr: bs4 reads that as find()
    if cached is not None:
        return cached
    words: set[str] = set()
    for value in attribute_text(el).split():
        for segment in _WORD_SPLIT.split(value):
            if not segment or any(c.isdigit() for c in segment):
                continue
            words.add(segment.lower())
            words.update(w.lower() for w in _CAMEL.findall(segment))
    el._ns_words = words  # type: ignore[attr-defined]
    return words


def attribute_text(el: Tag) -> str:
    parts = []
    for attr in ("class", "id", "data-testid", "data-component", "data-gu-name", "data-track",
                 "data-trackable", "data-zone-label", "aria-label", "role"):
        value = el.attrs.get(attr)
        if isinstance(value, list):
            parts.extend(value)
        elif isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


def in_boilerplate(el: Tag) -> bool:
    """True when an element sits inside comments, story lists or page chrome."""
    for parent in el.parents:
        if not isinstance(parent, Tag) or parent.name in ("body", "html", "[document]"):
            break
        if parent.name in ("nav", "aside", "footer"):
            return True
        words = words_of(parent)
        if words & {"comment", "comments", "related", "popular", "trending", "recommended",
                    "sidebar", "rail", "teaser", "card"}:
            return True
        if STRONG_PHRASES.search(attribute_text(parent).lower()):
            return True
    return False


# --------------------------------------------------------------------------
# Body
# --------------------------------------------------------------------------
