"""Lip decoder: a U-Net decoder from the audio-conditioned bottleneck back to a full face.

Each level halves the channels with a 1x1 convolution at the coarse resolution (cheaper
than convolving the wide tensor after up-sampling), doubles the grid, concatenates the
encoder skip of that size and mixes with a 3x3 convolution. The skips carry the pose and
upper face; the decoder mainly has to draw the mouth.

The decoder predicts a *change* to a base face, not the face itself: the output is
``clamp(base + delta, 0, 1)`` with the last convolution zero-initialised, so an untrained
generator returns its base exactly (see :func:`lipsync.models.generator.model.base_face`)
and training only has to learn where the mouth differs. Predicting the whole face made a
small CPU-budget generator spend its steps re-learning cheeks, chin and background, and
after 1,500 steps its mouths were still worse than copying the reference.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lipsync.models.generator.layers import ConvNormAct


class UpLevel(nn.Module):
    """(B, C_deep, h, w) + skip (B, C, 2h, 2w) -> (B, C, 2h, 2w)."""

    def __init__(self, deep: int, channels: int) -> None:
        super().__init__()
        self.reduce = ConvNormAct(deep, channels, 1)
        self.mix = ConvNormAct(2 * channels, channels, 3)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = F.interpolate(self.reduce(x), scale_factor=2.0, mode="nearest")  # (B, C, 2h, 2w)
        return self.mix(torch.cat([x, skip], dim=1))  # (B, C, 2h, 2w)


class LipDecoder(nn.Module):
    """Encoder features (full resolution first, bottleneck last) + base (B, 3, S, S) -> face (B, 3, S, S) in [0, 1].

    widths: the encoder widths, full resolution first (``GeneratorSettings.widths``); the
    bottleneck entry of ``features`` is replaced by its audio-conditioned version.
    """

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        self.levels = nn.ModuleList(UpLevel(deep, shallow) for shallow, deep in pairwise(widths))
        self.to_rgb = nn.Conv2d(widths[0], 3, 3, 1, 1)
        nn.init.zeros_(self.to_rgb.weight)  # start as the identity on the base face
        nn.init.zeros_(self.to_rgb.bias)

    def forward(self, features: list[Tensor], base: Tensor) -> Tensor:
        x = features[-1]  # (B, w_L, S/2**L, S/2**L)
        for level, skip in zip(reversed(self.levels), reversed(features[:-1]), strict=True):
            x = level(x, skip)  # (B, w_l, S/2**l, S/2**l)
        return (base + self.to_rgb(x)).clamp(0.0, 1.0)  # (B, 3, S, S)
