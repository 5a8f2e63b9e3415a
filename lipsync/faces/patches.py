"""Working frames and the network-input patches cut from them.

Frames stay uint8 (N, h, w, 3) after an optional area downscale: the tracker only needs a
48x48 patch per face per frame, cut from a float copy of only the pixels it covers, so whole
frames are never turned into float tensors.
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
    """Normalised crops (K, 3, side, side), channels-last, of float boxes (K, 4) in frames ``frame_index`` (K,).

    Sampled as the wheel samples them (``tf.image.crop_and_resize`` on the whole frame, box
    coordinates divided by the frame's width and height): a side x side grid of plain bilinear
    samples from x0 (W - 1) / W to x1 (W - 1) / W (likewise in y), no area averaging however
    large the face, and a grid row or column outside [0, W - 1] reads 0 after normalisation
    (mid-grey 127.5, not black). Interpolation runs on float pixels: rounding the samples to
    uint8 moves boxes by several pixels through the cascade. One cv2 call per box, on a float copy
    of just the pixels its grid covers.
    """
    n, h, w = work.images.shape[:3]
    extent = np.array([w, h, w, h], dtype=np.float64)
    grid = boxes.double().numpy() * ((extent - 1) / extent)  # (K, 4) first and last sample, per axis
    step = (grid[:, 2:] - grid[:, :2]) / (side - 1)  # (K, 2)
    samples = grid[:, None, :2] + np.arange(side)[None, :, None] * step[:, None, :]  # (K, side, 2) x, y
    inside = (samples >= 0) & (samples <= extent[:2] - 1)
    low = np.clip(np.floor(samples.min(axis=1)), 0, extent[:2] - 1).astype(int)  # (K, 2) pixels covered
    high = np.clip(np.ceil(samples.max(axis=1)), 0, extent[:2] - 1).astype(int)
    crops = np.empty((len(grid), side, side, 3), dtype=np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    for k, i in enumerate(frame_index.tolist()):
        (x0, y0), (x1, y1) = low[k], high[k]
        pixels = work.images[i, y0 : y1 + 1, x0 : x1 + 1].astype(np.float32)
        inverse = np.float32([[step[k, 0], 0, grid[k, 0] - x0], [0, step[k, 1], grid[k, 1] - y0]])
        # samples outside the frame read the replicated edge here, then are zeroed below
        cv2.warpAffine(pixels, inverse, (side, side), dst=crops[k], flags=flags, borderMode=cv2.BORDER_REPLICATE)
    crops = normalise(torch.from_numpy(crops))
    crops *= torch.from_numpy(inside[:, :, None, 1] & inside[:, None, :, 0])[..., None]
    return crops.permute(0, 3, 1, 2).to(dtype)
