"""The published Wav2Lip visual-quality discriminator (``Wav2Lip_disc_qual``), loadable by name.

Used by the "HQ" Wav2Lip recipe (weight 0.07): it looks at the lower half of each
generated face and outputs the probability that it is real. Module paths match the
published class (``face_encoder_blocks``, ``binary_pred``) so ``disc_checkpoint_*.pth``
files load strictly. About 14.1M parameters; 96x96 faces only (the stages reduce the
48x96 lower half to 1x1).
"""

from __future__ import annotations

from torch import Tensor, nn

from lipsync.models.conv_blocks import PlainConvBlock


def _stage(cin: int, cout: int, kernel_size: int, stride: int | tuple[int, int]) -> nn.Sequential:
    """A (possibly strided) convolution then a same-size one, both unnormalised."""
    padding = kernel_size // 2
    return nn.Sequential(
        PlainConvBlock(cin, cout, kernel_size, stride, padding),
        PlainConvBlock(cout, cout, kernel_size, 1, padding),
    )


class Wav2LipDiscQual(nn.Module):
    """Realness of the lower face.

    faces: float (B, 3, 96, 96) or windows (B, 3, T, 96, 96), in [0, 1] (BGR for the published
        weights). Only rows 48..95 are looked at.
    Returns float (N, 1) probabilities: N = B, or N = T*B for windows, time-major
    (row t*B + b is frame t of sample b), the published order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.face_encoder_blocks = nn.ModuleList(
            [
                nn.Sequential(PlainConvBlock(3, 32, 7, 1, 3)),  # 48 x 96
                _stage(32, 64, 5, (1, 2)),  # 48 x 48
                _stage(64, 128, 5, 2),  # 24 x 24
                _stage(128, 256, 5, 2),  # 12 x 12
                _stage(256, 512, 3, 2),  # 6 x 6
                _stage(512, 512, 3, 2),  # 3 x 3
                nn.Sequential(PlainConvBlock(512, 512, 3, 1, 0), PlainConvBlock(512, 512, 1, 1, 0)),  # 1 x 1
            ]
        )
        self.binary_pred = nn.Sequential(nn.Conv2d(512, 1, 1), nn.Sigmoid())

    def forward(self, faces: Tensor) -> Tensor:
        if faces.dim() == 5:
            faces = faces.permute(2, 0, 1, 3, 4).flatten(0, 1)  # (T*B, 3, H, W)
        x = faces[:, :, faces.shape[2] // 2 :]  # (N, 3, H/2, W)
        for stage in self.face_encoder_blocks:
            x = stage(x)
        return self.binary_pred(x).flatten(1)  # (N, 1)
