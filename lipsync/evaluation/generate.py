"""Re-generate a clip frame by frame with a generator, the way the benchmark compares them.

Every output frame f is made from the target frame f with its lower half masked, a
reference frame from elsewhere in the same clip (:func:`reference_indices`, never the
target's own mouth) and the audio window of frame f. The generators are called through
the training adapters (:mod:`lipsync.training.generator_adapters`), so each sees exactly the
input it was trained on (ours the leak-free original to composite into, Wav2Lip BGR).
"Copy the reference" is the trivial generator: the target's upper half over the
reference's lower half, which is also what an untrained generator of ours returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from lipsync.training.generator_adapters import adapter_for, leak_free_original

# target, reference: float (N, 3, 1, S, S) RGB in [0, 1]; mel: (N, 1, 1, bands, mel frames) -> face like target
Generate = Callable[[Tensor, Tensor, Tensor], Tensor]


def reference_indices(count: int, offset: float) -> np.ndarray:
    """int64 (count,): frame (f + round(offset x count)) mod count for each frame f."""
    return (np.arange(count) + max(1, round(offset * count))) % count


def model_generator(model: nn.Module) -> Generate:
    """A trained generator (ours or Wav2Lip) as a :data:`Generate`, in eval mode, no gradients."""
    adapter = adapter_for(model)
    model.eval()

    def generate(target: Tensor, reference: Tensor, mel: Tensor) -> Tensor:
        with torch.inference_mode():
            return adapter(model, target, reference, mel)[0]

    return generate


def copy_reference(target: Tensor, reference: Tensor, mel: Tensor) -> Tensor:
    """The trivial generator: target rows above the middle, reference rows below."""
    return leak_free_original(target, reference)


def generate_frames(
    generate: Generate, frames: np.ndarray, mel_windows: np.ndarray, references: np.ndarray, batch: int
) -> tuple[np.ndarray, float]:
    """(generated uint8 (T, S, S, 3) RGB, seconds spent in ``generate``).

    frames: uint8 (T, S, S, 3) RGB real crops; mel_windows: float32 (T, 1, bands, mel frames);
    references: int (T,) the reference frame of each target frame.
    """
    out = np.empty_like(frames)
    spent = 0.0
    for first in range(0, len(frames), batch):
        index = np.arange(first, min(len(frames), first + batch))
        target = _tensor(frames[index])  # (N, 3, 1, S, S)
        reference = _tensor(frames[references[index]])
        mel = torch.from_numpy(mel_windows[index][:, None])  # (N, 1, 1, bands, mel frames)
        started = time.perf_counter()
        face = generate(target, reference, mel)
        spent += time.perf_counter() - started
        out[index] = (face[:, :, 0].clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return out, spent


def _tensor(frames: np.ndarray) -> Tensor:
    """uint8 (N, S, S, 3) -> float (N, 3, 1, S, S) in [0, 1]."""
    return torch.from_numpy(frames).permute(0, 3, 1, 2)[:, :, None].float() / 255.0
