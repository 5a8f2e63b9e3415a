"""Generator training: a few steps of ours and of Wav2Lip with evaluation, the loss terms
and their schedule, the leak-free compositor input, BGR for Wav2Lip, the optional terms."""

from __future__ import annotations

import dataclasses
import functools
import json

import pytest
import torch
from torch import nn

from lipsync.faces.settings import CropSettings
from lipsync.models import (
    DiscriminatorSettings,
    LipSyncGenerator,
    PatchDiscriminator,
    SyncNet,
    Wav2Lip,
    Wav2LipDiscQual,
)
from lipsync.training import (
    Callbacks,
    GeneratorTask,
    LandmarkMouthBoxes,
    PerceptualSettings,
    RunPaths,
    RunSetup,
    ShardSource,
    Wav2LipAdapter,
    leak_free_original,
    setup,
    train_generator,
)
from lipsync.training.data import BatchStream, DataPosition, collate_generator
from lipsync.training.perceptual import build_perceptual
from lipsync.training.windows import generator_view
from tests.builders import real_section
from tests.training.training_fixtures import (
    geometry,
    tiny_expert_settings,
    tiny_generator_settings,
    tiny_training,
    write_shards,
)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return write_shards(tmp_path_factory.mktemp("shards"), shards=1, per_shard=3)


def landmark_boxes() -> LandmarkMouthBoxes:
    crop = real_section(CropSettings, "faces.crop")
    return LandmarkMouthBoxes(lambda video: (256, 256), crop, 96, tiny_training().mouth_box)


def batch_of(shards, size=2) -> dict:
    data = tiny_training().data
    view = functools.partial(generator_view, geometry=geometry(), data=data)
    return next(
        BatchStream([str(s) for s in shards], view, collate_generator, size, data, 0).batches(DataPosition(0, 0))
    )[0]


def test_ours_trains_and_evaluates_with_a_grid(shards, tmp_path):
    torch.manual_seed(0)
    settings = tiny_training(steps=3, batch=2, every=3)
    generator, expert = LipSyncGenerator(tiny_generator_settings()), SyncNet(tiny_expert_settings())
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    evals = []
    paths = RunPaths(tmp_path / "checkpoints", tmp_path / "train.log", tmp_path / "metrics.json")
    source = ShardSource(shards, shards, settings.data, geometry(), 1)
    hooks = Callbacks(on_eval=lambda step, values, grid: evals.append((values, grid)))
    summary = train_generator(generator, expert, settings.generator, source, RunSetup(paths, setup("cpu"), hooks),
                              landmark_boxes())  # fmt: skip
    assert summary.step == 3 and summary.samples_per_rank == [6]
    ((values, grid),) = evals
    assert {"mouth_l1", "copy_l1", "mouth_l1_ratio", "sync_loss_generated", "sync_loss_truth"} <= set(values)
    assert values["windows"] == 6.0 and values["copy_l1"] > 0
    assert grid.shape == (48 + 2 * (2 * 96 + 2), 3 * (2 * 96 + 2) - 2, 3)  # labelled header, 2 windows x 3 frames
    assert any(not torch.equal(before[k], v) for k, v in generator.state_dict().items())
    assert all(p.grad is None for p in expert.parameters())  # the expert stays frozen


def test_wav2lip_baseline_takes_one_step(shards, tmp_path):
    torch.manual_seed(0)
    settings = tiny_training(steps=1, batch=1, every=1)
    paths = RunPaths(tmp_path / "checkpoints", tmp_path / "train.log", tmp_path / "metrics.json")
    source = ShardSource(shards, shards, settings.data, geometry(), 1)
    summary = train_generator(Wav2Lip(), SyncNet(tiny_expert_settings()), settings.wav2lip_baseline, source,
                              RunSetup(paths, setup("cpu")), landmark_boxes())  # fmt: skip
    assert summary.step == 1 and summary.last_eval["windows"] == 2.0
    assert (tmp_path / "checkpoints" / "step-00000001.pt").is_file()


def test_loss_is_l1_plus_scheduled_sync_plus_mask_prior(shards):
    torch.manual_seed(0)
    settings = tiny_training().generator  # sync_start 2
    task = GeneratorTask(LipSyncGenerator(tiny_generator_settings()), SyncNet(tiny_expert_settings()), settings)
    batch = batch_of(shards)
    early_term, late_term = next(task.terms(batch, step=1)), next(task.terms(batch, step=2))
    assert (early_term.guard, late_term.guard) == ("generator", "generator+sync")  # the guard restarts its mean
    early, late = early_term.metrics, late_term.metrics
    assert early["loss"] == pytest.approx(early["l1"] + settings.mask_prior_weight * early["mask_prior"], rel=1e-5)
    expected = late["l1"] + settings.sync_weight * late["sync"] + settings.mask_prior_weight * late["mask_prior"]
    assert late["loss"] == pytest.approx(expected, rel=1e-5)
    assert early["sync"] == pytest.approx(late["sync"], rel=1e-5)  # computed (and logged) before sync_start too


def test_compositor_never_sees_the_target_mouth():
    target, reference = torch.zeros(1, 3, 5, 8, 8), torch.ones(1, 3, 5, 8, 8)
    original = leak_free_original(target, reference)
    assert (original[..., :4, :] == 0).all() and (original[..., 4:, :] == 1).all()


class EchoGenerator(nn.Module):
    """Stands in for Wav2Lip: records its input and returns its first three channels."""

    def forward(self, mel, faces):
        self.seen = faces
        return faces[:, :3]


def test_wav2lip_is_fed_bgr_and_returns_rgb():
    target = torch.zeros(1, 3, 5, 96, 96)
    target[:, 0] = 1.0  # pure red, RGB
    reference = torch.zeros(1, 3, 5, 96, 96)
    reference[:, 2] = 0.5  # pure blue, RGB
    echo = EchoGenerator()
    face, mask = Wav2LipAdapter()(echo, target, reference, torch.zeros(1, 5, 1, 80, 16))
    assert mask is None
    assert (echo.seen[:, 2, :, :48] == 1).all() and (echo.seen[:, 0] == 0).all()  # red in channel 2: BGR
    assert (echo.seen[:, 3, :, :] == 0.5).all()  # reference blue first
    assert (face[:, 0, :, :48] == 1).all() and (face[:, 2] == 0).all()  # back to RGB (lower half masked)


def test_adversarial_term_updates_the_discriminator(shards):
    torch.manual_seed(0)
    base = tiny_training().generator
    settings = dataclasses.replace(base, adversarial=dataclasses.replace(base.adversarial, enabled=True))
    critic = PatchDiscriminator(DiscriminatorSettings(channels=(4, 8)))
    task = GeneratorTask(LipSyncGenerator(tiny_generator_settings()), SyncNet(tiny_expert_settings()), settings, critic)
    terms = task.terms(batch_of(shards), step=0)
    first = next(terms)
    assert first.optimizer == "generator" and "adversarial" in first.metrics
    first.loss.backward()
    assert all(p.grad is None for p in critic.parameters())  # the generator's term leaves the critic alone
    second = next(terms)
    assert second.optimizer == "discriminator" and second.loss.requires_grad
    assert set(task.optimizers) == {"generator", "discriminator"}


def test_adversarial_switch_needs_a_discriminator(shards, tmp_path):
    settings = tiny_training()
    on = dataclasses.replace(
        settings.generator, adversarial=dataclasses.replace(settings.generator.adversarial, enabled=True)
    )
    source = ShardSource(shards, None, settings.data, geometry(), 1)
    run_setup = RunSetup(RunPaths(tmp_path, tmp_path / "l", tmp_path / "m"), setup("cpu"))
    with pytest.raises(ValueError, match="adversarial.enabled needs a discriminator"):
        train_generator(LipSyncGenerator(tiny_generator_settings()), SyncNet(tiny_expert_settings()), on, source,
                        run_setup)  # fmt: skip


def test_perceptual_term_needs_real_weights(tmp_path):
    assert build_perceptual(PerceptualSettings(weights=None, weight=0.0)) is None
    with pytest.raises(ValueError, match="needs perceptual.weights"):
        build_perceptual(PerceptualSettings(weights=None, weight=0.1))
    with pytest.raises(FileNotFoundError, match="vgg16.pth do not exist"):
        build_perceptual(PerceptualSettings(weights=str(tmp_path / "vgg16.pth"), weight=0.1))


class Killed(Exception):
    pass


def train_with_patchgan(shards, root, callbacks=None):
    """Ours with the PatchGAN on for 4 steps (checkpoints every 2) from a fixed seed."""
    settings = tiny_training(steps=4, batch=2, every=2)
    on = dataclasses.replace(
        settings.generator, adversarial=dataclasses.replace(settings.generator.adversarial, enabled=True)
    )
    torch.manual_seed(0)
    generator, critic = LipSyncGenerator(tiny_generator_settings()), PatchDiscriminator(DiscriminatorSettings((4, 8)))
    initial = {k: v.clone() for k, v in critic.state_dict().items()}
    paths = RunPaths(root / "checkpoints", root / "train.log", root / "metrics.json")
    source = ShardSource(shards, None, settings.data, geometry(), 1)
    summary = train_generator(
        generator, SyncNet(tiny_expert_settings()), on, source, RunSetup(paths, setup("cpu"), callbacks or Callbacks()),
        discriminator=critic,
    )  # fmt: skip
    return generator, critic, initial, summary


def test_patchgan_trains_and_resumes_bit_exact(shards, tmp_path):
    generator, critic, initial, _ = train_with_patchgan(shards, tmp_path / "straight")
    assert any(not torch.equal(initial[k], v) for k, v in critic.state_dict().items())  # the critic learned
    logged = json.loads((tmp_path / "straight" / "metrics.json").read_text())["train"]
    adversarial, critic_loss = [e["adversarial"] for e in logged], [e["discriminator"] for e in logged]
    assert len(set(adversarial)) == 4 and len(set(critic_loss)) == 4  # both losses move step by step

    def kill_at_3(step, metrics):
        if step == 3:
            raise Killed

    with pytest.raises(Killed):
        train_with_patchgan(shards, tmp_path / "killed", Callbacks(on_metrics=kill_at_3))
    resumed, resumed_critic, _, summary = train_with_patchgan(shards, tmp_path / "killed")
    assert summary.resumed_from == 2 and summary.step == 4
    for straight, again in ((generator, resumed), (critic, resumed_critic)):
        expected, actual = straight.state_dict(), again.state_dict()
        assert all(torch.equal(expected[k], actual[k]) for k in expected)


def test_published_discriminator_sees_bgr_probabilities(shards):
    torch.manual_seed(0)
    base = tiny_training().wav2lip_baseline
    settings = dataclasses.replace(base, adversarial=dataclasses.replace(base.adversarial, enabled=True))
    task = GeneratorTask(Wav2Lip(), SyncNet(tiny_expert_settings()), settings, Wav2LipDiscQual())
    terms = task.terms(batch_of(shards, size=1), step=0)
    first = next(terms)
    assert task.published_critic and 0.0 < first.metrics["adversarial"] < 20.0
    second = next(terms)
    assert second.optimizer == "discriminator" and 0.0 < second.metrics["discriminator"] < 20.0
