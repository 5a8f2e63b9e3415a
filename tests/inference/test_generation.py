"""Generation for inference: the cached-encoder path of a still face equals the full forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lipsync.inference.generation import LowerFace
from lipsync.models import LipSyncGenerator, Wav2Lip
from tests.builders import loaded_params


@pytest.mark.parametrize("kind", ["ours", "wav2lip"])
def test_still_face_path_equals_the_full_forward(kind):
    torch.manual_seed(0)
    model = LipSyncGenerator(loaded_params().models.generator) if kind == "ours" else Wav2Lip()
    if kind == "ours":
        with torch.no_grad():
            model.lip_decoder.to_rgb.weight.normal_(0.0, 0.05)
    lower = LowerFace(model)
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 256, (lower.size, lower.size, 3), dtype=np.uint8)
    mel = rng.uniform(-4, 4, (3, 80, 16)).astype(np.float32)
    full_faces, full_masks = lower.generate(np.repeat(crop[None], 3, axis=0), mel)
    still_faces, still_masks = lower.generate_still(crop, mel)
    assert full_faces.shape == (3, lower.size, lower.size, 3) and full_faces.dtype == np.float32
    np.testing.assert_allclose(still_faces, full_faces, atol=1e-5)
    if kind == "ours":
        np.testing.assert_allclose(still_masks, full_masks, atol=1e-5)
        assert still_masks[:, : int(0.375 * lower.size) - 1].max() == 0.0  # the compositor keeps the upper face
    else:
        assert full_masks is None and still_masks is None
