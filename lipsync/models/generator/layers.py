"""Convolution building blocks shared by the face encoder and the lip decoder."""

from __future__ import annotations

from torch import Tensor, nn


class ConvNormAct(nn.Sequential):
    """Conv2d (no bias) + BatchNorm2d + ReLU: (B, C_in, H, W) -> (B, C_out, H/stride, W/stride)."""

    def __init__(self, cin: int, cout: int, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class ResidualBlock(nn.Module):
    """ResNet basic block: (B, C_in, H, W) -> (B, C_out, H/stride, W/stride).

    Two 3x3 convolutions with a shortcut; the shortcut is a strided 1x1 convolution when the
    shape changes, the identity otherwise.
    """

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(cin, cout, 3, stride),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))
