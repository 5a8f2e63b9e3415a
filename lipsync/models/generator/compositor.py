"""Face compositor: blends the generated lower face into the original frame with a soft mask.

Pasting the whole generated crop back replaces pixels the generator never needed to
touch (eyes, background) with slightly blurred copies and leaves a visible seam. A small
network looks at the generated and the original face and predicts where to take the new
pixels: ``output = mask * generated + (1 - mask) * original``. A fixed prior pulls the mask
toward the lower half, and rows above ``region_top`` are held at exactly 0, so the upper
face is the original, bit for bit.

Training trap: compositing into the ground-truth frame itself lets the mask shrink to 0 and
copy the answer. Train the mask against a frame whose mouth differs from the target, or
penalise its distance to :meth:`FaceCompositor.prior`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lipsync.models.generator.settings import CompositorSettings


class FaceCompositor(nn.Module):
    """generated, original: (B, 3, H, W) in [0, 1] -> (composite (B, 3, H, W), mask (B, 1, H, W) in [0, 1])."""

    def __init__(self, settings: CompositorSettings) -> None:
        super().__init__()
        self.settings = settings
        hidden = settings.hidden_channels
        self.net = nn.Sequential(
            nn.Conv2d(6, hidden, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, 1, 2, dilation=2),  # wider view of the seam at the same cost
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 1, 3, 1, 1),
        )
        nn.init.zeros_(self.net[-1].weight)  # start from the prior alone
        nn.init.zeros_(self.net[-1].bias)

    def prior(self, height: int, reference: Tensor) -> tuple[Tensor, Tensor]:
        """Row-wise prior logits and support, each (1, 1, height, 1) with ``reference``'s dtype/device."""
        top, gain = self.settings.region_top, self.settings.prior_logit
        rows = (torch.arange(height, device=reference.device, dtype=reference.dtype) + 0.5) / height  # (H,)
        logits = gain * ((rows - 0.5) / (0.5 - top)).clamp(-1.0, 1.0)  # -gain at top .. +gain at 1 - top
        support = (rows >= top).to(reference.dtype)  # 0 above region_top
        return logits.view(1, 1, height, 1), support.view(1, 1, height, 1)

    def forward(self, generated: Tensor, original: Tensor) -> tuple[Tensor, Tensor]:
        logits = self.net(torch.cat([generated, original], dim=1))  # (B, 1, H, W)
        prior_logits, support = self.prior(generated.shape[-2], generated)
        mask = torch.sigmoid(logits + prior_logits) * support  # (B, 1, H, W)
        return composite(generated, original, mask), mask


def composite(generated: Tensor, original: Tensor, mask: Tensor) -> Tensor:
    """mask * generated + (1 - mask) * original; where mask == 0 the result is ``original`` exactly."""
    return mask * generated + (1.0 - mask) * original  # (B, 3, H, W)
