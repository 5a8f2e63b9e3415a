"""The published Wav2Lip generator, rebuilt so its checkpoints load by name.

This is the baseline we benchmark against (about 36.3M parameters, about 4 GMAC per
96x96 frame). Module paths match the published ``Wav2Lip`` class exactly
(``face_encoder_blocks``, ``audio_encoder``, ``face_decoder_blocks``, ``output_block``), so
``wav2lip.pth`` and ``wav2lip_gan.pth`` load strictly through
:func:`lipsync.models.checkpoints.load_checkpoint`. It works at 96x96 only: the face
encoder reduces 96 px to a 1x1 grid that must meet the 1x1 audio embedding.

The published checkpoints were trained on OpenCV frames: channels in BGR order, values in
[0, 1].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lipsync.models.conv_blocks import ConvBlock, ResidualConv, UpConvBlock, down_stage


def _face_encoder() -> nn.ModuleList:
    """Seven stages, 96 -> 96, 48, 24, 12, 6, 3, 1 px; widths 16 ... 512. Each output is a skip."""
    return nn.ModuleList(
        [
            nn.Sequential(ConvBlock(6, 16, 7, 1, 3)),
            nn.Sequential(*down_stage(16, 32, 2, 2)),
            nn.Sequential(*down_stage(32, 64, 2, 3)),
            nn.Sequential(*down_stage(64, 128, 2, 2)),
            nn.Sequential(*down_stage(128, 256, 2, 2)),
            nn.Sequential(*down_stage(256, 512, 2, 1)),
            nn.Sequential(ConvBlock(512, 512, 3, 1, 0), ConvBlock(512, 512, 1, 1, 0)),
        ]
    )


def _audio_encoder() -> nn.Sequential:
    """(B, 1, 80, 16) mel -> (B, 512, 1, 1)."""
    return nn.Sequential(
        ConvBlock(1, 32, 3, 1, 1),
        ResidualConv(32),
        ResidualConv(32),
        *down_stage(32, 64, (3, 1), 2),
        *down_stage(64, 128, 3, 2),
        *down_stage(128, 256, (3, 2), 1),
        ConvBlock(256, 512, 3, 1, 0),
        ConvBlock(512, 512, 1, 1, 0),
    )


def _up_stage(cin: int, cout: int, residual_blocks: int) -> nn.Sequential:
    """Doubling transposed convolution then residual blocks: (B, cin, h, w) -> (B, cout, 2h, 2w)."""
    return nn.Sequential(UpConvBlock(cin, cout, 3, 2, 1, 1), *(ResidualConv(cout) for _ in range(residual_blocks)))


def _face_decoder() -> nn.ModuleList:
    """Seven stages from the 1x1 audio code back to 96 px; each input is the previous output
    concatenated with the encoder skip of the same size, hence the summed input widths."""
    return nn.ModuleList(
        [
            nn.Sequential(ConvBlock(512, 512, 1, 1, 0)),  # 1 px
            nn.Sequential(UpConvBlock(1024, 512, 3, 1, 0), ResidualConv(512)),  # 3 px
            _up_stage(1024, 512, 2),  # 6 px
            _up_stage(512 + 256, 384, 2),  # 12 px
            _up_stage(384 + 128, 256, 2),  # 24 px
            _up_stage(256 + 64, 128, 2),  # 48 px
            _up_stage(128 + 32, 64, 2),  # 96 px
        ]
    )


class Wav2Lip(nn.Module):
    """Wav2Lip generator: one 96x96 face per mel window.

    Accepts single frames or windows (the training code feeds windows of T = 5):
      mel: float (B, 1, 80, 16) or (B, T, 1, 80, 16), normalised log-mel in [-4, 4].
      faces: float (B, 6, 96, 96) or (B, 6, T, 96, 96) in [0, 1]; channels 0-2 the target
          frame with its lower half zeroed, 3-5 an identity reference frame (BGR each).
    Returns float (B, 3, 96, 96) or (B, 3, T, 96, 96) in [0, 1].
    """

    def __init__(self) -> None:
        super().__init__()
        self.face_encoder_blocks = _face_encoder()
        self.audio_encoder = _audio_encoder()
        self.face_decoder_blocks = _face_decoder()
        self.output_block = nn.Sequential(ConvBlock(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1), nn.Sigmoid())

    def forward(self, mel: Tensor, faces: Tensor) -> Tensor:
        windows = faces.dim() == 5
        if windows:
            batch, steps = faces.shape[0], faces.shape[2]
            mel = mel.flatten(0, 1)  # (B*T, 1, 80, 16)
            faces = faces.transpose(1, 2).flatten(0, 1)  # (B*T, 6, 96, 96)
        if tuple(faces.shape[1:]) != (6, 96, 96):
            raise ValueError(f"Wav2Lip takes (B, 6, 96, 96) faces, got {tuple(faces.shape)}")
        skips = []
        x = faces
        for stage in self.face_encoder_blocks:
            x = stage(x)
            skips.append(x)
        x = self.audio_encoder(mel)  # (N, 512, 1, 1)
        for stage, skip in zip(self.face_decoder_blocks, reversed(skips), strict=True):
            x = torch.cat([stage(x), skip], dim=1)  # (N, C_up + C_skip, h, w)
        out = self.output_block(x)  # (N, 3, 96, 96)
        if windows:
            out = out.unflatten(0, (batch, steps)).transpose(1, 2)  # (B, 3, T, 96, 96)
        return out
