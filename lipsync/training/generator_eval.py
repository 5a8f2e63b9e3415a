"""Score a generator on held-out windows: mouth L1 against a copy baseline, and sync.

- mouth_l1: L1 (values in [0, 1]) inside each target frame's mouth box between the
  generated frame and the truth; copy_l1: the same for the trivial answer, the reference
  frame the generator was given; mouth_l1_ratio = mouth_l1 / copy_l1 (target <= 0.8).
- sync_loss_generated / sync_loss_truth: the frozen expert's -log P(sync) on generated and
  on real windows with their audio; sync_loss_ratio (target <= 1.5).
- a sample grid: one row per window, the generated frames then the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

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


def sample_grid(generated: Tensor, truth: Tensor) -> np.ndarray:
    """uint8 (R*S, 2*T*S, 3) RGB: per row one window, its T generated frames then the T real ones.

    generated, truth: float (R, 3, T, S, S) in [0, 1].
    """
    both = torch.cat([generated, truth], dim=2)  # (R, 3, 2T, S, S)
    rows = both.permute(0, 3, 2, 4, 1).flatten(2, 3)  # (R, S, 2T*S, 3)
    return (rows.flatten(0, 1).clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


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
    grid_rows: list[tuple[Tensor, Tensor]] = []
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
            grid_rows.append((faces[: grid_windows - first], target[: grid_windows - first]))
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
    grid = sample_grid(torch.cat([g for g, _ in grid_rows]), torch.cat([t for _, t in grid_rows]))
    return metrics, grid
