"""Stage shards: speaker splits, sample shapes and timing, equal shard counts, and the same
bytes (hence data version) when run again."""

from __future__ import annotations

import json

from lipsync.data.shards import read_samples
from lipsync.stages import shards


def test_splits_samples_and_manifest(tiny_data):
    project, summaries = tiny_data
    manifest = json.loads(project.layout.shards_manifest.read_text())
    splits = manifest["splits"]
    assert splits["train"]["speakers"] == ["spk00-astronaut"] and splits["val"]["speakers"] == ["spk01-camera"]
    assert splits["test"]["speakers"] == ["spk02-grace_hopper"]
    assert manifest["data_version"] == summaries["shards"]["data_version"] and manifest["fps"] == 25
    window, segment = project.params.format.sync_window, project.params.shards.segment_frames
    for split, info in splits.items():
        paths = [project.layout.shard_dir(split) / sh["path"] for sh in info["shards"]]
        samples = list(read_samples(paths))
        assert len(samples) == info["samples"] > 0
        for sample in samples:
            frames = sample.frames.shape[0]
            assert frames % window == 0 and frames <= segment and sample.meta["split"] == split
            assert sample.frames.shape[1:] == (96, 96, 3) and sample.mel.shape == (80, frames * 16 // window)
            assert sample.meta["mel_start"] == int(80 * sample.meta["start_frame"] / 25)


def test_running_again_gives_the_same_bytes(tiny_data):
    project, summaries = tiny_data
    before = json.loads(project.layout.shards_manifest.read_text())
    again = shards.run(project.params, project.layout)
    after = json.loads(project.layout.shards_manifest.read_text())
    assert again["data_version"] == summaries["shards"]["data_version"]
    digests = {s: [sh["sha256"] for sh in before["splits"][s]["shards"]] for s in before["splits"]}
    assert digests == {s: [sh["sha256"] for sh in after["splits"][s]["shards"]] for s in after["splits"]}
    assert not list(project.layout.shards.parent.glob(".shards.tmp-*"))  # the staging folder is gone


def test_an_empty_plan_never_replaces_shards_with_samples_and_stale_staging_is_removed(tmp_path, caplog):
    """A killed run's `.shards.tmp-<pid>` goes at the next start; then, with no segment to write
    (every video rejected upstream), the stage refuses to erase the existing shard set."""
    import logging
    import subprocess
    import sys

    import pandas as pd
    import pytest

    from tests.builders import TINY, make_project

    project = make_project(tmp_path / "proj", TINY)
    layout = project.layout
    for manifest in (layout.ingest_manifest, layout.faces_manifest, layout.mel_manifest):
        manifest.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"video_id": ["v1"], "status": ["rejected"]}).to_parquet(manifest)
    layout.shard_dir("train").mkdir(parents=True)
    (layout.shard_dir("train") / "shard-000000.tar").write_bytes(b"x" * 10)
    previous = {"data_version": "abc", "splits": {"train": {"samples": 7}, "val": {"samples": 2}, "test": {}}}
    layout.shards_manifest.write_text(json.dumps(previous))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    staging = layout.shards.with_name(f".shards.tmp-{child.pid}")
    (staging / "train").mkdir(parents=True)
    (staging / "train" / "shard-000000.tar").write_bytes(b"partial")
    with caplog.at_level(logging.INFO, logger="lipsync"), pytest.raises(shards.EmptyShardSet) as exc:
        shards.run(project.params, layout)
    assert f"refusing to replace {layout.shards} (9 samples, data version abc)" in str(exc.value)
    assert json.loads(layout.shards_manifest.read_text()) == previous  # untouched
    assert (layout.shard_dir("train") / "shard-000000.tar").read_bytes() == b"x" * 10
    assert not staging.exists()
    assert f"shards: removed folder {staging} left by a process that no longer runs" in caplog.messages
