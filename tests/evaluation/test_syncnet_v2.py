"""The syncnet_python-compatible evaluator: official key layout, strict loading, reduced sizes."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lipsync.evaluation.settings import SyncNetV2Settings
from lipsync.evaluation.syncnet_v2 import OFFICIAL_SYNCNET_V2, SyncNetV2, load_syncnet_v2
from lipsync.models.checkpoints import CheckpointError

SMALL = SyncNetV2Settings(
    audio_channels=(8, 16, 16, 16, 16, 32),
    face_channels=(8, 16, 16, 16, 16, 32),
    hidden_dim=32,
    embedding_dim=16,
    face_size=64,
    channel_order="rgb",
    face_crop_top=0.0,
)


def randomised(model: SyncNetV2, seed: int) -> dict[str, torch.Tensor]:
    """A state dict with every tensor random (running variances positive), as a released file would differ."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue  # the 2017 file predates the counter; loading must fill it in
        noise = torch.rand(value.shape, generator=generator)
        state[key] = noise + 0.5 if key.endswith("running_var") else (noise - 0.5) * 0.2
    return state


def test_official_layout_has_the_published_names_and_shapes():
    state = SyncNetV2(OFFICIAL_SYNCNET_V2).state_dict()
    convs = {k: tuple(v.shape) for k, v in state.items() if k.endswith("weight") and v.dim() > 1}
    assert convs == {
        "netcnnaud.0.weight": (64, 1, 3, 3),
        "netcnnaud.4.weight": (192, 64, 3, 3),
        "netcnnaud.8.weight": (384, 192, 3, 3),
        "netcnnaud.11.weight": (256, 384, 3, 3),
        "netcnnaud.14.weight": (256, 256, 3, 3),
        "netcnnaud.18.weight": (512, 256, 5, 4),
        "netfcaud.0.weight": (512, 512),
        "netfcaud.3.weight": (1024, 512),
        "netcnnlip.0.weight": (96, 3, 5, 7, 7),
        "netcnnlip.4.weight": (256, 96, 1, 5, 5),
        "netcnnlip.8.weight": (256, 256, 1, 3, 3),
        "netcnnlip.11.weight": (256, 256, 1, 3, 3),
        "netcnnlip.14.weight": (256, 256, 1, 3, 3),
        "netcnnlip.18.weight": (512, 256, 1, 6, 6),
        "netfclip.0.weight": (512, 512),
        "netfclip.3.weight": (1024, 512),
    }
    assert "netcnnlip.19.running_var" in state and "netfcaud.1.running_mean" in state
    assert len(state) == 102


def test_official_file_format_loads_strictly_and_gives_the_writers_outputs(tmp_path):
    torch.manual_seed(0)
    writer = SyncNetV2(OFFICIAL_SYNCNET_V2)
    state = randomised(writer, seed=1)
    writer.load_state_dict(state, strict=False)
    path = tmp_path / "syncnet_v2.model"
    torch.save(state, path)  # a plain dict of tensors, no wrapper, no BatchNorm counters
    reader = SyncNetV2(OFFICIAL_SYNCNET_V2)
    info = load_syncnet_v2(reader, path)
    assert info.source_format == "state-dict"
    mfcc, faces = torch.randn(2, 1, 13, 20), torch.rand(2, 3, 5, 224, 224) * 255
    writer.eval(), reader.eval()
    with torch.no_grad():
        expected, got = writer(mfcc, faces), reader(mfcc, faces)
    assert expected[0].shape == (2, 1024) and expected[1].shape == (2, 1024)
    assert torch.equal(expected[0], got[0]) and torch.equal(expected[1], got[1])


def test_a_file_of_another_width_fails_naming_its_keys(tmp_path):
    path = tmp_path / "wide.model"
    wider = dataclasses.replace(SMALL, face_channels=(8, 24, 16, 16, 16, 32))
    torch.save(SyncNetV2(wider).state_dict(), path)
    with pytest.raises(CheckpointError) as error:
        load_syncnet_v2(SyncNetV2(SMALL), path)
    message = str(error.value)
    assert str(path) in message and "7 mis-shaped" in message  # conv 4 (weight, bias), BatchNorm 5 (4), conv 8
    assert "netcnnlip.4.weight: file (24, 8, 1, 5, 5) vs model (16, 8, 1, 5, 5)" in message
    assert "netcnnlip.8.weight: file (16, 24, 1, 3, 3)" in message


@pytest.mark.parametrize(("size", "grid"), [(51, 1), (64, 1), (96, 2), (128, 3)])
def test_reduced_face_sizes_end_in_one_embedding(size, grid):
    model = SyncNetV2(dataclasses.replace(SMALL, face_size=size)).eval()
    assert model.netcnnlip[18].kernel_size == (1, grid, grid)
    with torch.no_grad():
        audio, face = model(torch.randn(3, 1, 13, 20), torch.rand(3, 3, 5, size, size) * 255)
    assert audio.shape == face.shape == (3, 16)


def test_too_small_a_face_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="syncnet_v2.face_size 50"):
        dataclasses.replace(SMALL, face_size=50)
