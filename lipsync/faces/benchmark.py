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


def still_face_movement(frame: np.ndarray, length: int, settings: FacesSettings) -> float:
    """How far the tracked box moves (px) over ``length`` identical copies of uint8 (H, W, 3) ``frame``.

    The largest range, over the clip, of any of the four corners; NaN if no face is tracked.
    """
    tracks = track_faces(np.repeat(frame[None], length, axis=0), settings.tracker, settings.detector)
    boxes = tracks.boxes[tracks.present]
    return float((boxes.max(axis=0) - boxes.min(axis=0)).max()) if len(boxes) else float("nan")


def tracking_lag(frames: np.ndarray, speed: float, settings: FacesSettings) -> dict[str, float]:
    """Lag of the tracked (smoothed) box behind per-frame detections on a face sliding along x.

    frames: uint8 (T, H, W, 3), a face moving ``speed`` px per frame to the right (see
    ``synthetic.sliding_face_clip``). The lag is the mean, over frames where both exist, of the
    x distance from the tracked box centre to the centre of the best-scored per-frame detection:
    ``lag_px`` (positive: the tracked box trails behind) and ``lag_frames`` = lag_px / speed.
    On a still face the two boxes are the same (the tracker gives O-Net the detector's proposal),
    so what remains at speed is the tracker's lag, plus per-frame noise that averages out.
    """
    tracks = track_faces(frames, settings.tracker, settings.detector)
    detections = detect_faces(frames, settings.detector)
    offsets = []
    for box, found in zip(tracks.boxes, detections, strict=True):
        if not np.isnan(box).any() and len(found.scores):
            best = found.boxes[int(found.scores.argmax())]
            offsets.append((best[0] + best[2] - box[0] - box[2]) / 2)
    lag = float(np.mean(offsets)) if offsets else float("nan")
    return {
        "speed_px_per_frame": speed,
        "frames_compared": float(len(offsets)),
        "lag_px": lag,
        "lag_frames": lag / speed,
    }
