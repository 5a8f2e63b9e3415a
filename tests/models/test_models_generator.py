"""Our generator's parts and the assembled model: shapes at 96 and 256 px, ranges, compositing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from lipsync.models import ModelsSettings, count_parameters
from lipsync.models.generator import (
    AudioEncoder,
    AudioFusion,
    FaceCompositor,
    FaceEncoder,
    LipDecoder,
    LipSyncGenerator,
    PatchDiscriminator,
    composite,
    generator_input,
)
from tests.builders import real_section

torch.set_num_threads(1)
PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"
SETTINGS = real_section(ModelsSettings, "models")


def generator_settings(size: int):
    return dataclasses.replace(SETTINGS.generator, image_size=size)


def mel(batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 1, 80, 16, generator=torch.Generator().manual_seed(1)).clamp(-4, 4)


def test_audio_encoder_tokens():
    encoder = AudioEncoder(SETTINGS.generator.audio)
    assert encoder(mel()).shape == (2, 8, 96)  # 16 mel frames / stride 2, D = 96
    with pytest.raises(ValueError, match="mel window"):
        encoder(torch.zeros(2, 1, 80, 12))


@pytest.mark.parametrize(("size", "widths"), [(96, (16, 32, 64, 96, 128)), (256, (12, 16, 32, 64, 96, 128))])
def test_face_encoder_skips(size, widths):
    features = FaceEncoder(generator_settings(size))(torch.rand(2, 6, size, size))
    assert [tuple(f.shape) for f in features] == [(2, w, size >> i, size >> i) for i, w in enumerate(widths)]


def test_fusion_keeps_shape_and_listens_to_audio():
    torch.manual_seed(0)
    audio = AudioEncoder(SETTINGS.generator.audio).eval()
    fusion = AudioFusion(128, 96, SETTINGS.generator.fusion).eval()
    bottleneck = torch.randn(2, 128, 6, 6)
    with torch.no_grad():
        first = fusion(bottleneck, audio(mel()))
        second = fusion(bottleneck, audio(-mel()))
    assert first.shape == (2, 128, 6, 6)
    assert not torch.allclose(first, second)


@pytest.mark.parametrize("size", [96, 256])
def test_lip_decoder_edits_the_base_face_within_unit_range(size):
    settings = generator_settings(size)
    features = [torch.randn(1, w, size >> i, size >> i) * 5 for i, w in enumerate(settings.widths)]
    base = torch.rand(1, 3, size, size)
    decoder = LipDecoder(settings.widths)
    with torch.no_grad():
        assert torch.equal(decoder(features, base), base)  # untrained: the base, exactly
        torch.nn.init.normal_(decoder.to_rgb.weight, std=1.0)  # a trained-looking change
        face = decoder(features, base)
    assert face.shape == (1, 3, size, size)
    assert face.min() >= 0 and face.max() <= 1
    assert (face - base).abs().mean() > 0.05


def test_untrained_generator_returns_reference_mouth_under_target_eyes():
    model = LipSyncGenerator(generator_settings(96)).eval()
    target, reference = torch.rand(2, 3, 96, 96), torch.rand(2, 3, 96, 96)
    with torch.no_grad():
        out = model(generator_input(target, reference), mel(2))
    assert torch.equal(out.generated[..., :48, :], target[..., :48, :])
    assert torch.equal(out.generated[..., 48:, :], reference[..., 48:, :])


@pytest.mark.parametrize("size", [96, 256])
def test_compositor_mask_and_blend(size):
    compositor = FaceCompositor(SETTINGS.generator.compositor)
    torch.nn.init.normal_(compositor.net[-1].weight, std=1.0)  # a trained-looking, non-prior mask
    generated, original = torch.rand(2, 3, size, size), torch.rand(2, 3, size, size)
    output, mask = compositor(generated, original)
    assert mask.shape == (2, 1, size, size)
    assert mask.min() >= 0 and mask.max() <= 1
    untouched = (mask == 0).expand_as(original)
    assert untouched[:, :, : int(size * 0.375)].all()  # above region_top, by construction
    assert torch.equal(output[untouched], original[untouched])
    assert torch.allclose(output, mask * generated + (1 - mask) * original)


def test_compositor_starts_from_lower_half_prior():
    _, mask = FaceCompositor(SETTINGS.generator.compositor)(torch.rand(1, 3, 96, 96), torch.rand(1, 3, 96, 96))
    assert mask[..., :48, :].max() < 0.5 < mask[..., 48:, :].min()
    assert mask[..., -1, :].min() > 0.95


def test_composite_is_exact_where_mask_is_zero():
    generated, original = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., 2:, :] = 1.0
    out = composite(generated, original, mask)
    assert torch.equal(out[..., :2, :], original[..., :2, :])
    assert torch.equal(out[..., 2:, :], generated[..., 2:, :])


@pytest.mark.parametrize("size", [96, 256])
def test_patch_discriminator_shapes(size):
    discriminator = PatchDiscriminator(SETTINGS.discriminator)
    assert discriminator(torch.rand(2, 3, size, size)).shape == (2, 1, size // 2 // 8, size // 8)


@pytest.mark.parametrize("size", [96, 128, 192, 256])
def test_generator_output_at_every_size(size):
    torch.manual_seed(0)
    model = LipSyncGenerator(generator_settings(size)).eval()
    target, reference = torch.rand(1, 3, size, size), torch.rand(1, 3, size, size)
    with torch.no_grad():
        out = model(generator_input(target, reference), mel(1), original=target)
    assert out.face.shape == out.generated.shape == (1, 3, size, size)
    assert out.mask.shape == (1, 1, size, size)
    assert out.face.min() >= 0 and out.face.max() <= 1
    top = int(size * 0.375)
    assert torch.equal(out.face[..., :top, :], target[..., :top, :])  # eyes never change


def test_generator_windows_and_audio_dependence():
    torch.manual_seed(0)
    model = LipSyncGenerator(generator_settings(96)).eval()
    torch.nn.init.normal_(model.lip_decoder.to_rgb.weight, std=0.1)  # trained-looking: not the identity
    faces = torch.rand(2, 6, 5, 96, 96)
    windows = mel(10).view(2, 5, 1, 80, 16)
    with torch.no_grad():
        out = model(faces, windows)
        other = model(faces, -windows)
    assert out.face.shape == (2, 3, 5, 96, 96) and out.mask is None
    assert not torch.allclose(out.generated, other.generated)
    with pytest.raises(ValueError, match="image_size 96"):
        model(torch.rand(1, 6, 128, 128), mel(1))


def test_generator_input_masks_lower_half():
    target, reference = torch.rand(2, 3, 96, 96), torch.rand(2, 3, 96, 96)
    stacked = generator_input(target, reference)
    assert stacked.shape == (2, 6, 96, 96)
    assert torch.equal(stacked[:, :3, :48], target[:, :, :48])
    assert stacked[:, :3, 48:].abs().sum() == 0
    assert torch.equal(stacked[:, 3:], reference)


def test_generator_parameter_budget():
    assert 0.5e6 <= count_parameters(LipSyncGenerator(generator_settings(96))) <= 2e6
