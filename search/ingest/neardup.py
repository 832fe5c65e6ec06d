"""Near-duplicate detection: the same wire story republished with small edits.

Each body gets a MinHash signature over its word 3-shingles (Broder 1997):
:data:`PERMUTATIONS` minimum hash values whose agreement rate estimates the
Jaccard similarity of two bodies' shingle sets. Bodies estimated at
:data:`THRESHOLD` or more are near-duplicates. Candidates come from LSH
banding: the signature is cut into :data:`BANDS` bands of :data:`ROWS`
values and each band is kept as a key in the ledger, so two similar bodies very likely
share a band term (for Jaccard 0.7: 1 - (1 - 0.7^4)^16 = 0.98; for 0.8: 0.9999).

We measured SimHash first: on BBC articles one changed word moved a 64-bit
SimHash by up to 5 bits, so a threshold tight enough to keep unrelated
stories apart missed lightly edited copies. MinHash's estimate is far steadier.
numpy does the hashing (a pure-Python MinHash costs ~30 ms per article);
datasketch would bring SciPy along for an LSH tuner we do not use, since the
bands must live beside the index anyway.
"""

from __future__ import annotations

import hashlib
import operator
import re
import zlib
from functools import lru_cache

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
#: Bytes per signature value (see signature()).
VALUE_BYTES = 2
THRESHOLD = 0.7
#: Bodies shorter than this many words are not clustered: two one-line
#: briefs that differ in a figure are different news.
MIN_WORDS = 40
SHINGLE = 3
#: Only the opening of a body is shingled: plenty to tell copies of a story
#: apart, and a 50 MB body no longer costs 40 s and 8 GB of hash matrix.
SCAN_CHARS = 100_000

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _hashing():
    """numpy and the hash parameters, loaded on first use: importing numpy
    costs ~0.2 s, which a search (that never needs it) should not pay."""
    import numpy as np

    rng = np.random.default_rng(20240229)  # fixed: signatures must be stable across runs
    # Multiply-shift hashing (Dietzfelbinger et al.): odd 64-bit multipliers,
    # arithmetic wrapping mod 2^64, keep the high 32 bits.
    a = rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
    # Odd multipliers mixing the ids of a shingle's three words into one.
    mix = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
    return np, a, b, mix


#: Shingles hashed in one numpy pass (see signatures()): enough to spread
#: numpy's per-call cost over many bodies, few enough that the shingles ×
#: PERMUTATIONS matrix stays in the CPU's cache (8,192 was slower).
BATCH_SHINGLES = 1024


def signature(text: str) -> bytes | None:
    """The MinHash signature of a body (PERMUTATIONS × uint16, as bytes), or
    None when the body is too short to judge."""
    return signatures([text])[0]


def signatures(texts: list[str], words: list[list[str]] | None = None) -> list[bytes | None]:
    """signature() of each text, hashed a batch of bodies at a time: on
    Reuters-21578 a third faster than one body at a time. `words`, if
    given: each text's words(), found already (see article.text_fingerprint)."""
    np, a, b, _mix = _hashing()
    found: list[bytes | None] = [None] * len(texts)
    batch: list[tuple[int, object]] = []  # (text number, its shingle ids)
    size = 0
    for number, text in enumerate(texts):
        if words is None or len(text) > SCAN_CHARS:
            shingles = _shingle_ids(_WORD.findall(text[:SCAN_CHARS].casefold()))
        else:
            shingles = _shingle_ids(words[number])
        if shingles is None:
            continue
        batch.append((number, shingles))
        size += len(shingles)
        if size >= BATCH_SHINGLES:
            _min_hashes(batch, found)
            batch, size = [], 0
    if batch:
        _min_hashes(batch, found)
    return found


def words(text: str) -> list[str]:
    """A text's case-folded words, as signatures and exact-duplicate
    fingerprints (article.text_fingerprint) both see them."""
    return _WORD.findall(text.casefold())


def _shingle_ids(words: list[str]):
    """The 32-bit ids of a body's word 3-shingles (numpy), or None when the
    body is too short to judge."""
    if len(words) < MIN_WORDS:
        return None
    np, _a, _b, mix = _hashing()
    # One CRC-32 per word (C), then each 3-word shingle's id mixed from its
    # words' in numpy: twice as fast as a blake2b digest per shingle string.
    ids = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64,
                      count=len(words))
    with np.errstate(over="ignore"):
        mixed = ids[:-2] * mix[0] + ids[1:-1] * mix[1] + ids[2:]  # SHINGLE = 3
    return mixed >> np.uint64(32)


def _min_hashes(batch: list, found: list) -> None:
    """Fill in the signatures of a batch of bodies' shingle ids. A shingle
    that repeats changes no minimum, so the ids need no de-duplicating."""
    np, a, b, _mix = _hashing()
    shingles = np.concatenate([ids for _number, ids in batch])
    starts = np.cumsum([0] + [len(ids) for _number, ids in batch[:-1]])
    with np.errstate(over="ignore"):
        hashed = (np.outer(shingles, a) + b) >> np.uint64(32)
    minima = np.minimum.reduceat(hashed, starts, axis=0)
    # b-bit MinHash (Li & König 2010): the low 16 bits of each minimum are
    # plenty (two different minima agree by chance 1 time in 65,536) at half
    # the storage. Low bits: the minima themselves crowd near zero.
    values = (minima & np.uint64(0xFFFF)).astype(np.uint16)
    for (number, _ids), row in zip(batch, values):
        found[number] = row.tobytes()


def band_keys(sig: bytes) -> list[int]:
    """One signed 32-bit key per band (band number and values hashed), for
    the ledger's band table. 32 bits, not 64: SQLite then stores a key in 4
    bytes, and the band table shrank by a fifth. A chance collision only
    adds a candidate, which is compared by signature before it counts."""
    width = ROWS * VALUE_BYTES
    return [int.from_bytes(hashlib.blake2b(bytes((i,)) + sig[i * width:(i + 1) * width],
                                           digest_size=4).digest(), "little", signed=True)
            for i in range(BANDS)]


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two bodies' shingle sets."""
    same = sum(map(operator.eq, memoryview(a).cast("H"), memoryview(b).cast("H")))
    return same / PERMUTATIONS


def is_near(a: bytes, b: bytes) -> bool:
    return similarity(a, b) >= THRESHOLD
