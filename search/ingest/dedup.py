"""Deciding whether an article is new, an exact duplicate or a near-duplicate.

An article whose normalised words (article.text_fingerprint) equal those of
an article already kept is an *exact duplicate* and is left out of the
index. Otherwise it is kept, and joins the near-duplicate *cluster* of the
most similar earlier article whose MinHash signature (see neardup) agrees at
neardup.THRESHOLD or more; with none, it starts a cluster of its own, named
by its id.

Earlier articles are of two kinds: those seen in this run (kept here, in
bounded memory: see run_memory) and those the index held before it. The second are looked up through
a `Stored` object injected by the caller (the indexer's is backed by the
Whoosh searcher and the ledger's band table), so the decisions themselves can
be tested without an index: this module imports neither Whoosh nor a ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Protocol

from . import neardup
from .run_memory import RunMemory

#: A candidate for near-duplicate matching: (article id, signature, cluster).
Candidate = tuple[str, bytes, str]

NEW, DUPLICATE, NEAR = "new", "duplicate", "near"


class Stored(Protocol):
    """What the index held before this run, as the deduplicator asks it."""

    def id_with_text(self, text_hash: str) -> str | None:
        """The id of a stored article with this text fingerprint, if any."""

    def near_candidates(self, keys: list[int]) -> Iterable[Candidate]:
        """Stored articles sharing at least one band key, with their
        signatures and clusters (only articles the index holds now)."""


class NothingStored:
    """A Stored for an empty index (or a test): nothing to match against."""

    def id_with_text(self, text_hash: str) -> str | None:
        return None

    def near_candidates(self, keys: list[int]) -> Iterable[Candidate]:
        return ()


@dataclass(frozen=True)
class Verdict:
    """What to do with one article.

    `kind` is "new" (keep it, in a cluster of its own), "near" (keep it, in
    the cluster of the earlier article `match`), or "duplicate" (leave it
    out: `match` is the article it repeats)."""

    kind: Literal["new", "duplicate", "near"]
    cluster: str | None = None
    match: str | None = None

    @property
    def keep(self) -> bool:
        return self.kind != DUPLICATE


class Deduplicator:
    """Judges a run's articles against each other and against what is stored.

    Call `judge()` for an article, then `remember()` it once it is written
    (or `remember()` alone for an article kept unchanged), so later articles
    of the run are judged against it too."""

    def __init__(self, stored: Stored | None = None, threshold: float = neardup.THRESHOLD,
                 memory: RunMemory | None = None):
        self.stored = stored or NothingStored()
        self.threshold = threshold
        self._run = memory or RunMemory()

    def judge(self, article_id: str, text_hash: str, signature: bytes | None = None,
              keys: list[int] | None = None) -> Verdict:
        """The verdict on one article: `text_hash` is its text_fingerprint,
        `signature` its MinHash signature (None: too short to cluster) and
        `keys` the signature's band keys, if computed already."""
        original = self.duplicate_of(article_id, text_hash)
        if original:
            return Verdict(DUPLICATE, match=original)
        match, cluster = self.nearest(article_id, signature, keys)
        if match is None:
            return Verdict(NEW, cluster=article_id)
        return Verdict(NEAR, cluster=cluster, match=match)

    def duplicate_of(self, article_id: str, text_hash: str) -> str | None:
        """The id of another article with the same normalised text, if any.
        This run's articles are asked first: they are what the index will
        hold, and asking costs no lookup."""
        other = self._run.first_with_text(text_hash)
        if other is None:
            other = self.stored.id_with_text(text_hash)
        # An article is no duplicate of itself (an updated article keeps its text).
        return other if other and other != article_id else None

    def nearest(self, article_id: str, signature: bytes | None,
                keys: list[int] | None = None) -> tuple[str | None, str]:
        """(id, cluster) of the most similar earlier article at or above the
        threshold, or (None, own id). Ties go to the later candidate, as
        they always have: cluster names must not change between versions."""
        best, best_cluster = None, article_id
        if signature is None:
            return best, best_cluster
        keys = band_keys(signature) if keys is None else keys
        best_sim = self.threshold
        # A candidate comes once per band it shares (up to 16 times): its
        # similarity is computed once. Every occurrence is still weighed in
        # turn, so the later one wins a tie exactly as before.
        known: dict[Candidate, float] = {}
        for candidate in self.candidates(keys):
            sim = known.get(candidate)
            if sim is None:
                other_id, other_sig, _ = candidate
                sim = -1.0 if other_id == article_id else neardup.similarity(signature, other_sig)
                known[candidate] = sim
            if sim >= best_sim:
                best, best_cluster, best_sim = candidate[0], candidate[2], sim
        return best, best_cluster

    def candidates(self, keys: list[int]) -> Iterable[Candidate]:
        """Earlier articles sharing a band with `keys`: this run's first,
        then the stored ones."""
        yield from self._run.candidates(keys)
        yield from self.stored.near_candidates(keys)

    def remember(self, article_id: str, text_hash: str | None,
                 signature: bytes | None = None, keys: list[int] | None = None,
                 cluster: str | None = None) -> None:
        """Keep an article findable for the rest of this run. Without a
        signature (an unchanged article: its band keys are stored already)
        only its text is remembered."""
        if text_hash:
            self._run.keep_text(text_hash, article_id)
        if signature:
            entry = (article_id, signature, cluster or article_id)
            self._run.keep_entry(entry, band_keys(signature) if keys is None else keys)
        self._run.article_done()

    def close(self) -> None:
        """Let go of the run's memory (its scratch file, if it wrote one)."""
        self._run.close()


def band_keys(signature: bytes | None) -> list[int]:
    """The band keys of a signature (none without one)."""
    return neardup.band_keys(signature) if signature is not None else []
