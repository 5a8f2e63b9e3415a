"""Square face crops around tracked boxes, the input every later stage trains on.

``crop_box`` is the single definition of the crop geometry, so later stages can cut the same
region at other sizes (224 px for the SyncNet evaluator) or paste a generated face back into
the full frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from lipsync.faces.settings import CropSettings


def crop_box(box: np.ndarray, frame_w: int, frame_h: int, settings: CropSettings) -> tuple[int, int, int, int]:
    """Square crop region (x0, y0, x1, y1), integer frame pixels, x1 - x0 == y1 - y0.

    box: (x0, y0, x1, y1) face box in frame pixels. The box is extended downwards by
    ``chin_pad`` x its height, then a square of ``scale`` x its larger side is centred on it.
    A square that fits in the frame is shifted inside it (no padding needed); a larger one
    stays centred and ``crop_faces`` pads it.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    y1 += settings.chin_pad * (y1 - y0)
    side = max(1, round(settings.scale * max(x1 - x0, y1 - y0)))
    left = _place(round((x0 + x1 - side) / 2), side, frame_w)
    top = _place(round((y0 + y1 - side) / 2), side, frame_h)
    return left, top, left + side, top + side


def _place(start: int, side: int, limit: int) -> int:
    if side > limit:
        return start
    return min(max(start, 0), limit - side)


def crop_faces(frames: np.ndarray, boxes: np.ndarray, size: int, settings: CropSettings) -> np.ndarray:
    """Face crops uint8 (T, size, size, 3) from frames uint8 (T, H, W, 3) and boxes float (T, 4).

    Regions outside the frame are black; frames whose box is NaN (face absent) give black
    crops. Downscaling uses cv2.INTER_AREA, upscaling (a face smaller than ``size``) INTER_LINEAR.
    """
    crops = np.zeros((len(frames), size, size, 3), dtype=np.uint8)
    for t, (frame, box) in enumerate(zip(frames, boxes, strict=True)):
        crops[t] = crop_face(frame, box, size, settings)
    return crops


def crop_face(frame: np.ndarray, box: np.ndarray, size: int, settings: CropSettings) -> np.ndarray:
    """One face crop uint8 (size, size, 3) from a frame uint8 (H, W, 3) and its box float (4,).

    The per-frame step of ``crop_faces``, for callers that stream frames: black where the crop
    leaves the frame, all black when the box is NaN.
    """
    frame_h, frame_w = frame.shape[:2]
    if np.isnan(box).any():
        return np.zeros((size, size, 3), dtype=np.uint8)
    x0, y0, x1, y1 = crop_box(box, frame_w, frame_h, settings)
    region = frame[max(y0, 0) : min(y1, frame_h), max(x0, 0) : min(x1, frame_w)]
    if x0 < 0 or y0 < 0 or x1 > frame_w or y1 > frame_h:
        pads = (max(-y0, 0), max(y1 - frame_h, 0), max(-x0, 0), max(x1 - frame_w, 0))
        region = cv2.copyMakeBorder(region, *pads, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    method = cv2.INTER_AREA if region.shape[0] >= size else cv2.INTER_LINEAR
    return cv2.resize(region, (size, size), interpolation=method)
