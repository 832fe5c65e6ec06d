"""Damage and hostile index files: checksums, `newssearch check [--repair]`,
the validated manifest and the restricted unpickler (see docs/reliability.md).

Every test damages a real index built from real files the way a disk, a
power cut or a stranger would, and runs the real CLI on it.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import re
from pathlib import Path

import pytest
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC

from search import NewsIndex
from search.engine.whoosh import safepickle, toc
from search.engine.whoosh.directory import MANIFEST
from search.errors import IndexDamagedError

from .crashkit import make_corpus


def _state(path: Path) -> dict:
    with NewsIndex.open(path) as ix:
        return {a.id: (a.title, a.body, a.content_hash) for a in ix.articles()}


@pytest.fixture
def two_segments(tmp_path, corpus_dir):
    """An index of two source folders, indexed in two runs: two segments."""
    news = make_corpus(tmp_path / "news", text_files=40, jsonl_files=1, per_jsonl=10)
    path = tmp_path / "ix"
    with NewsIndex.create(path) as ix:
        ix.index_paths([corpus_dir], jobs=1)
        ix.index_paths([news.root], jobs=1)
    assert len(_segment_files(path)) == 2
    return path


def _generation(path: Path) -> Path:
    return path / json.loads((path / MANIFEST).read_text())["generation"]


def _segment_files(path: Path) -> list[Path]:
    return sorted(_generation(path).glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)


def _toc(path: Path) -> Path:
    return max(_generation(path).glob("_MAIN_*.toc"))


def _flip(file: Path, count: int, seed: int = 18) -> None:
    """Invert `count` random bytes of `file` in place (size unchanged)."""
    data = bytearray(file.read_bytes())
    rng = random.Random(seed)
    for at in rng.sample(range(len(data)), count):
        data[at] ^= 0xFF
    file.write_bytes(bytes(data))


def _one_line_damage(out, file_part: str) -> None:
    assert out.exit_code == 2, (out.exit_code, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "unexpected" not in out.stderr
    assert re.match(r"newssearch: error: index damaged: \S*" + re.escape(file_part)
                    + r"\S*: .+; run `newssearch check --repair`$", lines[0]), lines[0]


# --- checksums, check and repair ------------------------------------------------

def test_200_flipped_bytes_in_a_segment_are_found_and_repaired(cli, two_segments):
    before = _state(two_segments)
    damaged = _segment_files(two_segments)[-1]  # the bigger one: the generated corpus
    _flip(damaged, 200)
    out = cli("check", "--index", two_segments, "--json")
    assert out.exit_code == 2
    report = json.loads(out.stdout)
    assert not report["ok"]
    assert [s["ok"] for s in report["segments"]].count(False) == 1
    bad = next(s for s in report["segments"] if not s["ok"])
    assert bad["name"] == damaged.name.split(".")[0]
    assert bad["problems"] == [f"{damaged.name}: checksum mismatch"]
    # A query on it: an answer, or the damage named; never "unexpected".
    for words in ("report", "wire", "story3"):
        out = cli("query", words, "--index", two_segments)
        assert out.exit_code == 0 or "index damaged" in out.stderr, out.stderr
        assert "unexpected" not in out.stderr
    out = cli("check", "--repair", "--index", two_segments)
    assert out.exit_code == 0, out.stdout + out.stderr
    assert "dropped 1 damaged segment(s)" in out.stdout
    assert "read 41 source file(s) or folder(s) again: 50 article(s) restored" in out.stdout
    assert _state(two_segments) == before
    assert cli("check", "--index", two_segments).exit_code == 0


def test_a_truncated_segment_is_found_when_the_index_opens(cli, two_segments):
    segment = _segment_files(two_segments)[0]
    segment.write_bytes(segment.read_bytes()[:100])
    for command in (("query", "Idlib"), ("stats",), ("export",)):
        _one_line_damage(cli(*command, "--index", two_segments), segment.name)
    with pytest.raises(IndexDamagedError, match="100 bytes, the commit wrote"):
        NewsIndex.open(two_segments)


@pytest.mark.parametrize("loss", ["emptied", "deleted"])
def test_a_lost_toc_is_damage_and_repair_rebuilds_it_from_the_sources(cli, two_segments, loss):
    before = _state(two_segments)
    toc_file = _toc(two_segments)
    if loss == "emptied":
        toc_file.write_bytes(b"")  # what ext4 can leave after a power cut
        shown, reason = toc_file.name, "empty file"
    else:
        toc_file.unlink()
        shown, reason = "_MAIN_*.toc", "no table of contents"
    for command in (("stats",), ("query", "Idlib"), ("index", str(two_segments.parent / "news")),
                    ("rebuild",)):
        out = cli(*command, "--index", two_segments)
        _one_line_damage(out, shown)
        assert reason in out.stderr
    out = cli("check", "--index", two_segments)
    assert out.exit_code == 2 and reason in out.stdout
    out = cli("check", "--repair", "--index", two_segments)
    assert out.exit_code == 0, out.stdout + out.stderr
    assert "rebuilt gen-000002 from 2 source folder(s)" in out.stdout
    assert _state(two_segments) == before
    assert [p.name for p in two_segments.glob("gen-*")] == ["gen-000002"]


def test_a_toc_with_a_flipped_byte_fails_its_checksum(cli, two_segments):
    toc_file = _toc(two_segments)
    data = bytearray(toc_file.read_bytes())
    data[len(data) // 3] ^= 0x01
    toc_file.write_bytes(bytes(data))
    _one_line_damage(cli("query", "Idlib", "--index", two_segments), toc_file.name)


def test_a_damaged_ledger_is_reset_by_repair(cli, two_segments):
    before = _state(two_segments)
    ledger = _generation(two_segments) / "files.sqlite"
    ledger.write_bytes(b"this is not a database" * 100)
    out = cli("check", "--index", two_segments)
    assert out.exit_code == 2 and "files.sqlite" in out.stdout
    out = cli("check", "--repair", "--index", two_segments)
    assert out.exit_code == 0, out.stdout + out.stderr
    assert _state(two_segments) == before
    # The ledger is whole again: a re-run skips every file unread.
    out = cli("index", two_segments.parent / "news", "--index", two_segments, "--json")
    assert json.loads(out.stdout)["files_unchanged"] == 41


def test_a_merge_refuses_a_damaged_segment(two_segments):
    from search.engine.whoosh.writer import open_writer
    from search.engine.whoosh.directory import open_whoosh, read_manifest

    _flip(_segment_files(two_segments)[0], 5)
    ix = open_whoosh(two_segments, read_manifest(two_segments))
    writer = open_writer(ix, 1.0, str(two_segments))
    try:
        with pytest.raises(IndexDamagedError, match="checksum mismatch"):
            writer.merge_segments(ix._segments())
    finally:
        writer.cancel()


def test_an_index_written_before_checksums_still_opens(cli, corpus_index):
    """A TOC as Whoosh writes it (no footer), as earlier versions left them."""
    before = cli("query", "Idlib", "--index", corpus_index, "--json").stdout
    gen = _generation(corpus_index)
    info = toc.read_toc(_storage(gen), "MAIN")
    for name in gen.glob("_MAIN_*.toc"):
        name.unlink()
    TOC(info.schema, info.segments, info.generation).write(_storage(gen), "MAIN")
    assert not _toc(corpus_index).read_bytes().endswith(toc.MAGIC)
    strip = lambda s: {k: v for k, v in json.loads(s).items() if k != "took_ms"}  # noqa: E731
    assert strip(cli("query", "Idlib", "--index", corpus_index, "--json").stdout) == strip(before)
    out = cli("check", "--index", corpus_index)
    assert out.exit_code == 0 and "written before checksums" in out.stdout


def _storage(folder: Path):
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(folder))


# --- the manifest ----------------------------------------------------------------

@pytest.mark.parametrize("generation", ["../elsewhere", "/tmp", "gen-000001/..", "gen-9", 7])
def test_the_manifest_generation_must_be_a_folder_inside_the_index(cli, seed_index, tmp_path,
                                                                   generation):
    (tmp_path / "elsewhere").mkdir()
    data = json.loads((seed_index / MANIFEST).read_text())
    data["generation"] = generation
    (seed_index / MANIFEST).write_text(json.dumps(data))
    out = cli("query", "Idlib", "--index", seed_index)
    _one_line_damage(out, MANIFEST)
    assert "is not a generation folder name" in out.stderr


def test_a_missing_generation_folder_is_damage(cli, seed_index):
    data = json.loads((seed_index / MANIFEST).read_text())
    data["generation"] = "gen-000042"
    (seed_index / MANIFEST).write_text(json.dumps(data))
    out = cli("stats", "--index", seed_index)
    _one_line_damage(out, MANIFEST)
    assert "gen-000042/ is missing" in out.stderr


# --- pickles that run code -------------------------------------------------------

class _Touch:
    """Unpickled, runs `touch` (what a hostile index would do)."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def _hostile_toc(schema_pickle: bytes, segments_pickle: bytes, generation: int) -> bytes:
    """A TOC in Whoosh's layout (no footer needed: an attacker writes none)."""
    from whoosh.index import _CURRENT_TOC_VERSION, _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE

    stream = StructFile(io.BytesIO())
    for size in (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE):
        stream.write_varint(size)
    stream.write_int(-12345)
    stream.write_int(_CURRENT_TOC_VERSION)
    for number in (2, 7, 4):
        stream.write_varint(number)
    stream.write_string(schema_pickle)
    stream.write_int(generation)
    stream.write_int(0)
    stream.file.write(segments_pickle)
    return stream.file.getvalue()


@pytest.mark.parametrize("where", ["schema", "segments"])
def test_a_toc_pickle_that_runs_code_is_refused(cli, seed_index, tmp_path, where):
    pwned = tmp_path / "PWNED"
    gen = _generation(seed_index)
    info = toc.read_toc(_storage(gen), "MAIN")
    evil = pickle.dumps(_Touch(pwned), 2)
    schema = evil if where == "schema" else pickle.dumps(info.schema, 2)
    segments = evil if where == "segments" else pickle.dumps(info.segments, -1)
    _toc(seed_index).write_bytes(_hostile_toc(schema, segments, info.generation))
    for command in (("stats",), ("query", "Idlib"), ("check",)):
        out = cli(*command, "--index", seed_index)
        assert out.exit_code == 2, out.stdout + out.stderr
        assert "index damaged" in out.stdout + out.stderr
        assert "system, which is not part of the index format" in out.stdout + out.stderr
    assert not pwned.exists()


def test_a_stored_field_pickle_that_runs_code_is_refused(tmp_path):
    from search.engine.whoosh.codec import StoredBlocksColumn

    pwned = tmp_path / "PWNED"
    with pytest.raises(safepickle.ForbiddenPickleError):
        safepickle.loads(pickle.dumps({"title": _Touch(pwned)}, 4))
    reader = StoredBlocksColumn.Reader.__new__(StoredBlocksColumn.Reader)
    reader.pickled = lambda docnum: pickle.dumps(_Touch(pwned))
    with pytest.raises(safepickle.ForbiddenPickleError):
        reader[0]
    assert not pwned.exists()


def test_the_index_format_itself_loads(seed_index):
    """Everything a real index pickles is on the allow-list (the seed index
    opens, searches and shows its stored fields above)."""
    with NewsIndex.open(seed_index) as ix:
        assert ix.search("Idlib").total == 1
        assert [a.id for a in ix.articles()]


def test_every_whoosh_pickle_load_goes_through_the_allow_list():
    """Whoosh modules that unpickle index data hold the restricted loader."""
    from whoosh import columns, formats, index
    from whoosh.codec import plaintext, whoosh3
    from whoosh.filedb import structfile

    for module in (whoosh3, columns, formats, plaintext):
        assert module.loads is safepickle.loads, module.__name__
    assert structfile.load_pickle is safepickle.load
    assert index.pickle.loads is safepickle.loads
    assert not index.toc_loaders
    # …and no other Whoosh module reading index files unpickles on its own.
    import whoosh

    root = Path(whoosh.__file__).parent
    readers = {"codec/whoosh3.py", "columns.py", "formats.py", "codec/plaintext.py",
               "filedb/structfile.py", "index.py", "legacy.py", "util/loading.py",
               "multiproc.py"}  # (multiproc: its own temporary files, which we never use)
    for source in root.rglob("*.py"):
        text = source.read_text("utf-8", "replace")
        if re.search(r"\bloads\(|pickle\.load\(|Unpickler\(", text):
            assert str(source.relative_to(root)) in readers, source


def test_a_commit_deletes_tables_of_contents_a_crash_left_half_written(seed_index, corpus_dir):
    gen = _generation(seed_index)
    left = [gen / "_MAIN_9.toc.tmp", gen / "_MAIN_9.toc.1701234567.25"]  # ours, Whoosh's
    for file in left:
        file.write_bytes(b"half a table of contents")
    with NewsIndex.open(seed_index) as ix:
        assert ix.search("Idlib").total == 1  # not mistaken for the live one
        ix.index_paths([corpus_dir], jobs=1)
    assert not any(file.exists() for file in left)
    assert [p.name for p in gen.glob("_MAIN_*.toc*")] == [_toc(seed_index).name]


def test_a_command_that_trips_over_damage_names_the_damaged_file(cli, two_segments):
    """Bytes that fail to decode (here a whole segment overwritten, size
    kept) make a command fail: it names the file instead of "unexpected"."""
    segment = _segment_files(two_segments)[-1]
    segment.write_bytes(random.Random(18).randbytes(segment.stat().st_size))
    for command in (("query", "report"), ("export",)):
        out = cli(*command, "--index", two_segments)
        _one_line_damage(out, segment.name)
        assert "checksum mismatch" in out.stderr
