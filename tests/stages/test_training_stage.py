"""Training stages check their shards against the manifest before anything runs."""

from __future__ import annotations

import json
import logging

import pytest

from lipsync.data.shards import ShardMismatch, data_version, write_shard
from lipsync.layout import SPLITS
from lipsync.stages.training_stage import TrainingStage, verify_split_shards
from tests.builders import TINY, make_project
from tests.data.test_shards import make_sample


def project_with_shards(root):
    """A TINY project with two small shards per split and their manifest (no pipeline run)."""
    project = make_project(root, TINY)
    layout, splits = project.layout, {}
    for n, split in enumerate(SPLITS):
        entries = [
            write_shard(layout.shard_dir(split) / f"shard-{k:06d}.tar", [make_sample(10 * n + k)], 0) for k in (0, 1)
        ]
        splits[split] = {"samples": 2, "shards": entries}
    digests = [e["sha256"] for s in splits.values() for e in s["shards"]]
    layout.shards_manifest.write_text(json.dumps({"data_version": data_version(digests), "splits": splits}))
    return project


def test_a_cut_shard_stops_the_training_stage_before_anything_runs(tmp_path, caplog):
    project = project_with_shards(tmp_path / "proj")
    layout = project.layout
    stage = TrainingStage("syncnet_expert", project.params, layout)
    with caplog.at_level(logging.INFO, logger="lipsync"):
        verify_split_shards(layout, ("train", "test"), True, "syncnet_expert")
    assert any("syncnet_expert: shards of train/test verified (sizes and sha256" in m for m in caplog.messages)
    shard = layout.shard_dir("train") / "shard-000001.tar"
    size = shard.stat().st_size
    shard.write_bytes(shard.read_bytes()[:-512])
    with pytest.raises(ShardMismatch) as exc, stage:
        pytest.fail("the training block ran")
    assert str(exc.value).startswith(
        f"syncnet_expert: shard {shard} is {size - 512} bytes, the manifest expects {size}"
    )
    assert not layout.checkpoints(stage.name).exists() and not layout.model_result(stage.name).exists()
    assert not layout.mlruns.exists()  # no MLflow run was opened
