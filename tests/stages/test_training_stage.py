"""Training stages check their shards against the manifest before anything runs, resume a killed
training into its MLflow run, and register nothing new when rerun unchanged."""

from __future__ import annotations

import json
import logging

import pytest

from lipsync.data.shards import ShardMismatch, data_version, write_shard
from lipsync.layout import SPLITS
from lipsync.stages import syncnet_expert
from lipsync.stages.training_stage import TrainingStage, verify_split_shards
from lipsync.tracking import open_tracking
from lipsync.tracking.run_process import PID_TAG
from lipsync.training import loop
from tests.builders import TINY, dead_pid, deep_update, make_project
from tests.data.test_shards import make_sample
from tests.training.training_fixtures import segment


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


class Killed(Exception):
    """Stands in for the process being killed right after a checkpoint."""


def project_with_training_shards(root):
    """A TINY project with a slim expert and shards of the training tests' segments (no pipeline run)."""
    slim = {
        "models": {"syncnet": {"channels": [4, 8, 8, 8, 16], "embedding_dim": 16}},
        "training": {"data": {"shuffle_buffer": 8, "epoch_batches": 3, "views_per_segment": 2}},
    }
    project = make_project(root, deep_update(TINY, slim))
    layout, splits = project.layout, {}
    for n, split in enumerate(SPLITS):
        samples = [segment(f"v{n}{k}", 25 * k, seed=10 * n + k, quiet=(0, 1, 2, 3, 4)) for k in range(3)]
        entries = [write_shard(layout.shard_dir(split) / "shard-000000.tar", samples, 0)]
        splits[split] = {"samples": 3, "shards": entries}
    digests = [e["sha256"] for s in splits.values() for e in s["shards"]]
    layout.shards_manifest.write_text(json.dumps({"data_version": data_version(digests), "splits": splits}))
    return project


def test_a_killed_training_resumes_into_its_run_and_a_rerun_registers_nothing(tmp_path, monkeypatch):
    """Killed (SIGKILL: left RUNNING) after its first checkpoint, the stage marks the run FAILED at
    the next start, then resumes into it: one run, FINISHED, with the metrics of both parts. Run
    again with the same fingerprint, it registers no new version."""
    project = project_with_training_shards(tmp_path / "proj")
    layout = project.layout
    checkpoint = loop._Run.checkpoint

    def checkpoint_then_die(run, position):
        checkpoint(run, position)
        if run.step == 2:
            raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(loop._Run, "checkpoint", checkpoint_then_die)
        with pytest.raises(Killed):
            syncnet_expert.run(project.params, layout)
    run_id = json.loads(layout.checkpoints_fingerprint("syncnet_expert").read_text())["run_id"]
    client = open_tracking(layout.mlruns)
    client.update_run(run_id, status="RUNNING")  # as SIGKILL leaves it: no chance to close the run
    client.set_tag(run_id, PID_TAG, str(dead_pid()))

    result = syncnet_expert.run(project.params, layout)
    assert result["model"]["run_id"] == run_id and result["resumed_from"] == 2
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.end_time is not None and "failure" not in run.data.tags
    assert run.data.tags["previous_failure"].startswith("process ")  # marked FAILED at the start, then reopened
    loss = client.get_metric_history(run_id, "train/loss")
    assert sorted({m.step for m in loss}) == [1, 2, 3, 4]  # both parts on the one run
    assert len(client.search_runs([result["experiment_id"]])) == 1

    again = syncnet_expert.run(project.params, layout)
    assert again["up_to_date"] and again["model"] == result["model"]
    assert [v.version for v in client.search_model_versions("name='syncnet-expert'")] == [result["model"]["version"]]
