"""One calling convention for the two generators we train, and the expert's sync loss on their output.

Both adapters take RGB windows and return RGB windows:
  target, reference: float (B, 3, T, S, S) in [0, 1], RGB; mel: float (B, T, 1, 80, 16).
  returns (face (B, 3, T, S, S) RGB in [0, 1], mask (B, 1, T, S, S) or None).

Wav2Lip was published with OpenCV (BGR) frames, so its adapter feeds it BGR and turns its
output back to RGB: weights trained here stay interchangeable with ``wav2lip.pth``.

Compositor (ours): feeding the ground-truth target as the frame to blend into lets the mask
learn to copy the answer. We blend into a leak-free stand-in, the target's upper half over
the *reference's* lower half. That is the situation at inference (the frame being dubbed
carries a real, but wrong, mouth), the target's mouth never enters, and the mask is
trained to take the generated mouth wherever the original's mouth disagrees. A small L1
pull toward the mask prior (``mask_prior_weight``) keeps the mask from drifting where the
two agree (cheeks, background).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lipsync.models import (
    LipSyncGenerator,
    SyncNet,
    Wav2Lip,
    Wav2LipDiscQual,
    generator_input,
    lower_half_stack,
    sync_loss,
)

BGR6 = [2, 1, 0, 5, 4, 3]  # RGB target + RGB reference -> BGR + BGR
BGR3 = [2, 1, 0]


def leak_free_original(target: Tensor, reference: Tensor) -> Tensor:
    """(B, 3, T, S, S) x 2 -> (B, 3, T, S, S): target rows above S/2, reference rows from S/2."""
    half = target.shape[-2] // 2
    return torch.cat([target[..., :half, :], reference[..., half:, :]], dim=-2)


class OursAdapter:
    """Calls :class:`LipSyncGenerator` (possibly DDP-wrapped) with the leak-free original."""

    architecture = "LipSyncGenerator"

    def __call__(self, model: nn.Module, target: Tensor, reference: Tensor, mel: Tensor) -> tuple[Tensor, Tensor]:
        out = model(generator_input(target, reference), mel, leak_free_original(target, reference))
        return out.face, out.mask

    @staticmethod
    def mask_prior(generator: LipSyncGenerator, mask: Tensor) -> Tensor:
        """The compositor's prior mask, broadcastable to ``mask`` (B, 1, T, S, S)."""
        logits, support = generator.compositor.prior(mask.shape[-2], mask)  # (1, 1, S, 1) each
        return (torch.sigmoid(logits) * support).unsqueeze(2)  # (1, 1, 1, S, 1)


class Wav2LipAdapter:
    """Calls :class:`Wav2Lip` (possibly DDP-wrapped) in BGR; returns RGB and no mask."""

    architecture = "Wav2Lip"

    def __call__(self, model: nn.Module, target: Tensor, reference: Tensor, mel: Tensor) -> tuple[Tensor, None]:
        faces = generator_input(target, reference)[:, BGR6]  # (B, 6, T, 96, 96) BGR
        return model(mel, faces)[:, BGR3], None

    @staticmethod
    def mask_prior(generator: Wav2Lip, mask: Tensor) -> Tensor:
        raise TypeError("Wav2Lip has no compositor mask")


def adapter_for(generator: nn.Module) -> OursAdapter | Wav2LipAdapter:
    if isinstance(generator, LipSyncGenerator):
        return OursAdapter()
    if isinstance(generator, Wav2Lip):
        return Wav2LipAdapter()
    raise TypeError(f"no training adapter for {type(generator).__name__}; expected LipSyncGenerator or Wav2Lip")


def expert_sync_loss(expert: SyncNet, faces: Tensor, sync_mel: Tensor) -> Tensor:
    """-log P(sync) of generated windows under the frozen expert; a scalar (nats).

    faces: (B, 3, T, S, S) RGB in [0, 1]; sync_mel: (B, 1, 80, 16), the window's audio.
    Computed in float32 with autocast off (binary cross-entropy refuses autocast).
    """
    with torch.autocast(faces.device.type, enabled=False):
        audio, face = expert(sync_mel.float(), lower_half_stack(faces.float()))  # (B, E) each
        return sync_loss(audio, face, torch.ones(len(faces), device=faces.device))


def critic_bce(critic: nn.Module, frames: Tensor, real: Tensor, published: bool) -> Tensor:
    """Binary cross-entropy of a discriminator's verdict on ``frames`` against ``real``.

    frames: (N, 3, S, S) RGB in [0, 1]; real: (N,) 1.0 for "judged real", 0.0 for "judged
    generated". Our PatchGAN returns logits per patch (every patch carries the frame's
    label); the published ``Wav2Lip_disc_qual`` (``published``) takes BGR and returns one
    probability per frame. Computed in float32 with autocast off.
    """
    with torch.autocast(frames.device.type, enabled=False):
        if published:
            probability = critic(frames[:, BGR3].float()).clamp(1e-6, 1 - 1e-6)  # (N, 1)
            return F.binary_cross_entropy(probability, real.view(-1, 1).float())
        logits = critic(frames.float())  # (N, 1, h, w)
        return F.binary_cross_entropy_with_logits(logits, real.view(-1, 1, 1, 1).expand_as(logits).float())


def is_published_critic(critic: nn.Module | None) -> bool:
    return isinstance(critic, Wav2LipDiscQual)
