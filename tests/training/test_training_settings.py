"""The training: section loads strictly; bad values fail naming the key; augmentations
keep shapes, ranges and mouth motion."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lipsync.params_loader import ParamsError, from_mapping
from lipsync.training import TrainingSettings
from lipsync.training.augment import (
    AugmentSettings,
    WindowAugmentSettings,
    augment_faces,
    augment_mel,
    augment_window,
    shift_edges,
)
from tests.training.training_fixtures import training_section


def test_training_section_loads():
    settings = from_mapping(TrainingSettings, training_section(), "training")
    assert settings.syncnet_expert.loop.steps > 0 and settings.syncnet_expert.eval_pairs >= 1000
    assert settings.syncnet_expert.decision_threshold == 0.5
    assert settings.wav2lip_baseline.loop.betas == (0.5, 0.999)
    assert settings.data.negative_offsets == (5, 15)
    assert settings.generator.perceptual.weights is None and not settings.generator.adversarial.enabled


def test_misspelt_and_bad_keys_are_named():
    section = training_section()
    section["syncnet_expert"]["loop"]["stepz"] = section["syncnet_expert"]["loop"].pop("steps")
    with pytest.raises(ParamsError, match=r"training\.syncnet_expert\.loop\.stepz"):
        from_mapping(TrainingSettings, section, "training")
    section = training_section()
    section["data"]["negative_offsets"] = [15, 5]
    with pytest.raises(ValueError, match="negative_offsets"):
        from_mapping(TrainingSettings, section, "training")
    section = training_section()
    section["data"]["dataloader_workers"], section["data"]["epoch_batches"] = 3, 100
    with pytest.raises(ValueError, match="multiple of dataloader_workers"):
        from_mapping(TrainingSettings, section, "training")


def test_augmentations_keep_shapes_ranges_and_motion():
    rng = np.random.default_rng(0)
    settings = AugmentSettings(flip=True, color=0.3, shift_px=3, mel_gain=1.0, mel_shift=4)
    faces = rng.integers(0, 256, (15, 48, 96), dtype=np.uint8)
    faces[0:3] = 0  # frame 0 black, others not: the per-window transform keeps that difference
    out = augment_faces(faces, rng, settings)
    assert out.shape == faces.shape and out.dtype == np.uint8 and out[0:3].max() == 0 and out[3:].max() > 0
    mel = rng.uniform(-4, 4, (1, 80, 16)).astype(np.float32)
    out = augment_mel(mel, rng, settings)
    assert out.shape == mel.shape and out.dtype == np.float32 and -4 <= out.min() and out.max() <= 4
    off = dataclasses.replace(settings, flip=False, color=0.0, shift_px=0, mel_gain=0.0, mel_shift=0)
    assert np.array_equal(augment_faces(faces, rng, off), faces) and np.array_equal(augment_mel(mel, rng, off), mel)


def test_shift_edges_replicates_the_border():
    assert shift_edges(np.arange(5), 2, 0).tolist() == [0, 0, 0, 1, 2]
    assert shift_edges(np.arange(5), -1, 0).tolist() == [1, 2, 3, 4, 4]


def test_window_recolouring_is_shared_by_target_and_reference():
    rng = np.random.default_rng(0)
    frames = np.zeros((5, 8, 8, 3), dtype=np.uint8)
    frames[..., 0], frames[..., 1], frames[..., 2] = 100, 150, 200
    window = {"target": frames, "reference": frames.copy(), "boxes": np.ones((5, 4), np.float32)}
    out = augment_window(window, rng, WindowAugmentSettings(color=0.2, shuffle_channels=True))
    assert np.array_equal(out["target"], out["reference"]) and out["boxes"] is window["boxes"]
    assert not np.array_equal(out["target"], frames)  # recoloured
    assert out["target"].dtype == np.uint8 and (out["target"] == out["target"][0, 0, 0]).all()
