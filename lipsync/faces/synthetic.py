"""Synthetic face videos with a known ground truth, for tests and benchmarks.

No video of a real face ships offline, but still photographs do (scikit-image's astronaut,
matplotlib's grace_hopper). Warping one with a smooth, known similarity transform per frame
gives a clip whose true face box is known on every frame.
"""

from __future__ import annotations

import cv2
import numpy as np


def moving_face_clip(
    image: np.ndarray, box: np.ndarray, length: int, size: int, face_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """A (size x size) clip of ``length`` frames following the face ``box`` of ``image``.

    image: uint8 (H, W, 3) RGB; box: (x0, y0, x1, y1) its face, in pixels. The face is scaled to
    about ``face_fraction`` x size (breathing by +-20 %) and drifts around the frame centre by up
    to 15 % of the size, with different periods in x, y and scale.
    Returns frames uint8 (length, size, size, 3) and the transformed boxes float32 (length, 4).
    """
    box = np.asarray(box, dtype=np.float64)
    centre = (box[:2] + box[2:]) / 2
    base = face_fraction * size / max(box[2] - box[0], box[3] - box[1])
    frames = np.empty((length, size, size, 3), dtype=np.uint8)
    boxes = np.empty((length, 4), dtype=np.float32)
    for t in range(length):
        scale = base * (1 + 0.2 * np.sin(2 * np.pi * t / 50))
        target = size / 2 + 0.15 * size * np.array([np.sin(2 * np.pi * t / 40), np.sin(2 * np.pi * t / 70)])
        shift = target - scale * centre
        warp = np.float32([[scale, 0, shift[0]], [0, scale, shift[1]]])
        frames[t] = cv2.warpAffine(image, warp, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        boxes[t] = box * scale + np.tile(shift, 2)
    return frames, boxes


def sliding_face_clip(
    image: np.ndarray, box: np.ndarray, length: int, size: int, face_fraction: float, speed: float
) -> tuple[np.ndarray, np.ndarray]:
    """A (size x size) clip of the face ``box`` of ``image`` sliding right, then back, at constant speed.

    The face is scaled to ``face_fraction`` x size; its centre moves ``speed`` px per frame to the
    right for the first length // 2 frames, through the frame centre, then retraces its path
    (the edges replicate the photo's). Going both ways tells a lag (its sign follows the motion)
    from a constant offset.
    Returns frames uint8 (length, size, size, 3) and the transformed boxes float32 (length, 4).
    """
    box = np.asarray(box, dtype=np.float64)
    centre = (box[:2] + box[2:]) / 2
    scale = face_fraction * size / max(box[2] - box[0], box[3] - box[1])
    half = length // 2
    steps = np.concatenate([np.arange(half), np.arange(length - half)[::-1] + (half - (length - half))])
    frames = np.empty((length, size, size, 3), dtype=np.uint8)
    boxes = np.empty((length, 4), dtype=np.float32)
    for t, step in enumerate(steps):
        shift = np.array([size / 2 + speed * (step - (half - 1) / 2), size / 2]) - scale * centre
        warp = np.float32([[scale, 0, shift[0]], [0, scale, shift[1]]])
        frames[t] = cv2.warpAffine(image, warp, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        boxes[t] = box * scale + np.tile(shift, 2)
    return frames, boxes
