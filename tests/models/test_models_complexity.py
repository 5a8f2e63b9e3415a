"""Parameter and MAC counts: exact on a known layer, and the budgets of ours vs Wav2Lip."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from lipsync.models import LipSyncGenerator, ModelsSettings, Wav2Lip, count_parameters, macs_per_frame
from tests.builders import real_section

torch.set_num_threads(1)
PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"
SETTINGS = real_section(ModelsSettings, "models")


def test_counts_on_a_known_layer():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert count_parameters(conv) == 8 * 3 * 9 + 8
    conv.bias.requires_grad_(False)
    assert count_parameters(conv, trainable_only=True) == 8 * 3 * 9
    assert macs_per_frame(conv, (torch.rand(2, 3, 10, 10),)) == 8 * 3 * 9 * 100
    assert macs_per_frame(conv, (torch.rand(2, 3, 10, 10),), frames=1) == 2 * 8 * 3 * 9 * 100


def test_ours_is_an_order_of_magnitude_cheaper_than_wav2lip():
    faces, mel, original = torch.rand(1, 6, 96, 96), torch.randn(1, 1, 80, 16), torch.rand(1, 3, 96, 96)
    ours = macs_per_frame(LipSyncGenerator(SETTINGS.generator).eval(), (faces, mel, original))
    theirs = macs_per_frame(Wav2Lip().eval(), (mel, faces))
    assert 0.2e9 <= ours <= 0.4e9
    assert theirs == pytest.approx(3.967e9, rel=1e-3)
    assert theirs / ours > 10
