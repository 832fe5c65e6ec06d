"""Top-N searches return the true top N (search/engine/whoosh/fixes.py).

Whoosh's top-N collector prunes the matcher tree as its minimum score rises;
two Whoosh 2.7.4 bugs made that pruning drop articles that belonged in the
top N (about one search in ten on Reuters-21578). Each search here is run
twice, for the top N and for every match, and the first N scores must agree.
The same check on Whoosh's original methods must fail, so the test can.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from whoosh.matching import binary, mcore, wrappers

from search import Article, NewsIndex
from search.engine.whoosh import fixes
from search.engine.whoosh.translate import to_whoosh
from search.query.parser import parse

VOCABULARY = [f"w{i:03d}" for i in range(300)]


def zipf_words(rng: random.Random, n: int) -> list[str]:
    # A few frequent words and many rare ones, as in news text: rare words
    # get short (inlined) posting lists, frequent ones long block lists.
    return [VOCABULARY[min(int(rng.paretovariate(0.9)) - 1, len(VOCABULARY) - 1)]
            for _ in range(n)]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    rng = random.Random(7)
    ix = NewsIndex.create(tmp_path_factory.mktemp("topn") / "ix")
    ix.add([Article(id=f"a{i}", title=" ".join(zipf_words(rng, rng.randint(2, 7))),
                    body=" ".join(zipf_words(rng, rng.randint(20, 200))))
            for i in range(600)])
    yield ix
    ix.close()


def queries() -> list[str]:
    rng = random.Random(11)
    pairs = [" ".join(rng.sample(VOCABULARY[:60], 2)) for _ in range(60)]
    return pairs + [p.replace(" ", " OR ") for p in pairs[:30]] + VOCABULARY[:30]


def wrong_top_n(ix: NewsIndex) -> list[str]:
    wrong = []
    with ix._searching() as searcher:
        for text in queries():
            query = to_whoosh(parse(text).tree)
            for n in (3, 10):
                top = [round(hit.score, 6) for hit in searcher.search(query, limit=n)]
                every = [round(hit.score, 6) for hit in searcher.search(query, limit=None)]
                if top != every[:n]:
                    wrong.append(f"{text!r} top {n}: {top} != {every[:n]}")
    return wrong


def test_top_n_is_the_true_top_n(index):
    assert wrong_top_n(index) == []


def test_the_check_catches_whoosh_s_own_pruning(index, monkeypatch):
    def replace(self, minquality=0):  # WrappingMatcher.replace in Whoosh 2.7.4
        r = self.child.replace(minquality)
        return self if r is self.child else self._replacement(r)

    def skip_to(self, id):  # AndMaybeMatcher.skip_to in Whoosh 2.7.4
        if not self.a.is_active():
            raise mcore.ReadTooFar
        ra, rb = self.a.skip_to(id), False
        if self.a.is_active() and self.b.is_active():
            rb = self.b.skip_to(id)
        return ra or rb

    monkeypatch.setattr(wrappers.WrappingMatcher, "replace", replace)
    monkeypatch.setattr(binary.AndMaybeMatcher, "skip_to", skip_to)
    assert wrong_top_n(index)


def test_install_applies_every_fix_once():
    fixes.install()
    fixes.install()  # idempotent: a second open changes nothing
    for fix in fixes.FIXES:
        assert vars(fix.owner)[fix.name] is fix.replacement


def test_install_refuses_a_whoosh_whose_method_changed(monkeypatch):
    def other_replace(self, minquality=0):  # not Whoosh 2.7.4's WrappingMatcher.replace
        return self

    def other_skip_to(self, id):
        return self.a.skip_to(id)

    monkeypatch.setattr(wrappers.WrappingMatcher, "replace", other_replace)
    monkeypatch.setattr(binary.AndMaybeMatcher, "skip_to", other_skip_to)
    with pytest.raises(fixes.WhooshFixError, match="WrappingMatcher.replace is not Whoosh 2.7.4"):
        fixes.install()
    # checked before anything is replaced: Whoosh is left as it was, not half-fixed
    assert wrappers.WrappingMatcher.replace is other_replace
    assert binary.AndMaybeMatcher.skip_to is other_skip_to


def test_opening_an_index_installs_the_fixes_and_importing_does_not(seed_index):
    # A fresh interpreter: in this one an earlier test has installed them.
    code = f"""
from whoosh.matching import wrappers
from search import NewsIndex
from search.engine.whoosh import fixes
assert wrappers.WrappingMatcher.replace is not fixes._wrapping_replace, "patched on import"
with NewsIndex.open({str(seed_index)!r}):
    assert wrappers.WrappingMatcher.replace is fixes._wrapping_replace, "not patched on open"
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_a_buffer_file_reads_its_buffer_in_place_as_bytesio_would():
    """BufferFile (every file of an opened segment) no longer copies its
    buffer into a BytesIO: the stream it reads through answers read,
    readline, seek and tell as BytesIO does, over the memoryview itself."""
    import io
    import random

    from whoosh.filedb.structfile import BufferFile

    fixes.install()
    data = bytes(random.Random(5).randrange(256) for _ in range(5000)).replace(b"\x00", b"\n")
    view = memoryview(data)
    ours, theirs = BufferFile(view).file, io.BytesIO(data)
    assert not isinstance(ours, io.BytesIO)  # (a BytesIO would hold a copy)
    rng = random.Random(9)
    for _ in range(2000):
        op = rng.choice(["read", "readline", "seek", "tell"])
        if op == "read":
            n = rng.choice([-1, 0, 1, 7, 300, 9000])
            assert ours.read(n) == theirs.read(n)
        elif op == "readline":
            assert ours.readline() == theirs.readline()
        elif op == "seek":
            offset, whence = rng.randrange(-50, 5100), rng.choice([0, 1, 2])
            if whence == 0:
                offset = abs(offset)
            if (whence == 1 and theirs.tell() + offset < 0) or (whence == 2 and 5000 + offset < 0):
                continue
            assert ours.seek(offset, whence) == theirs.seek(offset, whence)
        assert ours.tell() == theirs.tell()
    structured = BufferFile(memoryview(b"\x00\x00\x00\x2a" + b"rest"))
    assert structured.read_int() == 42 and structured.get(4, 4) == b"rest"
