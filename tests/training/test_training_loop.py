"""The shared loop, driven through the expert trainer on tiny shards: exact resume after a
kill, the NaN / explosion guard, checkpoint errors, callbacks and log files."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

import lipsync.training.expert as expert_module
from lipsync.models import CheckpointError, LipSyncGenerator, SyncNet, save_checkpoint
from lipsync.training import Callbacks, RunPaths, RunSetup, ShardSource, TrainingDiverged, setup, train_expert
from lipsync.training.loop import lr_factor, set_learning_rates
from tests.training.training_fixtures import (
    geometry,
    tiny_expert_settings,
    tiny_generator_settings,
    tiny_training,
    write_shards,
)

torch.set_num_threads(1)


class Killed(Exception):
    """Stands in for the process being killed between two steps."""


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return write_shards(tmp_path_factory.mktemp("shards"), shards=2, per_shard=3)


def run_paths(root) -> RunPaths:
    return RunPaths(root / "checkpoints", root / "logs" / "train.log", root / "logs" / "metrics.json")


def run_expert(shards, root, steps=6, every=2, callbacks=None, eval_shards=None, **loop_changes):
    settings = tiny_training(steps=steps, batch=4, every=every)
    loop = dataclasses.replace(settings.syncnet_expert.loop, **loop_changes)
    expert = dataclasses.replace(settings.syncnet_expert, loop=loop)
    torch.manual_seed(0)
    net = SyncNet(tiny_expert_settings())
    source = ShardSource(shards, eval_shards, settings.data, geometry(), 3)
    summary = train_expert(net, expert, source, RunSetup(run_paths(root), setup("cpu"), callbacks or Callbacks()))
    return net, summary


def test_killed_and_resumed_run_ends_with_identical_weights(shards, tmp_path):
    straight, _ = run_expert(shards, tmp_path / "straight")

    def kill_at_5(step, metrics):
        if step == 5:
            raise Killed

    with pytest.raises(Killed):  # trained 5 steps, last checkpoint at 4
        run_expert(shards, tmp_path / "killed", callbacks=Callbacks(on_metrics=kill_at_5))
    assert sorted(p.name for p in (tmp_path / "killed" / "checkpoints").iterdir()) == [
        "step-00000002.pt",
        "step-00000004.pt",
    ]
    resumed, summary = run_expert(shards, tmp_path / "killed")
    assert summary.resumed_from == 4 and summary.step == 6
    expected, actual = straight.state_dict(), resumed.state_dict()
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key
    metrics = json.loads((tmp_path / "killed" / "logs" / "metrics.json").read_text())
    assert [entry["step"] for entry in metrics["train"]] == [1, 2, 3, 4, 5, 6]  # step 5 logged once
    log = (tmp_path / "killed" / "logs" / "train.log").read_text().splitlines()
    assert any(" resumed " in line and "step-00000004.pt" in line for line in log)


def test_learning_rate_decays_on_a_half_cosine_to_final_lr():
    loop = dataclasses.replace(tiny_training(steps=5).syncnet_expert.loop, final_lr=0.1)
    assert [round(lr_factor(step, loop), 6) for step in range(5)] == [1.0, 0.868198, 0.55, 0.231802, 0.1]
    assert lr_factor(0, dataclasses.replace(loop, final_lr=1.0)) == lr_factor(
        4, dataclasses.replace(loop, final_lr=1.0)
    )
    generator, critic = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    optimizers = {
        "g": torch.optim.Adam(generator.parameters(), lr=1e-3),
        "d": torch.optim.Adam(critic.parameters(), lr=1e-4),
    }
    for factor in (0.5, 0.25):  # each call scales the optimiser's own base rate, not the last value
        set_learning_rates(optimizers, factor)
    assert optimizers["g"].param_groups[0]["lr"] == pytest.approx(2.5e-4)
    assert optimizers["d"].param_groups[0]["lr"] == pytest.approx(2.5e-5)


def test_the_last_update_of_a_run_uses_final_lr_and_a_resume_keeps_the_schedule(shards, tmp_path):
    run_expert(shards, tmp_path, steps=4, every=2, final_lr=0.1)
    saved = torch.load(tmp_path / "checkpoints" / "step-00000004.pt", weights_only=True)
    group = saved["optimizer"]["param_groups"][0]
    assert group["initial_lr"] == pytest.approx(1e-4) and group["lr"] == pytest.approx(1e-5)


def inject(monkeypatch, at_step: int, factor: float):
    """Make the expert's loss ``factor`` times larger on its ``at_step``-th call (1-based)."""
    calls = {"n": 0}
    real = expert_module.balanced_bce

    def patched(*args):
        calls["n"] += 1
        loss = real(*args)
        return loss * factor if calls["n"] == at_step else loss

    monkeypatch.setattr(expert_module, "balanced_bce", patched)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(shards, tmp_path, monkeypatch):
    inject(monkeypatch, at_step=3, factor=float("nan"))
    with pytest.raises(TrainingDiverged, match=r"step 3: loss 'syncnet' is nan.*step-00000002.pt kept"):
        run_expert(shards, tmp_path, steps=6, every=2)
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step-00000002.pt"]
    log = (tmp_path / "logs" / "train.log").read_text()
    assert "diverged" in log and "step=3" in log


def test_exploding_loss_stops_with_value_and_mean(shards, tmp_path, monkeypatch):
    inject(monkeypatch, at_step=5, factor=1000.0)
    with pytest.raises(TrainingDiverged, match=r"step 5: loss 'syncnet' = [0-9.]+ exceeds 10 x its running mean"):
        run_expert(shards, tmp_path, steps=6, every=2, explode_window=2, explode_factor=10.0)


def test_checkpoint_of_another_architecture_is_refused_by_name(shards, tmp_path):
    stranger = tmp_path / "checkpoints" / "step-00000002.pt"
    save_checkpoint(stranger, LipSyncGenerator(tiny_generator_settings()), None, 2, 0)
    with pytest.raises(CheckpointError, match=r"step-00000002.pt does not fit SyncNet"):
        run_expert(shards, tmp_path)


def test_weights_only_checkpoint_cannot_resume(shards, tmp_path):
    save_checkpoint(tmp_path / "checkpoints" / "step-00000002.pt", SyncNet(tiny_expert_settings()), None, 2, 0)
    with pytest.raises(CheckpointError, match="holds weights only"):
        run_expert(shards, tmp_path)


def test_callbacks_logs_and_evaluation(shards, tmp_path):
    seen = {"metrics": [], "checkpoints": [], "evals": []}
    callbacks = Callbacks(
        on_metrics=lambda step, values: seen["metrics"].append((step, values)),
        on_checkpoint=lambda path, step: seen["checkpoints"].append((path.name, step)),
        on_eval=lambda step, values, images: seen["evals"].append((step, values, images)),
    )
    _, summary = run_expert(shards, tmp_path, steps=4, every=2, callbacks=callbacks, eval_shards=shards)
    assert [s for s, _ in seen["metrics"]] == [1, 2, 3, 4]
    assert {"loss", "samples_per_second"} <= set(seen["metrics"][0][1])
    assert seen["checkpoints"] == [("step-00000002.pt", 2), ("step-00000004.pt", 4)]
    ((step, values, images),) = seen["evals"]
    assert step == 4 and images is None and values["pairs"] == 40.0
    assert 0.0 <= values["accuracy"] <= 1.0
    assert summary.samples_per_rank == [16] and summary.last_eval == values
    metrics = json.loads((tmp_path / "logs" / "metrics.json").read_text())
    assert metrics["eval"][0]["step"] == 4 and metrics["summary"]["step"] == 4
    lines = (tmp_path / "logs" / "train.log").read_text().splitlines()
    assert lines[0].split()[1:3] == ["step=0", "started"] and lines[-1].split()[2] == "finished"


def test_a_truncated_newest_checkpoint_falls_back_to_the_older_one_and_says_so(shards, tmp_path, caplog):
    """A kill during a copy (or a full disk) can leave the newest checkpoint cut short beside an
    intact older one: the run resumes from the older one and logs the damaged file."""
    import logging

    straight, _ = run_expert(shards, tmp_path / "straight")

    def kill_at_5(step, metrics):
        if step == 5:
            raise Killed

    root = tmp_path / "killed"
    with pytest.raises(Killed):  # checkpoints at 2 and 4
        run_expert(shards, root, callbacks=Callbacks(on_metrics=kill_at_5))
    newest = root / "checkpoints" / "step-00000004.pt"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger="lipsync"):
        resumed, summary = run_expert(shards, root)
    assert summary.resumed_from == 2 and summary.step == 6
    for key, value in straight.state_dict().items():  # steps 3-6 replayed exactly
        assert torch.equal(value, resumed.state_dict()[key]), key
    assert torch.load(newest, weights_only=True)["global_step"] == 4  # rewritten whole by the resumed run
    assert any(
        f"checkpoint {newest} is unreadable" in message and "resuming from" in message and "step-00000002.pt" in message
        for message in caplog.messages
    )
    log = (root / "logs" / "train.log").read_text().splitlines()
    assert any(" unreadable_checkpoint " in line and "step-00000004.pt" in line for line in log)
    assert any(" resumed " in line and "step-00000002.pt" in line for line in log)


def test_when_no_checkpoint_loads_the_run_starts_afresh_and_says_so(shards, tmp_path, caplog):
    import logging

    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "step-00000002.pt").write_bytes(b"PK\x03\x04 cut")
    with caplog.at_level(logging.WARNING, logger="lipsync"):
        _, summary = run_expert(shards, tmp_path, steps=2)
    assert summary.resumed_from == 0 and summary.step == 2
    assert any("resuming from none (starting from step 0)" in message for message in caplog.messages)
