"""Working frames and the network-input patches cut from them.

Frames stay uint8 (N, h, w, 3) after an optional area downscale: the tracker only needs a
48x48 patch per face per frame, and cutting it with one small cv2 call is cheaper than turning
whole frames into float tensors for torchvision's roi_align (measured: 3x on 256 px video).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from lipsync.faces.mtcnn import normalise


@dataclass(frozen=True)
class WorkFrames:
    """Frames as the networks see them: uint8 (N, h, w, 3) RGB with max(h, w) <= max_side.

    scale: (sx, sy), working pixels per frame pixel (<= 1). Kept as uint8: O-Net crops are cut
    per box, so the tracker never converts whole frames to float.
    """

    images: np.ndarray
    scale: tuple[float, float]

    def to_frame(self, xy: torch.Tensor) -> torch.Tensor:
        """(..., 2k) interleaved x, y working coordinates -> frame pixels."""
        sx, sy = self.scale
        return xy / xy.new_tensor([sx, sy] * (xy.shape[-1] // 2))

    def to_work(self, xy: torch.Tensor) -> torch.Tensor:
        sx, sy = self.scale
        return xy * xy.new_tensor([sx, sy] * (xy.shape[-1] // 2))


def shrunk_size(frame_h: int, frame_w: int, max_side: int) -> tuple[int, int]:
    """(h, w) of a frame area-downscaled so that its longer side is at most max_side."""
    factor = min(1.0, max_side / max(frame_h, frame_w))
    return max(1, round(frame_h * factor)), max(1, round(frame_w * factor))


def shrink_into(frame: np.ndarray, out: np.ndarray) -> None:
    """Write uint8 (H, W, 3) ``frame`` into ``out`` (h, w, 3), area-downscaled if smaller."""
    if out.shape == frame.shape:
        out[...] = frame
    else:
        cv2.resize(frame, (out.shape[1], out.shape[0]), dst=out, interpolation=cv2.INTER_AREA)


def work_frames(images: np.ndarray, frame_h: int, frame_w: int) -> WorkFrames:
    """WorkFrames from already shrunk uint8 (N, h, w, 3) frames of an (frame_h, frame_w) video."""
    return WorkFrames(images, (images.shape[2] / frame_w, images.shape[1] / frame_h))


def prepare_frames(images: np.ndarray, max_side: int) -> WorkFrames:
    """uint8 (N, H, W, 3) RGB -> WorkFrames, area-downscaled so that max(h, w) <= max_side."""
    frame_h, frame_w = images.shape[1:3]
    h, w = shrunk_size(frame_h, frame_w, max_side)
    if (h, w) == (frame_h, frame_w):
        return work_frames(np.ascontiguousarray(images), frame_h, frame_w)
    shrunk = np.empty((len(images), h, w, 3), dtype=np.uint8)
    for image, out in zip(images, shrunk, strict=True):
        shrink_into(image, out)
    return work_frames(shrunk, frame_h, frame_w)


def square(boxes: torch.Tensor) -> torch.Tensor:
    """(K, 4) boxes -> squares of side max(w, h) with the same centres."""
    size = boxes[:, 2:] - boxes[:, :2]
    centre = boxes[:, :2] + size / 2
    half = size.max(dim=1, keepdim=True).values / 2
    return torch.cat([centre - half, centre + half], dim=1)


def cut_patches(work: WorkFrames, boxes: torch.Tensor, frame_index: torch.Tensor, side: int, dtype) -> torch.Tensor:
    """Normalised crops (K, 3, side, side), channels-last, sampled on a grid from (x0, y0) to (x1, y1).

    The grid matches tf.image.crop_and_resize as the wheel uses it; each output pixel averages
    up to 4x4 bilinear samples (like the original MTCNN's area resize), so large faces do not
    alias. Outside the frame reads black. One small cv2 call per box: cheaper than converting
    whole frames to float for torchvision's roi_align.
    """
    crops = np.empty((len(boxes), side, side, 3), dtype=np.uint8)
    for k, ((x0, y0, x1, y1), i) in enumerate(zip(boxes.tolist(), frame_index.tolist(), strict=True)):
        step_x, step_y = max(x1 - x0, 1e-3) / (side - 1), max(y1 - y0, 1e-3) / (side - 1)
        fine = int(min(4, max(1, step_x, step_y)))
        fx, fy = step_x / fine, step_y / fine
        inverse = np.float32([[fx, 0, x0 - (fine - 1) / 2 * fx], [0, fy, y0 - (fine - 1) / 2 * fy]])
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        sample = cv2.warpAffine(work.images[i], inverse, (side * fine, side * fine), flags=flags)
        crops[k] = sample if fine == 1 else cv2.resize(sample, (side, side), interpolation=cv2.INTER_AREA)
    return normalise(torch.from_numpy(crops).permute(0, 3, 1, 2).to(dtype))
