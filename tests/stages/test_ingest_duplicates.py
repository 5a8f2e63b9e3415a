"""Stage ingest: a byte copy, a stream-copy remux and a re-encode of one clip, each under another
speaker, become ``duplicate`` rows naming the original; none reaches a split but the original's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lipsync.media.writer import write_mp4
from lipsync.stages import ingest, mel, shards
from lipsync.stages.per_video import ingested_sources
from tests.av_files import remux
from tests.builders import gradient_frames, make_project, tone, write_clip

SPLIT = {"val": ["bob", "carol", "dave"], "test": [], "val_fraction": 0.0, "test_fraction": 0.0}


@pytest.fixture
def copies(tmp_path):
    """alice/a.mp4 (the original, train), its byte copy, remux and re-encode under bob, carol and
    dave (val speakers), and erin/other.mp4: a different clip of the same size and sound."""
    project = make_project(tmp_path / "proj", {"paths": {"raw_videos": "raw"}, "ingest": {"workers": 1},
                                               "shards": {"split": SPLIT}})  # fmt: skip
    raw = project.layout.raw_videos
    for speaker in ("alice", "bob", "carol", "dave", "erin"):
        (raw / speaker).mkdir(parents=True)
    frames = gradient_frames(50)
    write_clip(raw / "alice" / "a.mp4", frames=frames)
    (raw / "bob" / "a.mp4").write_bytes((raw / "alice" / "a.mp4").read_bytes())
    remux(raw / "alice" / "a.mp4", raw / "carol" / "a.mkv")
    write_mp4(raw / "dave" / "a.mp4", frames, 25, tone(2.0), 16000, crf=35, threads=1, preset="ultrafast")
    write_clip(raw / "erin" / "other.mp4", frames=np.ascontiguousarray(frames[:, :, ::-1]))
    return project


def rows(project):
    return pd.read_parquet(project.layout.ingest_manifest).set_index("source")


def test_copies_are_duplicate_rows_naming_the_original(copies):
    summary = ingest.run(copies.params, copies.layout)
    table = rows(copies)
    assert summary["ok"] == 2 and summary["duplicates"] == 3 and summary["skipped_entries"] == 0
    assert sorted(table.index[table.status == "ok"]) == ["alice/a.mp4", "erin/other.mp4"]
    for copy, why in [("bob/a.mp4", "a byte-identical copy"), ("carol/a.mkv", "the same audio and video streams"),
                      ("dave/a.mp4", "a re-encoded copy")]:  # fmt: skip
        row = table.loc[copy]
        assert row.status == "duplicate" and row.duplicate_of == "alice/a.mp4"
        assert row.reason.startswith(f"same content as alice/a.mp4 ({why}") and "alice/a.mp4's speaker" in row.reason
        assert not copies.layout.normalised_video(row.video_id).exists()
    assert table.loc["bob/a.mp4"].video_id != table.loc["alice/a.mp4"].video_id  # its own row and partition
    assert json.loads(copies.layout.ingest_skipped.read_text()) == []


def test_running_again_keeps_the_statuses_and_the_original_leaving_frees_a_copy(copies):
    ingest.run(copies.params, copies.layout)
    first = rows(copies)
    again = ingest.run(copies.params, copies.layout)
    assert again["processed"] == 0 and rows(copies).equals(first)
    (copies.layout.raw_videos / "alice" / "a.mp4").unlink()
    ingest.run(copies.params, copies.layout)
    table = rows(copies)
    assert table.loc["bob/a.mp4"].status == "ok"  # now the first holder of the content, by path
    assert {table.loc[s].duplicate_of for s in ("carol/a.mkv", "dave/a.mp4")} == {"bob/a.mp4"}


def test_no_duplicate_reaches_the_shards_of_another_split(copies):
    """faces and mel read the ingest records (duplicates are not ok: skipped there); even if they
    passed every video, the shards plan would hold the original only."""
    ingest.run(copies.params, copies.layout)
    layout, table = copies.layout, rows(copies)
    sources = ingested_sources(copies.params, layout)
    assert {v for v, s in sources.items() if s["status"] != "ok"} == set(table.video_id[table.status == "duplicate"])
    assert mel.run(copies.params, layout)["skipped"] == 3
    features = pd.read_parquet(layout.mel_manifest).set_index("source")
    assert features.loc["carol/a.mkv"].reason.startswith("not ingested: same content as alice/a.mp4")
    ids = table.video_id.tolist()
    for manifest in (layout.faces_manifest, layout.mel_manifest):
        manifest.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"video_id": ids, "status": ["ok"] * len(ids)}).to_parquet(manifest)
    for video_id in ids:
        layout.face_record(video_id).parent.mkdir(parents=True, exist_ok=True)
        layout.face_record(video_id).write_text(json.dumps({"segments": [[0, 50]]}))
    plan = shards.plan_segments(copies.params, layout)
    assert set(plan.speaker) == {"alice", "erin"} and set(plan.split) == {"train"}


def test_prints_are_cached_by_content_and_a_new_file_alone_is_decoded(copies, monkeypatch):
    from lipsync.ingest import duplicates
    from lipsync.stages import ingest_duplicates

    ingest.run(copies.params, copies.layout)
    cached = json.loads(copies.layout.ingest_prints.read_text())
    assert cached["frames"] == 8 and len(cached["prints"]) == 4  # alice's bytes once for alice and bob
    decoded = []
    monkeypatch.setattr(ingest_duplicates, "content_print", lambda path, n: decoded.append(path.name) or
                        duplicates.content_print(path, n))  # fmt: skip
    write_clip(copies.layout.raw_videos / "erin" / "new.mp4", seconds=1.4)
    summary = ingest.run(copies.params, copies.layout)
    assert decoded == ["new.mp4"] and summary["ok"] == 3 and summary["duplicates"] == 3
