"""The lip-sync expert: embeddings, probability and loss, at the slim and the reference width."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lipsync.models import ModelsSettings, SyncNet, count_parameters, lower_half_stack, sync_loss, sync_probability
from tests.builders import real_section

torch.set_num_threads(1)
PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"
SLIM = real_section(ModelsSettings, "models").syncnet


@pytest.fixture(scope="module")
def expert() -> SyncNet:
    torch.manual_seed(0)
    return SyncNet(SLIM).eval()


@pytest.mark.parametrize("size", [96, 256])
def test_embeddings_are_unit_norm_and_non_negative(expert, size):
    frames = torch.rand(3, 3, 5, size, size)
    with torch.no_grad():
        audio, face = expert(torch.randn(3, 1, 80, 16), lower_half_stack(frames))
    assert audio.shape == face.shape == (3, 512)
    assert torch.allclose(audio.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.allclose(face.norm(dim=1), torch.ones(3), atol=1e-5)
    assert audio.min() >= 0 and face.min() >= 0


def test_lower_half_stack_layout():
    frames = torch.arange(5.0).view(1, 1, 5, 1, 1).expand(1, 3, 5, 4, 8).clone()
    frames[..., :2, :] = -1.0  # upper half, must be dropped
    stacked = lower_half_stack(frames)
    assert stacked.shape == (1, 15, 2, 8)
    assert stacked[0, :, 0, 0].tolist() == [t for t in range(5) for _ in range(3)]  # frame-major RGB


def test_probability_and_loss_values():
    a = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    v = torch.tensor([[1.0, 0.0], [0.8, 0.6]])
    probability = sync_probability(a, v)
    assert torch.allclose(probability, torch.tensor([1.0, 0.96]))
    loss = sync_loss(a, v, torch.tensor([1.0, 0.0]))
    expected = -(torch.log(torch.tensor(1.0)) + torch.log(torch.tensor(0.04))) / 2
    assert torch.allclose(loss, expected, atol=1e-4)
    assert sync_probability(torch.tensor([[1.0, 0.0]]), torch.tensor([[-1.0, 0.0]])).item() == 0.0


def test_loss_trains_the_expert():
    model = SyncNet(SLIM)
    mel, faces = torch.randn(4, 1, 80, 16), torch.rand(4, 15, 48, 96)
    loss = sync_loss(*model(mel, faces), torch.tensor([1.0, 0.0, 1.0, 0.0]))
    loss.backward()
    assert loss.item() > 0
    assert model.face_encoder[0].conv_block[0].weight.grad.abs().sum() > 0
    assert model.audio_encoder[0].conv_block[0].weight.grad.abs().sum() > 0


def test_slim_parameter_budget(expert):
    assert 0.5e6 <= count_parameters(expert) <= 2e6
