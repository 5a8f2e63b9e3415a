"""Stage generator: trains our generator against the expert that stage registered, and with
``training.generator.adversarial.enabled`` trains the PatchGAN too, checkpointed with it."""

from __future__ import annotations

import dataclasses
import json

import torch

from lipsync.stages import generator
from lipsync.tracking import ModelRef, open_tracking


def test_trains_against_the_registered_expert(tiny_expert):
    project, _ = tiny_expert
    expert = json.loads(project.layout.model_result("syncnet_expert").read_text())  # the latest expert stage's
    result = generator.run(project.params, project.layout)
    assert result["expert"] == expert["model"] and result["mouth_boxes"] == "corpus truth"
    saved = json.loads(project.layout.model_result("generator").read_text())
    assert saved == result | {"up_to_date": False}  # trained now, or reused from an earlier test
    ref = ModelRef.from_dict(result["model"])
    run = open_tracking(project.layout.mlruns).get_run(ref.run_id)
    assert ref.name == "lipsync-generator" and run.data.params["training.generator.loop.steps"] == str(result["steps"])
    assert run.data.tags["input.expert"].startswith(f"syncnet-expert v{expert['model']['version']} ")
    assert project.layout.sample_grid("generator").exists()
    checkpoint = torch.load(project.root / result["checkpoint"], map_location="cpu", weights_only=True)
    assert checkpoint["modules"] == {}  # no discriminator: off by default


def test_adversarial_switch_trains_and_checkpoints_the_patchgan(tiny_expert):
    project, _ = tiny_expert
    settings = project.params.training.generator
    on = dataclasses.replace(settings, adversarial=dataclasses.replace(settings.adversarial, enabled=True))
    params = dataclasses.replace(project.params, training=dataclasses.replace(project.params.training, generator=on))
    result = generator.run(params, project.layout)
    checkpoint = torch.load(project.root / result["checkpoint"], map_location="cpu", weights_only=True)
    assert set(checkpoint["modules"]) == {"discriminator"} and set(checkpoint["optimizers"]) == {"discriminator"}
    logged = json.loads(project.layout.training_metrics("generator").read_text())["train"]
    assert all("adversarial" in entry and "discriminator" in entry for entry in logged)
