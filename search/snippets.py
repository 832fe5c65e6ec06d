"""Snippets: the passages of an article that show why it matched.

Independent of output format: a :class:`Snippet` is text plus the character
spans to highlight. `render` turns spans into ANSI colour, ``[marks]`` or
``<mark>`` HTML.

Matching uses the same analyzer as the index, so ``missiles`` in a query
lights up ``missile`` in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import highlight

from .analysis import NewsAnalyzer

#: Characters of context a passage may span.
PASSAGE_CHARS = 200
#: Characters shown on each side of a match.
CONTEXT_CHARS = 60
#: A body with no match shows its opening this long.
LEAD_CHARS = 200

_ANALYZER = NewsAnalyzer()
_FRAGMENTER = highlight.ContextFragmenter(maxchars=PASSAGE_CHARS, surround=CONTEXT_CHARS)


@dataclass
class Snippet:
    """A passage of an article. `start`/`end` are offsets in the full text;
    `highlights` are (start, end) spans relative to `text`."""

    text: str
    start: int
    end: int
    highlights: list[tuple[int, int]] = field(default_factory=list)
    #: True when the article goes on after this passage.
    cut_after: bool = False

    @property
    def cut_before(self) -> bool:
        return self.start > 0

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end,
                "highlights": [list(span) for span in self.highlights],
                "cut_after": self.cut_after}


def _to_snippet(fragment: highlight.Fragment) -> Snippet:
    """A Whoosh fragment (with its matched tokens) as a Snippet."""
    whole = fragment.text
    start, end = fragment.startchar, fragment.endchar
    # Fragments begin and end on a word; take along the punctuation glued to
    # it (the full stop, a closing quote, an opening bracket).
    while start > 0 and not whole[start - 1].isspace():
        start -= 1
    while end < len(whole) and not whole[end].isspace():
        end += 1
    # Newlines become spaces (same length, so offsets stay true): a snippet
    # is one line of prose, wherever the paragraph breaks fell.
    text = whole[start:end].replace("\n", " ")
    spans = merge_spans([(t.startchar - start, t.endchar - start) for t in fragment.matches],
                        text)
    return Snippet(text, start, end, spans, cut_after=bool(whole[end:].strip()))


def passages(text: str, terms: set[str], count: int = 2) -> list[Snippet]:
    """Up to `count` passages of `text` holding the most query terms, in text
    order. Falls back to the opening of the text when nothing matches."""
    if not text:
        return []
    found: list[Snippet] = []
    if terms:
        tokens = highlight.set_matched_filter(
            _ANALYZER(text, chars=True, mode="query", removestops=False), frozenset(terms))
        fragments = [f for f in _FRAGMENTER.fragment_tokens(text, tokens) if f.matches]
        # Best first: most distinct terms, then most matches, then earliest
        # (Whoosh's own top_fragments breaks ties arbitrarily).
        fragments.sort(key=lambda f: (-len(f.matched_terms), -len(f.matches), f.startchar))
        chosen = sorted(fragments[:count], key=lambda f: f.startchar)
        found = [_to_snippet(f) for f in chosen]
    return found or [lead(text)]


def lead(text: str) -> Snippet:
    """The opening of an article, cut at a word boundary."""
    if len(text) <= LEAD_CHARS:
        return Snippet(text.replace("\n", " "), 0, len(text))
    cut = text.rfind(" ", 0, LEAD_CHARS)
    cut = cut if cut > LEAD_CHARS // 2 else LEAD_CHARS
    return Snippet(text[:cut].replace("\n", " "), 0, cut, cut_after=True)


def highlight_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Spans of `text` (e.g. a title) whose words match `terms`."""
    if not terms or not text:
        return []
    spans = [(t.startchar, t.endchar)
             for t in _ANALYZER(text, chars=True, mode="query") if t.text in terms]
    return merge_spans(spans, text)


def merge_spans(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Sort spans and merge those that overlap (a compound and its parts) or
    are only whitespace apart, so "Time Warner" is marked as one run."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or text[merged[-1][1]:start].isspace()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
