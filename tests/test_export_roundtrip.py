"""`export` then `index` moves an archive: every field of every article comes
back (the Reuters code lists, related headlines, a title-only story, how an
HTML body was found), through the real CLI on fixture files of each format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from search.cli import app

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
RECORDS = [
    {"id": "r1", "title": "Oil output rises", "body": "Oil output rose in March, the ministry said.",
     "tags": ["energy"], "topics": ["crude"], "places": ["usa"], "people": ["smith"],
     "orgs": ["opec"], "exchanges": ["nyse"], "related": ["Gas prices fall, traders say"]},
    {"id": "r2", "title": "Wheat harvest", "body": "The wheat harvest was larger than expected.",
     "topics": ["grain"]},
]
#: Set again by the second indexing run: where the article was read from.
PER_RUN = ("path", "content_hash")


def run(*args: str) -> str:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def exported(index: Path) -> dict[str, dict]:
    return {a["id"]: a for a in map(json.loads, run("export", "--index", str(index)).splitlines())}


def test_export_then_index_gives_back_every_field(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(REPO / "seeds" / next(p.name for p in (REPO / "seeds").iterdir()), src)
    shutil.copy(FIXTURES / "structured" / "reuters" / "mini.sgm", src)
    shutil.copy(FIXTURES / "html" / "amp-rail.html", src)
    (src / "records.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    run("index", str(src), "--index", str(tmp_path / "a"))
    first = exported(tmp_path / "a")
    (tmp_path / "a.jsonl").write_text(run("export", "--index", str(tmp_path / "a")))

    run("index", str(tmp_path / "a.jsonl"), "--index", str(tmp_path / "b"))
    second = exported(tmp_path / "b")

    assert set(second) == set(first)
    for article_id, article in first.items():
        moved = {k: v for k, v in second[article_id].items() if k not in PER_RUN}
        assert moved == {k: v for k, v in article.items() if k not in PER_RUN}, article_id
    # What the comparison covers: the lists, a title-only story, an HTML route.
    r1 = second["r1"]
    assert (r1["tags"], r1["topics"], r1["orgs"], r1["related"]) == (
        ["energy"], ["crude"], ["opec"], ["Gas prices fall, traders say"])
    assert any(a["body"] == "" and a["title"] for a in second.values())
    assert any(a["extraction"] for a in second.values())


def test_a_topics_key_is_read_as_topics_not_tags(tmp_path):
    (tmp_path / "r.jsonl").write_text(json.dumps(RECORDS[1]) + "\n")
    run("index", str(tmp_path / "r.jsonl"), "--index", str(tmp_path / "ix"))
    article = exported(tmp_path / "ix")["r2"]
    assert (article["topics"], article["tags"]) == (["grain"], [])
