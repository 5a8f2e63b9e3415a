"""The published Wav2Lip models: exact state-dict names and shapes, sizes and output shapes.

The fixtures list every state-dict entry of the published classes (Rudrabha/Wav2Lip,
models/wav2lip.py and models/syncnet.py at the commit named inside each file). Matching
them name for name and shape for shape is what lets the official checkpoints load strictly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lipsync.models import SyncNetColor, Wav2Lip, Wav2LipDiscQual, count_parameters

torch.set_num_threads(1)
FIXTURES = Path(__file__).parent / "fixtures"
CASES = [
    (Wav2Lip, "wav2lip_params.json", 36_298_035),
    (SyncNetColor, "syncnet_color_params.json", 16_435_072),
    (Wav2LipDiscQual, "wav2lip_disc_qual_params.json", 14_113_793),
]


@pytest.mark.parametrize(("model_class", "fixture", "parameters"), CASES)
def test_state_dict_matches_published(model_class, fixture, parameters):
    published = json.loads((FIXTURES / fixture).read_text())
    model = model_class()
    ours = {name: list(tensor.shape) for name, tensor in model.state_dict().items()}
    assert ours == published["state_dict"]
    assert list(ours) == list(published["state_dict"])  # same registration order too
    assert count_parameters(model) == published["parameter_count"] == parameters


def test_wav2lip_frames_and_windows():
    model = Wav2Lip().eval()
    with torch.no_grad():
        frame = model(torch.randn(1, 1, 80, 16), torch.rand(1, 6, 96, 96))
        window = model(torch.randn(1, 5, 1, 80, 16), torch.rand(1, 6, 5, 96, 96))
    assert frame.shape == (1, 3, 96, 96) and window.shape == (1, 3, 5, 96, 96)
    assert 0 <= frame.min() and frame.max() <= 1


def test_expert_and_discriminator_outputs():
    with torch.no_grad():
        audio, face = SyncNetColor().eval()(torch.randn(2, 1, 80, 16), torch.rand(2, 15, 48, 96))
        realness = Wav2LipDiscQual().eval()(torch.rand(2, 3, 5, 96, 96))
    assert audio.shape == face.shape == (2, 512)
    assert realness.shape == (10, 1)
    assert 0 <= realness.min() and realness.max() <= 1
