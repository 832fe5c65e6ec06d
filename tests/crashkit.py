"""Helpers for the crash-safety tests and `bench/soak_kill.py`: a generated
corpus whose article order is known, the real CLI as a subprocess, and checks
that an index holds exactly a committed state.

The corpus is written by :func:`make_corpus`: text files in lettered
subfolders (the folder name becomes the section) and JSON Lines files of
articles with their own ids. Every article has its own random words, so none
is an exact or near duplicate of another and every one is indexed.

The indexer walks folders in sorted order, parses files in that order (the
parallel parser yields in input order) and commits after every
``NEWSSEARCH_BATCH_SIZE`` written articles. So after any crash the index holds
a prefix of :attr:`Corpus.order`, and a run that started from a prefix of
length ``p`` can only leave ``p + k * batch`` articles (or all of them).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from search import NewsIndex
from search.article import Article

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu",
             "be", "fi", "ho", "ju", "ly", "qu", "wa", "xe")


@dataclass
class Corpus:
    """The generated folder and what each article must look like once indexed."""

    root: Path
    #: Article ids in the order the indexer writes them.
    order: list[str] = field(default_factory=list)
    #: id → (title, body, content hash) as the reader makes them.
    expected: dict[str, tuple[str, str, str]] = field(default_factory=dict)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def make_corpus(root: Path, *, text_files: int = 2000, jsonl_files: int = 10,
                per_jsonl: int = 100, seed: int = 7,
                sections: tuple[str, ...] = SECTIONS) -> Corpus:
    """Write `text_files` text articles (spread over the `sections` folders)
    and `jsonl_files` × `per_jsonl` JSON Lines articles (in ``wire/``) under
    `root`; return their indexing order and expected content."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root)
    per_folder = -(-text_files // len(sections))
    written: dict[str, list[Article]] = {}
    n = 0
    for section in sections:
        folder = root / section
        folder.mkdir(exist_ok=True)
        items = written.setdefault(section, [])
        for i in range(min(per_folder, text_files - n)):
            title = f"{_word(rng).capitalize()} {_word(rng)} report {seed}-{n}"
            body = " ".join(_word(rng) for _ in range(rng.randint(15, 45))) + f" story{n}."
            (folder / f"{i:04d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            items.append(Article(id=f"{section}/{i:04d}.txt", title=title, body=body,
                                 section=section))
            n += 1
    for f in range(jsonl_files):
        feeds = root / "wire"
        feeds.mkdir(exist_ok=True)
        lines = []
        for j in range(per_jsonl):
            wid = f"wire-{seed}-{f:02d}-{j:03d}"
            title = f"{_word(rng).capitalize()} wire {wid}"
            body = " ".join(_word(rng) for _ in range(rng.randint(15, 45))) + f" {wid}."
            lines.append(json.dumps({"id": wid, "title": title, "body": body,
                                     "source": "Wire"}))
            written.setdefault("wire", []).append(
                Article(id=wid, title=title, body=body, source="Wire"))
        (feeds / f"part-{f:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # discover() walks folders in sorted order and files in sorted order (the
    # names above sort as written), and the parser yields files in that order.
    for folder in sorted(written):
        for article in written[folder]:
            corpus.order.append(article.id)
            corpus.expected[article.id] = (article.title, article.body, article.content_hash)
    return corpus


# --- running the CLI --------------------------------------------------------------

def cli_env(batch_size: int) -> dict[str, str]:
    env = dict(os.environ)
    env["NEWSSEARCH_BATCH_SIZE"] = str(batch_size)
    env.pop("NEWSSEARCH_INDEX", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`newssearch ARGS` as a real process. Killing it kills that process
    only, as a user's `kill -9` or the OOM killer does: its parsing workers
    get no signal from us."""
    return subprocess.Popen([sys.executable, "-m", "search.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO)


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run([sys.executable, "-m", "search.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)


def kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL `proc` after `delay` seconds; False if it had already finished.
    Its (stdout, stderr) are kept as ``proc.output``."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    proc.output = proc.communicate()
    return not finished


# --- checking an index --------------------------------------------------------

def index_state(path: Path) -> dict[str, tuple[str, str, str]]:
    """id → (title, body, content hash) of every article in the index."""
    with NewsIndex.open(path) as ix:
        return {a.id: (a.title, a.body, a.content_hash) for a in ix.articles()}


def check_committed(state: dict, corpus: Corpus, before: int, batch: int) -> int:
    """Assert `state` is a committed state reachable from a prefix of
    `before` articles; return its length. Raises AssertionError otherwise."""
    n = len(state)
    assert set(state) == set(corpus.order[:n]), (
        f"ids are not a prefix of the corpus order (n={n}; missing "
        f"{sorted(set(corpus.order[:n]) - set(state))[:5]}, extra "
        f"{sorted(set(state) - set(corpus.order[:n]))[:5]})")
    assert n >= before, f"lost committed articles: {before} before, {n} after"
    assert n == len(corpus.order) or (n - before) % batch == 0, (
        f"half a batch: {n - before} articles since the last state (batch {batch})")
    bad = [i for i, value in state.items() if value != corpus.expected[i]]
    assert not bad, f"articles differ from their source: {bad[:5]}"
    return n


def processes_mentioning(text: str) -> list[int]:
    """Live (not zombie) processes whose command line contains `text`: a
    killed indexer's forked parsing workers carry its command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def wait_gone(text: str, timeout: float = 60.0) -> list[int]:
    """Wait until no process mentions `text`; return those still alive.
    (`timeout` bounds a stuck wait: it returns as soon as they are gone.)"""
    deadline = time.monotonic() + timeout
    while True:
        left = processes_mentioning(text)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.01)
