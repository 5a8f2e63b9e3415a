"""Re-generating clips: references from elsewhere in the clip, the copy baseline, and our
untrained generator (which starts as an exact copy) through the training adapter."""

from __future__ import annotations

import numpy as np
import torch

from lipsync.evaluation.generate import copy_reference, generate_frames, model_generator, reference_indices
from lipsync.models import LipSyncGenerator, Wav2Lip
from tests.builders import loaded_params


def frames(count: int, size: int = 96) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, size, size, 3), dtype=np.uint8)


def test_references_come_from_elsewhere_in_the_clip():
    refs = reference_indices(10, 0.5)
    assert refs.tolist() == [5, 6, 7, 8, 9, 0, 1, 2, 3, 4]
    assert (reference_indices(3, 0.1) != np.arange(3)).all()  # at least one frame away


def test_copy_is_upper_half_of_target_over_lower_half_of_reference():
    clip = frames(6)
    refs = reference_indices(6, 0.5)
    out, seconds = generate_frames(copy_reference, clip, np.zeros((6, 1, 80, 16), np.float32), refs, batch=4)
    assert out.dtype == np.uint8 and seconds >= 0
    assert np.array_equal(out[:, :48], clip[:, :48]) and np.array_equal(out[:, 48:], clip[refs][:, 48:])


def test_untrained_ours_copies_and_wav2lip_runs():
    torch.manual_seed(0)
    clip, refs = frames(4), reference_indices(4, 0.5)
    mel = np.random.default_rng(1).standard_normal((4, 1, 80, 16)).astype(np.float32)
    copied, _ = generate_frames(copy_reference, clip, mel, refs, batch=4)
    ours, _ = generate_frames(model_generator(LipSyncGenerator(loaded_params().models.generator)), clip, mel, refs, 2)
    assert np.abs(ours.astype(int) - copied).max() <= 1  # identity at initialisation (up to rounding)
    theirs, _ = generate_frames(model_generator(Wav2Lip()), clip, mel, refs, batch=4)
    assert theirs.shape == clip.shape and theirs.dtype == np.uint8
