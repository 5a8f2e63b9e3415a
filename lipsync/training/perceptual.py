"""Optional perceptual loss: L1 between VGG-16 features of generated and real faces.

Only meaningful with real pretrained weights, and nothing is downloaded here (no model hub
is reachable): pass the path of a torchvision ``vgg16().features`` state dict in
``training.<generator>.perceptual.weights``. Without a path the term is off; a weight > 0
without a path, a missing file or a file of another network stop with an error naming it.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from lipsync.models import CheckpointError, load_checkpoint
from lipsync.training.settings import PerceptualSettings

_LAYERS = 16  # features[:16]: up to relu3_3
_MEAN = (0.485, 0.456, 0.406)  # ImageNet statistics the torchvision weights expect (RGB)
_STD = (0.229, 0.224, 0.225)


class VggFeatureLoss(nn.Module):
    """faces, target: float (N, 3, H, W) RGB in [0, 1] -> mean L1 of relu3_3 features (scalar)."""

    def __init__(self, features: nn.Sequential) -> None:
        super().__init__()
        self.features = features[:_LAYERS].eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1))

    def forward(self, faces: Tensor, target: Tensor) -> Tensor:
        a = self.features((faces - self.mean) / self.std)
        b = self.features((target - self.mean) / self.std)
        return (a - b).abs().mean()


def build_perceptual(settings: PerceptualSettings) -> VggFeatureLoss | None:
    """The loss module, or None when ``settings.weights`` is null (the term is off)."""
    if settings.weights is None:
        if settings.weight > 0:
            raise ValueError("perceptual.weight > 0 needs perceptual.weights: the path of VGG-16 feature weights")
        return None
    path = Path(settings.weights)
    if not path.is_file():
        raise FileNotFoundError(f"perceptual weights {path} do not exist; give a torchvision vgg16().features file")
    from torchvision.models import vgg16

    features = vgg16(weights=None).features
    try:
        load_checkpoint(features, path)
    except CheckpointError as error:
        raise CheckpointError(f"perceptual weights: {error}") from error
    return VggFeatureLoss(features)
