"""SSIM and PSNR of generated against real face crops, on the whole face and on the mouth.

Both come from scikit-image (``structural_similarity`` with its uniform window,
``peak_signal_noise_ratio``) on uint8 RGB with a data range of 255, one frame at a time.
The mouth region is a per-frame box in crop pixels, (x0, y0, x1, y1) with x1, y1 exclusive
and fractional values allowed; a pixel belongs to it when its centre does (the convention of
:func:`lipsync.training.mouth.box_mask`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from lipsync.evaluation.settings import ImageSettings


@dataclass(frozen=True)
class ImageScores:
    """float64 (T,) per frame. SSIM in [-1, 1] (1: identical); PSNR in dB, ``psnr_cap_db`` for
    identical frames. Mouth values are NaN where the box holds fewer than ``ssim_window``
    pixels along a side (too small for SSIM; PSNR is left out with it)."""

    face_ssim: np.ndarray
    face_psnr: np.ndarray
    mouth_ssim: np.ndarray
    mouth_psnr: np.ndarray

    def means(self) -> dict[str, float]:
        """Clip means over the frames that have a value (NaN if none has)."""
        return {name: _mean(values) for name, values in vars(self).items()}


def box_slices(box: np.ndarray, size: tuple[int, int]) -> tuple[slice, slice]:
    """(rows, columns) of the pixels whose centres lie in ``box`` (x0, y0, x1, y1), clipped to
    an image of ``size`` (height, width)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    columns = slice(max(0, math.ceil(x0 - 0.5)), min(size[1], max(0, math.ceil(x1 - 0.5))))
    rows = slice(max(0, math.ceil(y0 - 0.5)), min(size[0], max(0, math.ceil(y1 - 0.5))))
    return rows, columns


def ssim(generated: np.ndarray, real: np.ndarray, settings: ImageSettings) -> float:
    """SSIM of two uint8 (H, W, 3) images; NaN when a side is shorter than the window."""
    if min(real.shape[:2]) < settings.ssim_window:
        return math.nan
    return float(structural_similarity(real, generated, win_size=settings.ssim_window, channel_axis=-1, data_range=255))


def psnr(generated: np.ndarray, real: np.ndarray, settings: ImageSettings) -> float:
    """PSNR in dB of two uint8 (H, W, 3) images, ``settings.psnr_cap_db`` when they are identical."""
    if real.size == 0:
        return math.nan
    if np.array_equal(real, generated):
        return settings.psnr_cap_db
    return min(settings.psnr_cap_db, float(peak_signal_noise_ratio(real, generated, data_range=255)))


def image_scores(
    generated: np.ndarray, real: np.ndarray, mouth_boxes: np.ndarray, settings: ImageSettings
) -> ImageScores:
    """Per-frame SSIM and PSNR of one clip.

    generated, real: uint8 (T, S, S, 3) RGB face crops of the same frames; mouth_boxes: float
    (T, 4) crop pixels, e.g. the real frames' landmark boxes (the same box cuts both images).
    """
    if generated.shape != real.shape or generated.dtype != np.uint8 or real.dtype != np.uint8:
        raise ValueError(f"image scores need two uint8 clips of one shape, got {generated.shape} and {real.shape}")
    face_ssim, face_psnr, mouth_ssim, mouth_psnr = (np.empty(len(real)) for _ in range(4))
    for t, (fake, true, box) in enumerate(zip(generated, real, mouth_boxes, strict=True)):
        face_ssim[t], face_psnr[t] = ssim(fake, true, settings), psnr(fake, true, settings)
        region = box_slices(box, true.shape[:2])
        mouth_ssim[t] = ssim(fake[region], true[region], settings)
        mouth_psnr[t] = psnr(fake[region], true[region], settings) if not math.isnan(mouth_ssim[t]) else math.nan
    return ImageScores(face_ssim, face_psnr, mouth_ssim, mouth_psnr)


def _mean(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else math.nan
