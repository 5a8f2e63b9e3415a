"""Lip-sync expert: scores whether a mel window and five mouth crops belong together.

The expert follows the reference recipe (REFERENCE.md section 1): a face tower over the
lower halves of 5 consecutive frames stacked as 15 channels, an audio tower over a
(80 mel bins x 16 mel frames) window, both ending in L2-normalised embeddings. Their
cosine similarity, trained with binary cross-entropy against in-sync / off-sync labels,
is the sync probability used as a loss for the generator.

Width is a setting: the slim CPU expert and the reference-width GPU expert are the same
class. At the reference width (channels 32-512, 512-d embeddings) the state dict is
name-for-name the published ``SyncNet_color``, so ``lipsync_expert.pth`` loads into it
(see :class:`lipsync.models.wav2lip.SyncNetColor`). The face tower ends in a global mean
over whatever spatial grid is left, so crops from 96 to 256 px all give one embedding;
at 96 px that grid is already 1x1 and the mean changes nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lipsync.models.conv_blocks import ConvBlock, ResidualConv, down_stage
from lipsync.models.settings import SyncNetSettings


def build_face_tower(settings: SyncNetSettings) -> nn.Sequential:
    """(B, 3*T, H/2, W) lower-face stack -> (B, E, h, w) non-negative features (h = w = 1 at 96 px)."""
    c0, c1, c2, c3, c4 = settings.channels
    return nn.Sequential(
        ConvBlock(3 * settings.window_frames, c0, 7, 1, 3),
        *down_stage(c0, c1, (1, 2), 2, kernel_size=5, padding=1),  # halves the width: crop is W = 2 * H/2
        *down_stage(c1, c2, 2, 3),
        *down_stage(c2, c3, 2, 2),
        *down_stage(c3, c4, 2, 2),
        ConvBlock(c4, c4, 3, 2, 1),
        ConvBlock(c4, c4, 3, 1, 0),
        ConvBlock(c4, settings.embedding_dim, 1, 1, 0),
    )


def build_audio_tower(settings: SyncNetSettings) -> nn.Sequential:
    """(B, 1, 80, 16) mel window -> (B, E, 1, 1) non-negative features."""
    c0, c1, c2, c3, c4 = settings.channels
    return nn.Sequential(
        ConvBlock(1, c0, 3, 1, 1),
        ResidualConv(c0),
        ResidualConv(c0),
        *down_stage(c0, c1, (3, 1), 2),  # 80 x 16 -> 27 x 16
        *down_stage(c1, c2, 3, 2),  # -> 9 x 6
        *down_stage(c2, c3, (3, 2), 2),  # -> 3 x 3
        ConvBlock(c3, c4, 3, 1, 0),  # -> 1 x 1
        ConvBlock(c4, settings.embedding_dim, 1, 1, 0),
    )


class SyncNet(nn.Module):
    """Audio and lower-face towers with unit-norm embeddings.

    Attribute names ``face_encoder`` / ``audio_encoder`` and the argument order
    (audio first) follow the published expert so its checkpoints and habits carry over.
    """

    def __init__(self, settings: SyncNetSettings) -> None:
        super().__init__()
        self.settings = settings
        self.face_encoder = build_face_tower(settings)
        self.audio_encoder = build_audio_tower(settings)

    def forward(self, mel: Tensor, lower_faces: Tensor) -> tuple[Tensor, Tensor]:
        """Embed a batch of windows.

        mel: float (B, 1, 80, 16), normalised log-mel in [-4, 4].
        lower_faces: float (B, 3*T, H/2, W) in [0, 1], T = window_frames, frames stacked
            along channels (RGB of frame 0, then frame 1, ...); H/2 x W = 48 x 96 at 96 px.
        Returns (audio_embedding, face_embedding), each float (B, E) with unit L2 norm and
        non-negative entries (the towers end in ReLU).
        """
        face = self.face_encoder(lower_faces).mean(dim=(2, 3))  # (B, E)
        audio = self.audio_encoder(mel).flatten(1)  # (B, E)
        return F.normalize(audio, dim=1), F.normalize(face, dim=1)


def sync_probability(audio_embedding: Tensor, face_embedding: Tensor) -> Tensor:
    """Probability that each pair is in sync: (B, E), (B, E) -> (B,) in [0, 1].

    The cosine similarity of the two embeddings. Both are outputs of a ReLU, so the cosine
    is already non-negative; the clamp only absorbs rounding past 1 (or below 0), which
    binary cross-entropy would reject.
    """
    cosine = F.cosine_similarity(audio_embedding.float(), face_embedding.float(), dim=1)  # (B,)
    return cosine.clamp(0.0, 1.0)


def sync_loss(audio_embedding: Tensor, face_embedding: Tensor, in_sync: Tensor) -> Tensor:
    """Binary cross-entropy of :func:`sync_probability` against labels; a scalar (nats).

    in_sync: (B,) 1.0 for a matching pair, 0.0 for an off-sync one. For the generator's sync
    loss pass ones: the loss is then -log(P(sync)) averaged over the batch.
    """
    probability = sync_probability(audio_embedding, face_embedding)  # (B,)
    return F.binary_cross_entropy(probability, in_sync.to(probability.dtype))


def lower_half_stack(frames: Tensor) -> Tensor:
    """Expert input from a window of faces: (B, 3, T, H, W) -> (B, 3*T, H/2, W).

    Frames are stacked along channels in time order (frame 0's RGB first), the layout the
    expert was trained on.
    """
    lower = frames[..., frames.shape[-2] // 2 :, :]  # (B, 3, T, H/2, W)
    return torch.cat(lower.unbind(dim=2), dim=1)  # (B, 3*T, H/2, W)
