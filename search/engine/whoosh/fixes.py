"""Corrections to Whoosh 2.7.4 bugs that change search results.

Imported for its effect by `ranking` (every scored search goes through it).
Each fix is a small replacement of one Whoosh method, tested in
tests/test_whoosh_fixes.py against the wrong result it prevents.
"""

from __future__ import annotations

from whoosh.matching import binary, mcore, wrappers


def _wrapping_replace(self, minquality=0):
    """WrappingMatcher.replace with the child's bound on the child's scale.

    A boosted term (``title:oil^2.5``) is a wrapper scoring child × boost.
    When the top-N collector's minimum score rises it asks the matcher tree
    to drop parts that cannot reach it; Whoosh's wrapper passed the minimum
    to its child unchanged, so a child whose boosted score would have made
    the top N was dropped because its unboosted one would not. (Whoosh's
    own ``skip_to_quality`` divides by the boost; ``replace`` forgot.)
    (The bound only bites on short, inlined posting lists: the only
    leaves whose ``replace`` drops themselves.)"""
    boost = getattr(self, "boost", 1.0)
    if minquality and boost != 1.0:
        minquality = minquality / boost if boost > 0 else 0
    replacement = self.child.replace(minquality)
    return self if replacement is self.child else self._replacement(replacement)


wrappers.WrappingMatcher.replace = _wrapping_replace


def _and_maybe_skip_to(self, id):
    """AndMaybeMatcher.skip_to keeping the optional side on the required
    side's document.

    ``title:oil ANDMAYBE body:oil`` (what a top-N search turns ``title:oil
    OR body:oil`` into once only the title can lift an article into the top
    N) is skipped to an id inside an intersection; the required side lands
    on the next article at or after it, but Whoosh moved the optional side
    only to the id asked for, so an article found further on lost its body
    score. Found on Reuters-21578: "oil prices" lost its second-best
    article (31.1 scored as 25.9) once ten others had been seen."""
    if not self.a.is_active():
        raise mcore.ReadTooFar
    moved_a = self.a.skip_to(id)
    moved_b = False
    if self.a.is_active() and self.b.is_active():
        moved_b = self.b.skip_to(self.a.id())
    return moved_a or moved_b


binary.AndMaybeMatcher.skip_to = _and_maybe_skip_to
