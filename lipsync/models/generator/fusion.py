"""Fusion: the face bottleneck reads the audio through cross-attention.

Each cell of the bottleneck grid (6x6 at 96 px) becomes a query token; the audio tokens are
keys and values. Attention lets different parts of the face (lips, jaw, cheeks) pick
different moments and features of the 0.2 s window, where concatenating one audio vector
(as Wav2Lip does) gives every cell the same code. Pre-norm residual blocks, so with the
attention output near zero the bottleneck passes through unchanged.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from lipsync.models.generator.settings import FusionSettings


class CrossAttentionBlock(nn.Module):
    """tokens (B, N, C) attend to audio (B, N_a, D) -> (B, N, C); then a feed-forward layer."""

    def __init__(self, channels: int, audio_dim: int, heads: int, ffn_dim: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"fusion.heads {heads} must divide the bottleneck width {channels}")
        self.heads = heads
        self.norm = nn.LayerNorm(channels)
        self.query = nn.Linear(channels, channels)
        self.key_value = nn.Linear(audio_dim, 2 * channels)
        self.out = nn.Linear(channels, channels)
        self.ffn = nn.Sequential(
            nn.LayerNorm(channels), nn.Linear(channels, ffn_dim), nn.GELU(), nn.Linear(ffn_dim, channels)
        )

    def forward(self, tokens: Tensor, audio: Tensor) -> Tensor:
        batch, count, channels = tokens.shape
        q = self.query(self.norm(tokens)).unflatten(-1, (self.heads, -1)).transpose(1, 2)  # (B, h, N, C/h)
        k, v = self.key_value(audio).unflatten(-1, (2, self.heads, -1)).permute(2, 0, 3, 1, 4)  # (B, h, N_a, C/h)
        attended = F.scaled_dot_product_attention(q, k, v)  # (B, h, N, C/h)
        tokens = tokens + self.out(attended.transpose(1, 2).reshape(batch, count, channels))  # (B, N, C)
        return tokens + self.ffn(tokens)


class AudioFusion(nn.Module):
    """bottleneck (B, C, h, w) + audio tokens (B, N_a, D) -> audio-conditioned (B, C, h, w)."""

    def __init__(self, channels: int, audio_dim: int, settings: FusionSettings) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            CrossAttentionBlock(channels, audio_dim, settings.heads, settings.ffn_dim) for _ in range(settings.blocks)
        )

    def forward(self, bottleneck: Tensor, audio: Tensor) -> Tensor:
        _, _, height, width = bottleneck.shape
        tokens = bottleneck.flatten(2).transpose(1, 2)  # (B, h*w, C)
        for block in self.blocks:
            tokens = block(tokens, audio)
        return tokens.transpose(1, 2).unflatten(2, (height, width))  # (B, C, h, w)
