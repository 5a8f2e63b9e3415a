"""MTCNN's three networks (P-Net, R-Net, O-Net) as PyTorch modules, with the pretrained weights.

Why a port: the only offline source of pretrained face-detector weights is the ``mtcnn``
wheel (1.0.0), whose code needs TensorFlow (several GB, not installed, and slower on our CPUs
for batched video). The wheel's weight files are plain joblib dumps of the Keras
``get_weights()`` lists, so we read them without importing the package and convert:

- conv kernel ``(kh, kw, in, out)`` -> torch ``(out, in, kh, kw)``; dense kernel -> transpose;
- PReLU alpha ``(1, 1, C)`` or ``(C,)`` -> per-channel vector ``(C,)``;
- Keras ``padding="same"`` max-pools with stride 2 pad only at the end: ``ceil_mode=True``;
- R-Net and O-Net permute to ``(N, W, H, C)`` before flattening into their dense layers.

Conventions read from the wheel's own code (``mtcnn/utils/images.py``, ``bboxes.py``,
``landmarks.py``): input is RGB, **not** transposed (the transposition of the original Caffe
model lives in the permute before the dense layers), normalised as ``(x - 127.5) / 128``;
box regressions are fractions of the box side; O-Net landmarks come as 5 x then 5 y values in
the order left eye, right eye, nose, mouth left, mouth right, as fractions of the box.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import joblib
import numpy as np
import torch
from torch import nn

WEIGHT_FILES = {"pnet": "pnet.lz4", "rnet": "rnet.lz4", "onet": "onet.lz4"}


class MtcnnWeightsError(FileNotFoundError):
    """The MTCNN weight files (shipped inside the ``mtcnn`` wheel) cannot be found."""


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8-valued float (N, 3, H, W) RGB in [0, 255] -> MTCNN input, roughly [-1, 1]."""
    return (images - 127.5) * (1.0 / 128.0)


class PNet(nn.Module):
    """Proposal net, fully convolutional: (N, 3, H, W) -> regression (N, 4, h, w), face prob (N, h, w).

    One output cell per 12x12 window at stride 2: h = ceil((H - 2) / 2) - 4.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 4, 1)
        self.conv4_2 = nn.Conv2d(32, 2, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_1(x), torch.softmax(self.conv4_2(x), dim=1)[:, 1]


def _flatten_whc(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, W*H*C) in the Keras Permute((2, 1, 3)) + Flatten order."""
    return x.permute(0, 3, 2, 1).flatten(1)


class RNet(nn.Module):
    """Refinement net: (N, 3, 24, 24) -> regression (N, 4), face prob (N,)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.fc4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.fc5_1 = nn.Linear(128, 4)
        self.fc5_2 = nn.Linear(128, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))  # (N, 28, 11, 11)
        x = self.pool2(self.prelu2(self.conv2(x)))  # (N, 48, 4, 4)
        x = self.prelu3(self.conv3(x))  # (N, 64, 3, 3)
        x = self.prelu4(self.fc4(_flatten_whc(x)))  # (N, 128)
        return self.fc5_1(x), torch.softmax(self.fc5_2(x), dim=1)[:, 1]


class ONet(nn.Module):
    """Output net: (N, 3, 48, 48) -> regression (N, 4), landmarks (N, 10) [x1..x5, y1..y5], prob (N,)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.fc5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.fc6_1 = nn.Linear(256, 4)
        self.fc6_2 = nn.Linear(256, 10)
        self.fc6_3 = nn.Linear(256, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))  # (N, 32, 23, 23)
        x = self.pool2(self.prelu2(self.conv2(x)))  # (N, 64, 10, 10)
        x = self.pool3(self.prelu3(self.conv3(x)))  # (N, 64, 4, 4)
        x = self.prelu4(self.conv4(x))  # (N, 128, 3, 3)
        x = self.prelu5(self.fc5(_flatten_whc(x)))  # (N, 256)
        return self.fc6_1(x), self.fc6_2(x), torch.softmax(self.fc6_3(x), dim=1)[:, 1]


def _keras_to_state_dict(net: nn.Module, arrays: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """Map a Keras ``get_weights()`` list onto ``net``'s parameters, in registration order."""
    names = [name for name, _ in net.named_parameters()]
    if len(names) != len(arrays):
        raise ValueError(f"{type(net).__name__} expects {len(names)} arrays, the file holds {len(arrays)}")
    state = {}
    for name, array in zip(names, arrays, strict=True):
        value = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
        if value.ndim == 4:  # conv kernel (kh, kw, in, out)
            value = value.permute(3, 2, 0, 1)
        elif value.ndim == 2:  # dense kernel (in, out)
            value = value.t()
        elif value.ndim == 3:  # PReLU alpha shared over H, W: (1, 1, C)
            value = value.reshape(-1)
        state[name] = value.contiguous()
    return state


def default_weights_dir() -> Path:
    """Folder of the weight files inside the installed ``mtcnn`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise MtcnnWeightsError(
            "MTCNN weights: the 'mtcnn' package (which ships them) is not installed; "
            "run `pip install mtcnn==1.0.0` (TensorFlow is not needed)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "assets" / "weights"


class Mtcnn(nn.Module):
    """The three pretrained networks, in eval mode."""

    def __init__(self, weights_dir: Path) -> None:
        super().__init__()
        self.pnet, self.rnet, self.onet = PNet(), RNet(), ONet()
        for attr, file_name in WEIGHT_FILES.items():
            path = Path(weights_dir) / file_name
            if not path.is_file():
                raise MtcnnWeightsError(
                    f"MTCNN weight file not found: {path}; reinstall the wheel "
                    "(`pip install --force-reinstall mtcnn==1.0.0`) or pass the folder holding "
                    f"{', '.join(WEIGHT_FILES.values())}"
                )
            net = getattr(self, attr)
            net.load_state_dict(_keras_to_state_dict(net, joblib.load(path)), strict=True)
        self.eval().requires_grad_(False)


@functools.lru_cache(maxsize=4)
def load_mtcnn(weights_dir: Path | None = None) -> Mtcnn:
    """The pretrained MTCNN, loaded once per process (weights ~2 MB; call freely)."""
    return Mtcnn(default_weights_dir() if weights_dir is None else Path(weights_dir))
