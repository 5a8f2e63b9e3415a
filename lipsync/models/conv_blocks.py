"""Convolution blocks laid out like the published Wav2Lip ones, so checkpoints keep their names.

A checkpoint stores weights under module paths. Wav2Lip's checkpoints expect every block to
keep its layers in a child called ``conv_block`` (convolution at index 0, batch norm at
index 1) with the activation outside it; these blocks reproduce that layout, which is why
``conv_block.0.weight`` and ``conv_block.1.running_mean`` appear in every key. The
arithmetic is standard: convolution, optional batch norm, optional identity shortcut,
then the activation.
"""

from __future__ import annotations

from torch import Tensor, nn

Size2 = int | tuple[int, int]


class ConvBlock(nn.Module):
    """Conv2d + BatchNorm2d (+ identity shortcut) + ReLU.

    Input (B, C_in, H, W) -> output (B, C_out, H', W'), with H', W' set by kernel, stride
    and padding as in ``nn.Conv2d``. ``residual=True`` adds the input before the ReLU, so it
    needs C_in == C_out and a shape-preserving convolution.
    """

    def __init__(
        self, cin: int, cout: int, kernel_size: Size2, stride: Size2, padding: Size2, residual: bool = False
    ) -> None:
        super().__init__()
        if residual and cin != cout:
            raise ValueError(f"a residual block needs equal widths, got {cin} -> {cout}")
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride, padding), nn.BatchNorm2d(cout))
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv_block(x)  # (B, C_out, H', W')
        if self.residual:
            out = out + x
        return self.act(out)


class ResidualConv(ConvBlock):
    """A 3x3, stride-1 :class:`ConvBlock` with identity shortcut: (B, C, H, W) -> same shape."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels, channels, 3, 1, 1, residual=True)


class UpConvBlock(nn.Module):
    """ConvTranspose2d + BatchNorm2d + ReLU: (B, C_in, H, W) -> (B, C_out, H', W')."""

    def __init__(
        self, cin: int, cout: int, kernel_size: int, stride: int, padding: int, output_padding: int = 0
    ) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel_size, stride, padding, output_padding), nn.BatchNorm2d(cout)
        )
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.conv_block(x))


class PlainConvBlock(nn.Module):
    """Conv2d + LeakyReLU(0.01), no normalisation: (B, C_in, H, W) -> (B, C_out, H', W')."""

    def __init__(self, cin: int, cout: int, kernel_size: Size2, stride: Size2, padding: Size2) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride, padding))
        self.act = nn.LeakyReLU(0.01)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.conv_block(x))


def down_stage(
    cin: int, cout: int, stride: Size2, residual_blocks: int, kernel_size: int = 3, padding: int = 1
) -> list[nn.Module]:
    """A widening :class:`ConvBlock` followed by ``residual_blocks`` :class:`ResidualConv` blocks."""
    head = ConvBlock(cin, cout, kernel_size, stride, padding)
    return [head, *(ResidualConv(cout) for _ in range(residual_blocks))]
