"""Audio encoder: the mel window of one video frame -> a short sequence of audio tokens.

A 1-D convolution front end treats the 80 mel bins as channels and mel frames as time
(local spectral patterns, optionally pooled in time by ``token_stride``); a small
Transformer then lets every token see the whole 0.2 s window, so co-articulation with the
neighbouring sounds is available to the face.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lipsync.models.generator.settings import AudioEncoderSettings


class AudioEncoder(nn.Module):
    """mel (B, 1, mel_bins, mel_frames) normalised log-mel in [-4, 4] -> tokens (B, N_a, D).

    N_a = mel_frames / token_stride (16 / 2 = 8 tokens of 25 ms), D = settings.dim.
    """

    def __init__(self, settings: AudioEncoderSettings) -> None:
        super().__init__()
        self.settings = settings
        dim = settings.dim
        self.front = nn.Sequential(
            nn.Conv1d(settings.mel_bins, dim, 3, 1, 1),
            nn.GELU(),
            nn.Conv1d(dim, dim, 3, settings.token_stride, 1),
            nn.GELU(),
        )
        tokens = settings.mel_frames // settings.token_stride
        self.position = nn.Parameter(torch.zeros(1, tokens, dim))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            dim, settings.heads, settings.ffn_dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.transformer = nn.TransformerEncoder(layer, settings.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, mel: Tensor) -> Tensor:
        expected = (1, self.settings.mel_bins, self.settings.mel_frames)
        if tuple(mel.shape[1:]) != expected:
            raise ValueError(f"mel window must be (B, {', '.join(map(str, expected))}), got {tuple(mel.shape)}")
        x = self.front(mel.squeeze(1))  # (B, D, N_a)
        x = x.transpose(1, 2) + self.position  # (B, N_a, D)
        return self.norm(self.transformer(x))  # (B, N_a, D)
