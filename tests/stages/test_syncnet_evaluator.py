"""Stage syncnet_evaluator: trains syncnet_python's network on the train shards' audio and
faces, registers it as ``syncnet-evaluator`` and reuses that version while params, code and
data stay the same (two generator versions are compared by one evaluator)."""

from __future__ import annotations

import dataclasses

from lipsync.stages import syncnet_evaluator
from lipsync.tracking import open_tracking


def with_seed(params, seed: int):
    training = params.training
    evaluator = dataclasses.replace(training.syncnet_evaluator, seed=seed)
    return dataclasses.replace(params, training=dataclasses.replace(training, syncnet_evaluator=evaluator))


def test_trains_once_and_is_reused_by_version(tiny_data):
    project, _ = tiny_data
    client = open_tracking(project.layout.mlruns)
    versions = lambda: len(client.search_model_versions("name = 'syncnet-evaluator'"))  # noqa: E731
    params = with_seed(project.params, 9001)  # a training no other test ran
    first = syncnet_evaluator.run(params, project.layout)
    assert first["model"]["name"] == "syncnet-evaluator" and not first["up_to_date"]
    assert {"pair_accuracy", "top1", "in_sync_distance", "off_sync_distance"} <= set(first["metrics"])
    assert 0.0 <= first["metrics"]["pair_accuracy"] <= 1.0 and first["metrics"]["windows"] > 0
    count = versions()
    again = syncnet_evaluator.run(params, project.layout)
    assert again["up_to_date"] and again["model"] == first["model"] and versions() == count  # no new version
    run = client.get_run(first["model"]["run_id"])
    assert run.data.params["training.syncnet_evaluator.seed"] == "9001"
    assert run.data.params["models.syncnet_evaluator.face_size"] == "96"
    changed = syncnet_evaluator.run(with_seed(project.params, 9002), project.layout)
    assert not changed["up_to_date"] and changed["model"]["version"] == count + 1
    syncnet_evaluator.run(project.params, project.layout)  # the project's own again, for the tests after this one
