"""Score a generator on held-out windows: mouth L1 against a copy baseline, and sync.

- mouth_l1: L1 (values in [0, 1]) inside each target frame's mouth box between the
  generated frame and the truth; copy_l1: the same for the trivial answer, the reference
  frame the generator was given; mouth_l1_ratio = mouth_l1 / copy_l1 (target <= 0.8).
- sync_loss_generated / sync_loss_truth: the frozen expert's -log P(sync) on generated and
  on real windows with their audio; sync_loss_ratio (target <= 1.5).
- a sample grid: one row per window, its reference, generated and real frame side by side,
  under a header that names the columns (:func:`sample_grid`).

``copy_l1``, ``sync_loss_truth`` and ``windows`` do not depend on the generator: they stay the
same all run (:data:`CONSTANT_METRICS`), so trackers log them once rather than as curves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lipsync.data.shards import Sample
from lipsync.faces.settings import CropSettings
from lipsync.models import SyncNet, lower_half_stack, sync_probability
from lipsync.training.data import collate_generator
from lipsync.training.mouth import mouth_boxes_from_landmarks, mouth_l1
from lipsync.training.settings import DataSettings, MouthBoxSettings
from lipsync.training.windows import WindowGeometry, generator_windows

CONSTANT_METRICS = frozenset({"copy_l1", "sync_loss_truth", "windows"})
GRID_COLUMNS = ("reference", "generated", "real")
FrameSize = Callable[[str], tuple[int, int]]  # video id -> (width, height) of its frames
Generate = Callable[[Tensor, Tensor, Tensor], Tensor]  # target, reference, mel -> faces, (B, 3, T, S, S)


@dataclass(frozen=True)
class GeneratorEvalSet:
    """Fixed windows (:func:`lipsync.training.windows.generator_window` dicts) and their videos."""

    windows: list[dict]
    video_ids: list[str]

    def batches(self, size: int) -> Iterator[tuple[int, dict[str, Tensor]]]:
        """(index of the first window, collated batch) over the set, in order."""
        for first in range(0, len(self.windows), size):
            yield first, collate_generator(self.windows[first : first + size])


def generator_eval_set(
    segments: list[Sample], geometry: WindowGeometry, data: DataSettings, count: int, seed: int
) -> GeneratorEvalSet:
    """``count`` windows spread evenly over ``segments`` (fewer if they hold fewer), fixed seed."""
    rng = np.random.default_rng(seed)
    per_segment = -(-count // max(1, len(segments)))
    windows, videos = [], []
    for segment in segments:
        found = generator_windows(segment, geometry, data, rng, per_segment)
        windows += found
        videos += [segment.meta["video_id"]] * len(found)
    return GeneratorEvalSet(windows[:count], videos[:count])


class LandmarkMouthBoxes:
    """Fallback: eval set -> float32 (N, T, 4) crop-pixel mouth boxes from stored landmarks.

    frame_size(video_id) -> (width, height) of that video's frames.
    """

    def __init__(self, frame_size: FrameSize, crop: CropSettings, size: int, box: MouthBoxSettings) -> None:
        self.frame_size, self.crop, self.size, self.box = frame_size, crop, size, box

    def __call__(self, eval_set: GeneratorEvalSet) -> np.ndarray:
        boxes = [
            mouth_boxes_from_landmarks(w["landmarks"], w["boxes"], self.frame_size(v), self.crop, self.size, self.box)
            for w, v in zip(eval_set.windows, eval_set.video_ids, strict=True)
        ]
        return np.stack(boxes)  # (N, T, 4)


def frames_of(windows: Tensor) -> Tensor:
    """(B, C, T, H, W) -> (B*T, C, H, W), window-major."""
    return windows.transpose(1, 2).flatten(0, 1)


def sync_nll_sum(expert: SyncNet, faces: Tensor, sync_mel: Tensor) -> float:
    """Sum over windows of the expert's -log P(sync): faces (B, 3, T, S, S), sync_mel (B, 1, 80, 16)."""
    audio, face = expert(sync_mel, lower_half_stack(faces))
    p = sync_probability(audio, face)
    return float(F.binary_cross_entropy(p, torch.ones_like(p), reduction="sum"))


def sample_grid(generated: Tensor, truth: Tensor, reference: Tensor, scale: int = 2) -> np.ndarray:
    """uint8 (H, W, 3) RGB: a header naming the columns ("reference", "generated", "real"),
    then one row per window with those three frames at the window's middle frame, each
    enlarged ``scale`` times (nearest neighbour) and 2 px apart.

    generated, truth, reference: float (R, 3, T, S, S) in [0, 1]. The figure stays close to
    square (3 columns, R rows), so MLflow's 256-px thumbnail of it is still readable.
    """
    middle = generated.shape[2] // 2
    tiles = torch.stack([reference[:, :, middle], generated[:, :, middle], truth[:, :, middle]], dim=1)  # (R,3,3,S,S)
    tiles = (tiles.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 1, 3, 4, 2).cpu().numpy()  # (R, 3, S, S, 3)
    rows, columns, size = tiles.shape[0], tiles.shape[1], tiles.shape[2] * scale
    gap, header = 2, max(16, size // 4)
    grid = np.full((header + rows * (size + gap), columns * (size + gap) - gap, 3), 24, np.uint8)
    for r in range(rows):
        for c in range(columns):
            y, x = header + r * (size + gap), c * (size + gap)
            grid[y : y + size, x : x + size] = np.repeat(np.repeat(tiles[r, c], scale, axis=0), scale, axis=1)
    for c, label in enumerate(GRID_COLUMNS):
        _label(grid, label, x=c * (size + gap), width=size, height=header)
    return grid


def _label(image: np.ndarray, text: str, x: int, width: int, height: int) -> None:
    """Write ``text`` centred in the box (x, 0, width, height) of ``image``, white on the dark header."""
    font, thickness = cv2.FONT_HERSHEY_SIMPLEX, max(1, height // 16)
    scale = 0.6 * height / cv2.getTextSize(text, font, 1.0, thickness)[0][1]
    (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    if w > 0.9 * width:
        scale *= 0.9 * width / w
        (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = (x + (width - w) // 2, (height + h) // 2)
    cv2.putText(image, text, origin, font, scale, (255, 255, 255), thickness, cv2.LINE_AA)


@torch.no_grad()
def evaluate_generator(
    generate: Generate,
    expert: SyncNet,
    eval_set: GeneratorEvalSet,
    mouth_boxes: np.ndarray,
    batch: int,
    grid_windows: int,
    device: torch.device,
) -> tuple[dict[str, float], np.ndarray]:
    """Metrics of the module docstring, and the sample grid of the first ``grid_windows`` windows.

    generate(target, reference, mel) -> faces: the generator under test, in eval mode.
    mouth_boxes: (N, T, 4) crop pixels, one box per target frame of each window.
    """
    sums = {"mouth": 0.0, "copy": 0.0, "sync_generated": 0.0, "sync_truth": 0.0}
    frames = 0
    grid_rows: list[tuple[Tensor, Tensor, Tensor]] = []
    for first, chunk in eval_set.batches(batch):
        chunk = {k: v.to(device) for k, v in chunk.items()}
        target, reference = chunk["target"], chunk["reference"]
        faces = generate(target, reference, chunk["mel"])  # (B, 3, T, S, S)
        boxes = mouth_boxes[first : first + len(target)].reshape(-1, 4)  # (B*T, 4)
        sums["mouth"] += float(mouth_l1(frames_of(faces), frames_of(target), boxes).sum())
        sums["copy"] += float(mouth_l1(frames_of(reference), frames_of(target), boxes).sum())
        sums["sync_generated"] += sync_nll_sum(expert, faces, chunk["sync_mel"])
        sums["sync_truth"] += sync_nll_sum(expert, target, chunk["sync_mel"])
        frames += boxes.shape[0]
        if first < grid_windows:
            keep = grid_windows - first
            grid_rows.append((faces[:keep], target[:keep], reference[:keep]))
    windows = len(eval_set.windows)
    metrics = {
        "mouth_l1": sums["mouth"] / frames,
        "copy_l1": sums["copy"] / frames,
        "sync_loss_generated": sums["sync_generated"] / windows,
        "sync_loss_truth": sums["sync_truth"] / windows,
        "windows": float(windows),
    }
    metrics["mouth_l1_ratio"] = metrics["mouth_l1"] / max(metrics["copy_l1"], 1e-12)
    metrics["sync_loss_ratio"] = metrics["sync_loss_generated"] / max(metrics["sync_loss_truth"], 1e-12)
    generated, truth, references = (torch.cat(part) for part in zip(*grid_rows, strict=True))
    grid = sample_grid(generated, truth, references)
    return metrics, grid
