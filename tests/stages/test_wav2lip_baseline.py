"""Stage wav2lip_baseline: the published Wav2Lip trained on the same shards against the same
expert, registered as ``wav2lip-baseline``; its published discriminator with the switch on."""

from __future__ import annotations

import dataclasses
import json

import torch

from lipsync.stages import wav2lip_baseline
from lipsync.tracking import ModelRef, load_state_dict, open_tracking


def test_trains_and_registers_the_baseline(tiny_expert):
    project, _ = tiny_expert
    expert = json.loads(project.layout.model_result("syncnet_expert").read_text())  # the latest expert stage's
    result = wav2lip_baseline.run(project.params, project.layout)
    ref = ModelRef.from_dict(result["model"])
    assert ref.name == "wav2lip-baseline" and result["expert"] == expert["model"]
    weights = load_state_dict(open_tracking(project.layout.mlruns), ref)
    assert "audio_encoder.0.conv_block.0.weight" in weights  # the published parameter names
    assert {"mouth_l1", "copy_l1", "sync_loss_generated"} <= set(result["metrics"])


def test_adversarial_switch_uses_the_published_discriminator(tiny_expert):
    project, _ = tiny_expert
    settings = project.params.training.wav2lip_baseline
    on = dataclasses.replace(settings, adversarial=dataclasses.replace(settings.adversarial, enabled=True))
    training = dataclasses.replace(project.params.training, wav2lip_baseline=on)
    result = wav2lip_baseline.run(dataclasses.replace(project.params, training=training), project.layout)
    checkpoint = torch.load(project.root / result["checkpoint"], map_location="cpu", weights_only=True)
    assert set(checkpoint["modules"]) == {"discriminator"} and set(checkpoint["optimizers"]) == {"discriminator"}
    logged = json.loads(project.layout.training_metrics("wav2lip_baseline").read_text())["train"]
    assert all("adversarial" in entry and "discriminator" in entry for entry in logged)
