"""Batched MTCNN face detection and O-Net refinement of given boxes.

``detect_faces`` runs the full cascade over a batch of frames at once: every pyramid level is
one P-Net call over all N frames, R-Net and O-Net see the candidates of all frames in one
batch, and overlap suppression runs per frame. ``refine_faces`` runs
only O-Net on boxes the caller already has (the tracker's proposals for the next frame):
a fraction of the cascade's cost, and what gives landmarks on every frame.

Boxes are ``(x0, y0, x1, y1)`` in frame pixels, as MTCNN reports them (width = x1 - x0).
Landmarks are ``(5, 2)`` (x, y) in frame pixels: left eye, right eye, nose, mouth left, mouth
right ("left" as seen in the image: the subject's right eye).

The cascade reproduces the ``mtcnn`` package (1.0.0) step for step, because each stage regresses
the box the previous one proposed and small differences compound (tested against the
package's own outputs in ``tests/faces/test_mtcnn_reference.py``): its pyramid (scale count,
truncated level sizes, area resize of the float image), its P-Net box arithmetic (nominal
scale), its suppression (``suppression``: "union" after P-Net and R-Net, "min" after O-Net),
squares after P-Net and R-Net, and its patch sampling (``patches.cut_patches``). Unlike the
package, boxes are not clipped to the frame (a face cut by the border keeps its whole box).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from lipsync.faces.mtcnn import load_mtcnn, normalise
from lipsync.faces.patches import WorkFrames, cut_patches, prepare_frames, square
from lipsync.faces.settings import DetectorSettings
from lipsync.faces.suppression import suppress

PNET_CELL, PNET_STRIDE = 12, 2


@dataclass(frozen=True)
class Detections:
    """Faces found in one frame: boxes float32 (K, 4), scores float32 (K,), landmarks float32 (K, 5, 2).

    proposals: float32 (K, 4), the square boxes O-Net measured to give ``boxes`` (R-Net's output,
    squared): O-Net on the same frame and proposal gives the same box again, which is what lets the
    tracker hold a still face exactly still.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray
    proposals: np.ndarray


@functools.lru_cache(maxsize=2)
def _nets(precision: str) -> tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module]:
    """P-Net (always float32: it sees whole frames), R-Net and O-Net in ``precision``, channels-last."""
    mtcnn = load_mtcnn()
    dtype = getattr(torch, precision)
    rnet, onet = (_copy(net).to(dtype, memory_format=torch.channels_last) for net in (mtcnn.rnet, mtcnn.onet))
    return mtcnn.pnet, rnet, onet


def _copy(net: torch.nn.Module) -> torch.nn.Module:
    clone = type(net)()
    clone.load_state_dict(net.state_dict())
    return clone.eval().requires_grad_(False)


def _regress(boxes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Apply MTCNN box regression: offsets are fractions of (side + 1), as the wheel does."""
    size = boxes[:, 2:] - boxes[:, :2] + 1
    return boxes + offsets * size.repeat(1, 2)


def pyramid(height: int, width: int, min_face: float, factor: float) -> list[tuple[float, int, int]]:
    """P-Net's levels as the package builds them: (scale, level height, level width) per level.

    Scales start at 12 / min_face (a min_face face becomes P-Net's 12 px window) and shrink by
    ``factor``; their count is round(log(min_side / 12) / -log(factor) - 1), whatever min_face is.
    Level sizes are truncated (``tf.image.resize`` casts the float size to int). Levels smaller
    than 12 px, which the package reaches only with min_face above its default 20 and where
    P-Net has no window, are left out.
    """
    count = round(-(np.log(min(height, width) / PNET_CELL) / np.log(factor) + 1))
    scales = PNET_CELL / min_face * factor ** np.arange(max(count, 0))
    levels = [(float(s), int(height * s), int(width * s)) for s in scales]
    return [level for level in levels if min(level[1:]) >= PNET_CELL]


def _levels(work: WorkFrames, min_face: float, factor: float) -> list[tuple[float, torch.Tensor]]:
    """Normalised pyramid levels float32 (N, 3, h', w') (channels-last) with their scales.

    Each level is an exact area resize of the float frame (cv2.INTER_AREA on float32 equals
    ``tf.image.resize(..., AREA)``), not of a uint8 one: no rounding to integer grey levels.
    Frames are converted to float one at a time, into one reused buffer.
    """
    n, h, w = work.images.shape[:3]
    levels = pyramid(h, w, min_face, factor)
    out = [np.empty((n, hs, ws, 3), dtype=np.float32) for _, hs, ws in levels]
    frame = np.empty((h, w, 3), dtype=np.float32)
    for i, image in enumerate(work.images):
        np.copyto(frame, image)
        for (_, hs, ws), level in zip(levels, out, strict=True):
            cv2.resize(frame, (ws, hs), dst=level[i], interpolation=cv2.INTER_AREA)
    return [
        (scale, normalise(torch.from_numpy(level)).permute(0, 3, 1, 2))
        for (scale, _, _), level in zip(levels, out, strict=True)
    ]


def _propose(work: WorkFrames, settings: DetectorSettings) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """P-Net over the pyramid: candidate boxes (K, 4) working px, scores (K,), frame index (K,).

    A cell (x, y) of a level proposes the window from 2 (x, y) + 1 to 2 (x, y) + 12 plus its
    regression x 11, divided by the level's nominal scale (not by its truncated size ratio).
    """
    pnet = _nets(settings.precision)[0]
    found = []
    for scale, level in _levels(work, settings.min_face_size * min(work.scale), settings.scale_factor):
        offsets, prob = pnet(level)  # (N, 4, h', w'), (N, h', w')
        index, ys, xs = torch.nonzero(prob > settings.thresholds[0], as_tuple=True)
        if index.numel() == 0:
            continue
        corner = torch.stack([xs, ys], dim=1).float() * PNET_STRIDE + 1
        cells = torch.cat([corner, corner + PNET_CELL - 1], dim=1)
        boxes = (cells + offsets[index, :, ys, xs] * (PNET_CELL - 1)) / scale
        scores = prob[index, ys, xs]
        keep = suppress(boxes, scores, index, settings.nms_thresholds[0], "union")
        found.append((boxes[keep], scores[keep], index[keep]))
    if not found:
        return torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.long)
    boxes, scores, index = (torch.cat(parts) for parts in zip(*found, strict=True))
    keep = suppress(boxes, scores, index, settings.nms_thresholds[1], "union")
    return boxes[keep], scores[keep], index[keep]


def _refine_rnet(work, boxes, index, settings: DetectorSettings):
    rnet = _nets(settings.precision)[1]
    boxes = square(boxes)
    offsets, prob = rnet(cut_patches(work, boxes, index, 24, next(rnet.parameters()).dtype))
    keep = prob.float() > settings.thresholds[1]
    boxes, prob, index = _regress(boxes[keep], offsets[keep].float()), prob[keep].float(), index[keep]
    keep = suppress(boxes, prob, index, settings.nms_thresholds[2], "union")
    return boxes[keep], index[keep]


def run_onet(work: WorkFrames, boxes: torch.Tensor, index: torch.Tensor, precision: str):
    """O-Net on square-ified working-pixel boxes (K, 4) of frames ``index`` (K,).

    Returns boxes (K, 4) and landmarks (K, 5, 2) in working pixels, face probability (K,).
    """
    onet = _nets(precision)[2]
    boxes = square(boxes)
    offsets, marks, prob = (t.float() for t in onet(cut_patches(work, boxes, index, 48, next(onet.parameters()).dtype)))
    size = boxes[:, 2:] - boxes[:, :2] + 1  # (K, 2)
    landmarks = marks.view(-1, 2, 5).transpose(1, 2) * size[:, None] + boxes[:, None, :2] - 1  # (K, 5, 2)
    return _regress(boxes, offsets), landmarks, prob


@torch.inference_mode()
def detect_prepared(work: WorkFrames, settings: DetectorSettings) -> list[Detections]:
    """The full cascade on prepared frames; results in frame pixels, one Detections per frame."""
    boxes, _, index = _propose(work, settings)
    if index.numel():
        boxes, index = _refine_rnet(work, boxes, index, settings)
    proposals = square(boxes)
    if index.numel():
        boxes, landmarks, prob = run_onet(work, proposals, index, settings.precision)
        keep = prob > settings.thresholds[2]
        boxes, landmarks, prob, index, proposals = (t[keep] for t in (boxes, landmarks, prob, index, proposals))
        keep = suppress(boxes, prob, index, settings.nms_thresholds[3], "min")
        boxes, landmarks, prob, index, proposals = (t[keep] for t in (boxes, landmarks, prob, index, proposals))
    else:
        landmarks, prob = torch.zeros(0, 5, 2), torch.zeros(0)
    boxes, proposals = work.to_frame(boxes), work.to_frame(proposals)
    landmarks = work.to_frame(landmarks.reshape(-1, 10)).view(-1, 5, 2)
    result = []
    for i in range(len(work.images)):
        mine = index == i
        result.append(
            Detections(boxes[mine].numpy(), prob[mine].numpy(), landmarks[mine].numpy(), proposals[mine].numpy())
        )
    return result


def detect_faces(images: np.ndarray, settings: DetectorSettings) -> list[Detections]:
    """Full MTCNN cascade on uint8 (N, H, W, 3) RGB frames, batched; one Detections per frame."""
    return detect_prepared(prepare_frames(images, settings.max_side), settings)


@torch.inference_mode()
def refine_faces(
    images: np.ndarray, boxes: np.ndarray, settings: DetectorSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O-Net only, on one box per frame: images uint8 (N, H, W, 3) RGB, boxes float (N, 4) frame px.

    Returns refined boxes float32 (N, 4), face probabilities float32 (N,), landmarks float32
    (N, 5, 2), all in frame pixels. Boxes are square-ified around their centres first.
    """
    work = prepare_frames(images, settings.max_side)
    start = work.to_work(torch.as_tensor(boxes, dtype=torch.float32))
    index = torch.arange(len(images))
    refined, landmarks, prob = run_onet(work, start, index, settings.precision)
    landmarks = work.to_frame(landmarks.reshape(-1, 10)).view(-1, 5, 2)
    return work.to_frame(refined).numpy(), prob.numpy(), landmarks.numpy()
