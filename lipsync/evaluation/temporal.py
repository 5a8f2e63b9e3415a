"""Temporal stability: flicker of the mouth pixels and jitter of the mouth landmarks.

Both are mean frame-to-frame changes, measured on the generated clip and on the real one
and reported with their ratio (generated / real): 1 moves as much as the real mouth, above 1
flickers or jitters more (a per-frame generator's typical fault), below 1 is too still. The
real clip's own change (speech, head motion) is the yardstick, so no threshold is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lipsync.evaluation.image import box_slices
from lipsync.evaluation.landmarks import MOUTH


@dataclass(frozen=True)
class TemporalChange:
    """generated, real: mean change per frame step (grey levels 0-255 for pixels, crop px for
    landmarks); ratio: generated / real (NaN when the real clip does not change); pairs: frame
    steps measured."""

    generated: float
    real: float
    ratio: float
    pairs: int


def _change(generated: list[float], real: list[float]) -> TemporalChange:
    if not real:
        return TemporalChange(math.nan, math.nan, math.nan, 0)
    fake, true = float(np.mean(generated)), float(np.mean(real))
    return TemporalChange(fake, true, fake / true if true > 0 else math.nan, len(real))


def mouth_flicker(generated: np.ndarray, real: np.ndarray, mouth_boxes: np.ndarray) -> TemporalChange:
    """Mean absolute change of the mouth pixels from frame t to t + 1.

    generated, real: uint8 (T, S, S, 3) RGB crops of the same frames; mouth_boxes: float (T, 4)
    crop pixels. Step t is measured inside frame t's box, the same pixels in both clips.
    """
    if generated.shape != real.shape:
        raise ValueError(f"flicker needs two clips of one shape, got {generated.shape} and {real.shape}")
    fake, true = [], []
    for t in range(len(real) - 1):
        region = box_slices(mouth_boxes[t], real.shape[1:3])
        if real[t][region].size == 0:
            continue
        for clip, out in ((generated, fake), (real, true)):
            out.append(float(np.abs(clip[t + 1][region].astype(np.int16) - clip[t][region]).mean()))
    return _change(fake, true)


def landmark_jitter(generated_points: np.ndarray, real_points: np.ndarray) -> TemporalChange:
    """Mean displacement of the 20 mouth landmarks (48-67) from frame t to t + 1.

    generated_points, real_points: float (T, 68, 2) crop px, NaN where a face is missing; only
    steps whose two frames have landmarks in both clips count.
    """
    steps = []
    for points in (generated_points, real_points):
        mouth = points[:, MOUTH]  # (T, 20, 2)
        steps.append(np.linalg.norm(mouth[1:] - mouth[:-1], axis=-1).mean(axis=1))  # (T - 1,)
    kept = ~np.isnan(steps[0]) & ~np.isnan(steps[1])
    return _change(steps[0][kept].tolist(), steps[1][kept].tolist())
