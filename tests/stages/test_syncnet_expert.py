"""Stage syncnet_expert: trains, registers by identity, logs params under their params.yaml
names, writes result.json once, and resumes from its checkpoints for the same fingerprint."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lipsync.stages import syncnet_expert
from lipsync.tracking import ModelRef, open_tracking
from tests.builders import TINY


def test_trains_registers_and_logs_params_by_their_paths(tiny_expert):
    project, result = tiny_expert
    assert json.loads(project.layout.model_result("syncnet_expert").read_text()) == result
    ref = ModelRef.from_dict(result["model"])
    assert ref.name == "syncnet-expert" and result["steps"] == TINY["training"]["syncnet_expert"]["loop"]["steps"]
    run = open_tracking(project.layout.mlruns).get_run(ref.run_id)
    params = run.data.params
    assert params["training.syncnet_expert.loop.lr"] == str(project.params.training.syncnet_expert.loop.lr)
    assert params["models.syncnet.window_frames"] == "5" and params["training.seed"] == "1234"
    assert not any(key.startswith(("training.generator", "training.wav2lip_baseline", "expert.")) for key in params)
    assert run.data.tags["data_version"] == result["data_version"] and run.info.status == "FINISHED"
    assert 0.0 <= result["metrics"]["accuracy"] <= 1.0 and result["metrics"]["pairs"] > 0
    ceiling = result["ceiling"]  # the perfect eye on the same held-out pairs, from the corpus truth
    assert ceiling["pairs"] == result["metrics"]["pairs"] and 0.0 <= ceiling["accuracy"] <= 1.0
    assert run.data.metrics["ceiling/accuracy"] == ceiling["accuracy"]
    gap = ceiling["accuracy"] - result["metrics"]["accuracy"]
    assert run.data.metrics["ceiling/expert_gap"] == pytest.approx(gap)


def test_same_fingerprint_is_reused_other_params_start_afresh(tiny_expert):
    project, first = tiny_expert
    again = syncnet_expert.run(project.params, project.layout)
    assert again["fingerprint"] == first["fingerprint"] and again["up_to_date"]
    assert again["model"] == first["model"]  # the same registered version: nothing trained or registered again
    loop = dataclasses.replace(project.params.training.syncnet_expert.loop, lr=0.0005)
    training = dataclasses.replace(
        project.params.training, syncnet_expert=dataclasses.replace(project.params.training.syncnet_expert, loop=loop)
    )
    changed = syncnet_expert.run(dataclasses.replace(project.params, training=training), project.layout)
    assert changed["fingerprint"] != first["fingerprint"] and changed["resumed_from"] == 0


def test_a_failed_training_leaves_the_last_result(tiny_expert, monkeypatch):
    project, _ = tiny_expert
    before = project.layout.model_result("syncnet_expert").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("lipsync.training.expert.train_expert", broken)
    with pytest.raises(RuntimeError, match="boom"):
        syncnet_expert.run(project.params, project.layout)
    assert project.layout.model_result("syncnet_expert").read_text() == before  # not rewritten
    runs = open_tracking(project.layout.mlruns).search_runs(
        [open_tracking(project.layout.mlruns).get_experiment_by_name("syncnet_expert").experiment_id],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    assert runs[0].info.status == "FAILED" and "boom" in runs[0].data.tags["failure"]
