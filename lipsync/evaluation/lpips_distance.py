"""LPIPS (AlexNet) of generated against real face crops, only with the real AlexNet weights.

The ``lpips`` package ships its calibration layers but not the AlexNet backbone, which
torchvision downloads into ``<torch hub dir>/checkpoints/alexnet-owt-7be5be79.pth``. No model
hub is reachable here, and a file already at that path is loaded without any check, so the
gate is ours: the file must exist and the first hex digits of its sha256 must equal the
suffix in its name (``7be5be79``), the way torchvision names its files. Otherwise the result
is a note, "n/a: no AlexNet weights (...)", and the evaluation goes on: an LPIPS number
computed with other weights would not be LPIPS. ``accept_unverified_weights`` lets a test use
a file it wrote itself.

No download can start: ``lpips.LPIPS`` is built with ``pnet_rand=True``, which asks
torchvision for an untrained AlexNet (no weights, no URL), and the verified file is then
loaded into its five feature slices here, with ``torch.load(weights_only=True)``. Only the
``features.*`` tensors are used (LPIPS never runs AlexNet's classifier).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from lipsync.evaluation.settings import LpipsSettings

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
NO_WEIGHTS = "n/a: no AlexNet weights"


@dataclass(frozen=True)
class LpipsScores:
    """per_frame: float32 (T,) LPIPS distances (0: identical; larger: more different), or None
    with ``note`` saying why LPIPS was not computed."""

    per_frame: np.ndarray | None
    note: str | None

    @property
    def mean(self) -> float | None:
        return None if self.per_frame is None else float(self.per_frame.mean())


def alexnet_path() -> Path:
    """Where torchvision keeps the AlexNet file: ``$TORCH_HOME/hub/checkpoints`` (torch.hub.get_dir)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / ALEXNET_FILE


def weights_problem(path: Path, accept_unverified: bool) -> str | None:
    """Why ``path`` cannot serve as the AlexNet backbone, or None when it can."""
    if not path.is_file():
        return f"{NO_WEIGHTS} ({path} not found; copy torchvision's {ALEXNET_FILE} there)"
    named = re.search(r"-([0-9a-f]+)\.", path.name)
    if accept_unverified:
        return None
    if named is None:
        return f"{NO_WEIGHTS} ({path.name} carries no hash to check)"
    digest = _sha256(path)
    if not digest.startswith(named.group(1)):
        return f"{NO_WEIGHTS} ({path} has sha256 {digest[:8]}..., its name says {named.group(1)}: not the real file)"
    return None


class LpipsMetric:
    """LPIPS v0.1 with AlexNet, or a note saying why not. Built once per evaluation."""

    def __init__(self, settings: LpipsSettings) -> None:
        self.settings = settings
        path = alexnet_path()
        self.note = weights_problem(path, settings.accept_unverified_weights)
        self._model = None
        if self.note is None:
            self._model, self.note = _build(path)

    @property
    def available(self) -> bool:
        return self._model is not None

    def score(self, generated: np.ndarray, real: np.ndarray) -> LpipsScores:
        """LPIPS per frame of uint8 (T, S, S, 3) RGB clips; a note instead when unavailable."""
        if self._model is None:
            return LpipsScores(None, self.note)
        if generated.shape != real.shape:
            raise ValueError(f"LPIPS needs two clips of one shape, got {generated.shape} and {real.shape}")
        out = []
        with torch.inference_mode():
            for first in range(0, len(real), self.settings.batch_size):
                chunk = slice(first, first + self.settings.batch_size)
                out.append(self._model(_signed(generated[chunk]), _signed(real[chunk])).flatten())
        return LpipsScores(torch.cat(out).numpy().astype(np.float32), None)


def _signed(frames: np.ndarray) -> Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1], LPIPS's input range."""
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def _build(path: Path) -> tuple[torch.nn.Module | None, str | None]:
    """LPIPS with the AlexNet features of ``path``, or None and the reason it cannot be built."""
    import lpips

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file is a note, never the end of an evaluation
        return None, f"{NO_WEIGHTS} ({path} is unreadable: {type(error).__name__})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's deprecation notice for ``pretrained=False``
        model = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False)
    expected = model.net.state_dict()  # "slice2.3.weight" is AlexNet's "features.3.weight"
    sources = {key: "features." + key.split(".", 1)[1] for key in expected}
    state = state if isinstance(state, dict) else {}
    unfit = [s for k, s in sources.items() if s not in state or state[s].shape != expected[k].shape]
    if unfit:
        return None, f"{NO_WEIGHTS} ({path} lacks or mis-shapes {', '.join(unfit)})"
    model.net.load_state_dict({key: state[source] for key, source in sources.items()}, strict=True)
    return model.eval(), None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
