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
