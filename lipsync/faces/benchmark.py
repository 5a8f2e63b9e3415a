"""Tracking versus per-frame detection: speed and agreement, for the faces stage's targets.

The stage promises to be several times faster than running the full MTCNN cascade on every
frame while giving nearly the same boxes; this measures both on the caller's frames.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torchvision.ops import box_iou

from lipsync.faces.detect import detect_faces
from lipsync.faces.settings import FacesSettings
from lipsync.faces.track import track_faces


def benchmark_tracking(frames: np.ndarray, settings: FacesSettings) -> dict[str, float]:
    """Time ``track_faces`` and per-frame ``detect_faces`` on uint8 (T, H, W, 3) RGB frames.

    Per-frame detection runs in batches of ``tracker.batch`` frames. ``mean_iou`` compares
    the tracked box with the best-overlapping detection on each frame where both exist;
    ``frames_missed`` counts tracked frames with no detection at all (IoU 0, not averaged).
    Times are wall-clock seconds with the caller's torch thread count.
    """
    track_faces(frames[: settings.tracker.detect_every], settings.tracker, settings.detector)  # warm-up
    start = time.perf_counter()
    tracks = track_faces(frames, settings.tracker, settings.detector)
    track_s = time.perf_counter() - start

    start = time.perf_counter()
    detections = []
    for first in range(0, len(frames), settings.tracker.batch):
        detections += detect_faces(frames[first : first + settings.tracker.batch], settings.detector)
    detect_s = time.perf_counter() - start

    ious, missed = [], 0
    for box, found in zip(tracks.boxes, detections, strict=True):
        if np.isnan(box).any():
            continue
        if len(found.scores) == 0:
            missed += 1
            continue
        ious.append(float(box_iou(torch.from_numpy(box[None]), torch.from_numpy(found.boxes)).max()))
    return {
        "frames": float(len(frames)),
        "track_s": track_s,
        "track_fps": len(frames) / track_s,
        "detect_s": detect_s,
        "detect_fps": len(frames) / detect_s,
        "speedup": detect_s / track_s,
        "mean_iou": float(np.mean(ious)) if ious else float("nan"),
        "frames_compared": float(len(ious)),
        "frames_missed": float(missed),
        "frames_present": float(tracks.present.sum()),
        "detections_run": float(tracks.detections_run),
    }
