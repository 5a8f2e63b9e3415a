"""Paste a generated lower face back into the full-resolution frame, with no seam.

The generator works on a square crop of S px (``crop_box``, the faces stage's geometry); the
frame keeps its own resolution. The generated face and its blend mask (the compositor's, or a
fixed lower-face mask for Wav2Lip) are upscaled to the crop's size in the frame and blended there:
``frame + mask * (generated - frame)``, so where the mask is 0 the frame's pixels are kept bit for
bit, never a down- and up-sampled copy. Two things remove what would still show:

- feathering: the mask fades to 0 towards the crop's left, right and bottom edges (its top is
  already 0 above the compositor's ``region_top``), so no edge of the square can show;
- colour matching: the generated face's mean colour is shifted to the original's over the mask's
  transition band (weights ``4 m (1 - m)``), where a colour step would otherwise be seen.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from lipsync.inference.settings import PasteSettings


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


@functools.lru_cache(maxsize=8)
def feather_window(size: int, feather: float) -> np.ndarray:
    """float32 (S, S): 0 at the left, right and bottom edges, 1 beyond ``feather`` x S from them (shared: read only)."""
    centres = np.arange(size, dtype=np.float32) + 0.5
    width = max(feather * size, 1e-6)
    sides = _smoothstep(np.minimum(centres, size - centres) / width)  # (S,) across columns
    bottom = _smoothstep((size - centres) / width)  # (S,) down the rows
    return (bottom[:, None] * sides[None, :]).astype(np.float32)


@functools.lru_cache(maxsize=8)
def fixed_mask(size: int, settings: PasteSettings) -> np.ndarray:
    """float32 (S, S) mask for generators without a compositor: 0 above ``fixed_mask_top`` x S,
    rising to 1 over ``fixed_mask_ramp`` x S, feathered at the crop's edges (shared: read only)."""
    rows = (np.arange(size, dtype=np.float32) + 0.5) / size
    rise = _smoothstep((rows - settings.fixed_mask_top) / max(settings.fixed_mask_ramp, 1e-6))
    return (rise[:, None] * feather_window(size, settings.feather)).astype(np.float32)


def colour_matched(generated: np.ndarray, original: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """generated float32 (S, S, 3) in [0, 1] shifted per channel so its mean over the mask's
    transition band equals ``original``'s (float32 (S, S, 3) in [0, 1]); mask float32 (S, S)."""
    weight = 4.0 * mask * (1.0 - mask)
    if weight.sum() < 1.0:  # a hard mask has no band: use its inside
        weight = mask
    total = float(weight.sum())
    if total <= 0.0:
        return generated
    shift = ((original - generated) * weight[..., None]).sum(axis=(0, 1)) / total  # (3,)
    return np.clip(generated + shift, 0.0, 1.0)


def paste(frame: np.ndarray, region: tuple[int, int, int, int], generated: np.ndarray, mask: np.ndarray) -> None:
    """Blend ``generated`` into ``frame`` in place.

    frame: uint8 (H, W, 3) RGB at full resolution; region: the crop (x0, y0, x1, y1) in frame
    pixels, square, possibly reaching past the frame; generated: float32 (S, S, 3) in [0, 1];
    mask: float32 (S, S) in [0, 1]. Only pixels under a non-zero upscaled mask change.
    """
    x0, y0, x1, y1 = region
    side = x1 - x0
    height, width = frame.shape[:2]
    big_mask = cv2.resize(mask, (side, side), interpolation=cv2.INTER_LINEAR)  # (side, side)
    rows = np.flatnonzero(big_mask.max(axis=1) > 0)
    cols = np.flatnonzero(big_mask.max(axis=0) > 0)
    if not len(rows):
        return
    top, bottom = max(y0 + rows[0], 0), min(y0 + rows[-1] + 1, height)  # frame rows touched
    left, right = max(x0 + cols[0], 0), min(x0 + cols[-1] + 1, width)
    if top >= bottom or left >= right:
        return
    big_face = cv2.resize(generated, (side, side), interpolation=cv2.INTER_LINEAR) * 255.0  # (side, side, 3)
    m = big_mask[top - y0 : bottom - y0, left - x0 : right - x0, None]
    face = big_face[top - y0 : bottom - y0, left - x0 : right - x0]
    window = frame[top:bottom, left:right].astype(np.float32)
    frame[top:bottom, left:right] = np.clip(window + m * (face - window) + 0.5, 0, 255).astype(np.uint8)


def blend_mask(mask: np.ndarray | None, size: int, settings: PasteSettings) -> np.ndarray:
    """The mask to paste with: the compositor's (float32 (S, S)) feathered, or :func:`fixed_mask`."""
    if mask is None:
        return fixed_mask(size, settings)
    return (mask * feather_window(size, settings.feather)).astype(np.float32)
