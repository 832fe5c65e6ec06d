"""The deduplicator on its own: exact duplicates, near-duplicate clusters,
this run's articles and stored ones — no index, no Whoosh (the stored side
is a dictionary standing in for the index and the ledger's band table)."""

from __future__ import annotations

import subprocess
import sys

from search.ingest import neardup
from search.article import text_fingerprint
from search.ingest.dedup import DUPLICATE, NEAR, NEW, Deduplicator, Verdict, band_keys

from .test_ingest import STORY, UNRELATED, edited


def fingerprint(text: str) -> str:
    title, body = text.split("\n", 1)
    return text_fingerprint(title, body)


class FakeStored:
    """What an index held before the run: id → (text, cluster)."""

    def __init__(self, articles: dict[str, tuple[str, str]]):
        self.articles = articles
        self.asked: list[str] = []

    def id_with_text(self, text_hash: str) -> str | None:
        self.asked.append(text_hash)
        return next((i for i, (text, _) in self.articles.items()
                     if fingerprint(text) == text_hash), None)

    def near_candidates(self, keys: list[int]):
        for article_id, (text, cluster) in self.articles.items():
            sig = neardup.signature(text)
            if sig and set(band_keys(sig)) & set(keys):
                yield article_id, sig, cluster


def admit(dedup: Deduplicator, article_id: str, text: str) -> Verdict:
    """Judge an article and, if kept, remember it (as the indexer does)."""
    sig = neardup.signature(text)
    verdict = dedup.judge(article_id, fingerprint(text), sig)
    if verdict.keep:
        dedup.remember(article_id, fingerprint(text), sig, cluster=verdict.cluster)
    return verdict


def test_the_module_imports_no_whoosh():
    code = ("import sys, search.ingest.dedup; "
            "assert 'whoosh' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exact_duplicates_within_a_run():
    dedup = Deduplicator()
    assert admit(dedup, "a.txt", STORY) == Verdict(NEW, cluster="a.txt")
    # Same words, different spacing and punctuation: the same story.
    respaced = STORY.replace("  ", " ").replace(", with", " with")
    assert admit(dedup, "b.txt", respaced) == Verdict(DUPLICATE, match="a.txt")
    assert admit(dedup, "c.txt", STORY).match == "a.txt"  # the first kept, not b


def test_exact_duplicate_of_a_stored_article():
    dedup = Deduplicator(FakeStored({"a.txt": (STORY, "a.txt")}))
    assert admit(dedup, "c.txt", STORY) == Verdict(DUPLICATE, match="a.txt")


def test_an_article_is_no_duplicate_of_itself():
    stored = FakeStored({"a.txt": (STORY, "a.txt")})
    verdict = admit(Deduplicator(stored), "a.txt", STORY)  # an update, same text
    assert verdict.kind == NEW and verdict.cluster == "a.txt"


def test_this_runs_articles_are_asked_before_the_stored_ones():
    stored = FakeStored({})
    dedup = Deduplicator(stored)
    admit(dedup, "a.txt", STORY)
    stored.asked.clear()
    admit(dedup, "b.txt", STORY)
    assert stored.asked == []


def test_unchanged_article_is_remembered_without_a_signature():
    dedup = Deduplicator()
    dedup.remember("kept.txt", fingerprint(STORY), cluster="kept.txt")
    assert admit(dedup, "copy.txt", STORY).match == "kept.txt"
    # ... and, without a signature, is no near-duplicate candidate
    assert admit(dedup, "edit.txt", edited(STORY)).kind == NEW


def test_near_duplicates_share_a_cluster_and_unrelated_stories_do_not():
    dedup = Deduplicator()
    assert admit(dedup, "wire.txt", STORY).kind == NEW
    assert admit(dedup, "reprint.txt", edited(STORY)) == Verdict(NEAR, "wire.txt", "wire.txt")
    assert admit(dedup, "library.txt", UNRELATED) == Verdict(NEW, cluster="library.txt")


def test_a_copy_of_a_copy_joins_the_first_cluster():
    dedup = Deduplicator()
    admit(dedup, "wire.txt", STORY)
    admit(dedup, "reprint.txt", edited(STORY))
    again = edited(STORY).replace("Shipping agents", "Agents")
    assert admit(dedup, "third.txt", again).cluster == "wire.txt"


def test_near_duplicate_of_a_stored_article():
    stored = FakeStored({"wire.txt": (STORY, "wire.txt")})
    verdict = admit(Deduplicator(stored), "copy.txt", edited(STORY))
    assert verdict == Verdict(NEAR, cluster="wire.txt", match="wire.txt")


def test_stored_cluster_names_are_kept():
    # A stored article in another's cluster passes that cluster on.
    stored = FakeStored({"reprint.txt": (edited(STORY), "wire.txt")})
    assert admit(Deduplicator(stored), "copy.txt", STORY).cluster == "wire.txt"


def test_an_updated_article_is_not_its_own_near_duplicate():
    stored = FakeStored({"wire.txt": (STORY, "wire.txt")})
    verdict = admit(Deduplicator(stored), "wire.txt", edited(STORY))
    assert verdict == Verdict(NEW, cluster="wire.txt")


def test_short_bodies_are_never_clustered():
    dedup = Deduplicator()
    brief = "Title\nOil rose 2% on Monday."
    assert neardup.signature(brief) is None
    assert admit(dedup, "one", brief).kind == NEW
    assert admit(dedup, "two", brief.replace("2%", "3%")) == Verdict(NEW, cluster="two")


def test_the_most_similar_candidate_wins():
    dedup = Deduplicator(threshold=0.0)  # every candidate qualifies
    admit(dedup, "wire.txt", STORY)
    admit(dedup, "library.txt", UNRELATED)  # a poor match, but a match at 0.0
    verdict = dedup.judge("copy.txt", "x", neardup.signature(edited(STORY)))
    assert verdict.match == "wire.txt"


def test_band_keys_given_by_a_worker_are_used_as_they_are():
    dedup = Deduplicator()
    admit(dedup, "wire.txt", STORY)
    sig = neardup.signature(edited(STORY))
    assert dedup.judge("copy.txt", "x", sig, keys=[]).kind == NEW  # no shared band
    assert dedup.judge("copy.txt", "x", sig, keys=band_keys(sig)).kind == NEAR


def test_nearest_weighs_every_occurrence_as_the_plain_loop_did():
    """A candidate's similarity is computed once per article now; the
    verdict must be the plain loop's over every occurrence (ties to the
    later one), on sequences full of repeats and equal similarities."""
    import random

    rng = random.Random(11)
    base = neardup.signature(STORY)
    variants = [base] + [bytes(b if rng.random() > 0.15 else rng.randrange(256) for b in base)
                         for _ in range(5)]

    def plain(signature, sequence, threshold=neardup.THRESHOLD):
        best, cluster, best_sim = None, "me", threshold
        for other_id, other_sig, other_cluster in sequence:
            if other_id == "me":
                continue
            sim = neardup.similarity(signature, other_sig)
            if sim >= best_sim:
                best, cluster, best_sim = other_id, other_cluster, sim
        return best, cluster

    for _ in range(300):
        pool = [(f"a{n}", rng.choice(variants), f"c{n % 3}") for n in range(6)] + [
            ("me", base, "me")]
        sequence = [rng.choice(pool) for _ in range(rng.randrange(1, 40))]

        class Fixed(Deduplicator):
            def candidates(self, keys):
                return iter(sequence)

        assert Fixed().nearest("me", base, keys=[]) == plain(base, sequence)
