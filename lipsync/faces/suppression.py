"""Overlap suppression (NMS) as the ``mtcnn`` package does it, which is not torchvision's greedy NMS.

Two facts of the reference implementation (read from ``mtcnn/utils/bboxes.py``, 1.0.0) that
change which boxes survive, hence the final boxes:

- a box is dropped when *any* higher-scored box of its frame overlaps it by more than the
  threshold, including a box that was itself dropped (greedy NMS only lets kept boxes
  suppress); so a chain of overlapping proposals keeps only its head;
- the overlap is intersection over union ("union") or intersection over the smaller box
  ("min", used after O-Net so that a box nested in a bigger face box goes); areas are
  ``(x1 - x0) * (y1 - y0)``, without the +1 of the original Caffe code.

Order: candidates are ranked by a reversed ascending numpy sort of the scores, as the package
ranks them, so ties break the same way on identical scores.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

Overlap = Literal["union", "min"]


def rank(scores: torch.Tensor) -> torch.Tensor:
    """Indices ordering float (K,) scores from the highest, ties as the package breaks them."""
    return torch.from_numpy(np.argsort(scores.numpy())[::-1].copy())


def overlaps(boxes: torch.Tensor, method: Overlap) -> torch.Tensor:
    """Pairwise overlap (K, K) of float boxes (K, 4) x0, y0, x1, y1."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # (K,)
    low = torch.maximum(boxes[:, None, :2], boxes[None, :, :2])  # (K, K, 2)
    high = torch.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = (high - low).clamp(min=0).prod(dim=2)  # (K, K)
    if method == "union":
        return inter / (area[:, None] + area[None, :] - inter)
    return inter / torch.minimum(area[:, None], area[None, :])


def suppress(
    boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, threshold: float, method: Overlap
) -> torch.Tensor:
    """Indices of the boxes kept, per group (frame), highest score first within each group.

    boxes float (K, 4), scores float (K,), groups int (K,): boxes only suppress boxes of their group.
    """
    order = rank(scores)
    kept = []
    for group in torch.unique(groups).tolist():
        mine = order[groups[order] == group]  # this frame's boxes, best first
        if len(mine) > 1:
            beaten = overlaps(boxes[mine], method).triu(diagonal=1) > threshold  # [i, j]: i ranks above j
            mine = mine[~beaten.any(dim=0)]
        kept.append(mine)
    return torch.cat(kept) if kept else torch.zeros(0, dtype=torch.long)
