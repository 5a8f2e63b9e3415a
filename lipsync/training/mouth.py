"""Mouth boxes in face-crop pixels, and the L1 error inside them.

The mouth region is where lip-sync quality lives: the rest of the crop is copied or easy.
Boxes are (x0, y0, x1, y1) in pixels of the S x S crop (x1, y1 exclusive, fractional
values allowed). The preferred boxes come from ground truth (the corpus knows where it
drew the mouth); :func:`mouth_boxes_from_landmarks` is the fallback for any data with the
tracker's 5-point landmarks: the two mouth corners (landmarks 3 and 4) mapped into the
crop (geometry of :func:`lipsync.faces.crop.crop_box`, resized to S).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from lipsync.faces.crop import crop_box
from lipsync.faces.settings import CropSettings
from lipsync.training.settings import MouthBoxSettings


def mouth_boxes_from_landmarks(
    landmarks: np.ndarray,
    face_boxes: np.ndarray,
    frame_size: tuple[int, int],
    crop: CropSettings,
    size: int,
    box: MouthBoxSettings,
) -> np.ndarray:
    """float32 (N, 4) mouth boxes in crop pixels.

    landmarks: (N, 5, 2) video pixels (eyes, nose, mouth corners); face_boxes: (N, 4) video
    pixels, the boxes the crops were cut around; frame_size: (width, height) of the video
    frames; size: crop side S in pixels. With w the corner distance, the box spans the
    corners widened by ``margin`` x w, from ``above`` x w above to ``below`` x w below their line.
    """
    out = np.zeros((len(landmarks), 4), dtype=np.float32)
    for n, (points, face) in enumerate(zip(landmarks, face_boxes, strict=True)):
        x0, y0, x1, _ = crop_box(face, frame_size[0], frame_size[1], crop)
        corners = (points[3:5] - np.array([x0, y0], dtype=np.float64)) * (size / (x1 - x0))  # (2, 2) crop px
        width = float(np.linalg.norm(corners[1] - corners[0]))
        line = float(corners[:, 1].mean())
        out[n] = (
            corners[:, 0].min() - box.margin * width,
            line - box.above * width,
            corners[:, 0].max() + box.margin * width,
            line + box.below * width,
        )
    return out


def box_mask(boxes: np.ndarray | Tensor, size: int) -> Tensor:
    """float (N, 1, S, S): 1 on the pixels whose centres fall inside each box (clipped to the crop)."""
    boxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32))  # (N, 4)
    centres = torch.arange(size, dtype=torch.float32) + 0.5  # (S,)
    inside_x = (centres >= boxes[:, 0:1]) & (centres < boxes[:, 2:3])  # (N, S)
    inside_y = (centres >= boxes[:, 1:2]) & (centres < boxes[:, 3:4])  # (N, S)
    return (inside_y[:, :, None] & inside_x[:, None, :]).float()[:, None]  # (N, 1, S, S)


def mouth_l1(faces: Tensor, target: Tensor, boxes: np.ndarray | Tensor) -> Tensor:
    """Mean absolute error inside each frame's mouth box: (N,) in the units of the images.

    faces, target: float (N, 3, S, S), values in [0, 1]; boxes: (N, 4) crop pixels. A box
    with no pixel inside the crop gives NaN for its frame.
    """
    mask = box_mask(boxes, faces.shape[-1]).to(faces.device)  # (N, 1, S, S)
    error = ((faces - target).abs() * mask).sum(dim=(1, 2, 3))  # (N,)
    pixels = mask.sum(dim=(1, 2, 3)) * faces.shape[1]  # (N,)
    return torch.where(pixels > 0, error / pixels.clamp(min=1.0), torch.full_like(error, math.nan))
