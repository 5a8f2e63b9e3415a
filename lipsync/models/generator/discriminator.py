"""PatchGAN discriminator on the lower face, the optional adversarial loss for sharp mouths.

It judges overlapping patches (receptive field of a few tens of pixels) instead of the
whole face, which targets the blur and texture of lips and teeth that L1 and the sync loss
leave soft. It returns logits; the training code picks the GAN loss. The generator stage
builds it when ``training.generator.adversarial.enabled`` is on.
"""

from __future__ import annotations

from torch import Tensor, nn

from lipsync.models.generator.settings import DiscriminatorSettings


class PatchDiscriminator(nn.Module):
    """faces (B, 3, H, W) in [0, 1] -> realness logits (B, 1, H/2 / 2**k, W / 2**k), k = len(channels).

    Only the lower half (rows H/2..H) is judged. 4x4 stride-2 convolutions with instance
    norm (none on the first) and LeakyReLU(0.2), then a 3x3 convolution to one logit per patch.
    """

    def __init__(self, settings: DiscriminatorSettings) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for index, cout in enumerate(settings.channels):
            layers.append(nn.Conv2d(cin, cout, 4, 2, 1))
            if index > 0:
                layers.append(nn.InstanceNorm2d(cout, affine=True))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, faces: Tensor) -> Tensor:
        lower = faces[:, :, faces.shape[2] // 2 :]  # (B, 3, H/2, W)
        return self.net(lower)  # (B, 1, H/2 / 2**k, W / 2**k)
