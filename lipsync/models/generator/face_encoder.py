"""Face encoder: a small ResNet over the masked target frame and the identity reference.

The two frames are stacked as 6 channels, the Wav2Lip input convention: the target tells
the pose and the upper face (its lower half is zeroed so the mouth cannot be copied), the
reference tells what this person's mouth and teeth look like. Every level's output is kept
as a skip connection for the lip decoder; the last is the bottleneck that meets the audio.
"""

from __future__ import annotations

from itertools import pairwise

from torch import Tensor, nn

from lipsync.models.generator.layers import ConvNormAct, ResidualBlock
from lipsync.models.generator.settings import GeneratorSettings


class FaceEncoder(nn.Module):
    """faces (B, 6, S, S) in [0, 1] -> features at S, S/2, ..., S/2**L (L = settings.levels).

    Returns a list of L + 1 tensors, full resolution first: level l is
    (B, widths[l], S / 2**l, S / 2**l).
    """

    def __init__(self, settings: GeneratorSettings) -> None:
        super().__init__()
        widths = settings.widths
        self.stem = ConvNormAct(6, widths[0], 3)
        self.levels = nn.ModuleList(ResidualBlock(cin, cout, 2) for cin, cout in pairwise(widths))

    def forward(self, faces: Tensor) -> list[Tensor]:
        x = self.stem(faces)  # (B, w0, S, S)
        features = [x]
        for level in self.levels:
            x = level(x)  # (B, w_l, S / 2**l, S / 2**l)
            features.append(x)
        return features
