"""Tracking versus per-frame detection: speed, agreement and steadiness, for the faces stage's targets.

The stage promises to be several times faster than running the full MTCNN cascade on every
frame while giving nearly the same boxes, a box that holds still on a still face, and one that
does not trail a moving face; this measures each on the caller's frames.
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


def tracking_lag(frames: np.ndarray, speed: float, settings: FacesSettings) -> dict:
    """How far the tracked box trails a face sliding right then back (``synthetic.sliding_face_clip``).

    frames: uint8 (T, H, W, 3), the face moving ``speed`` px per frame right for T // 2 frames,
    then left. Per frame, the x offset from the tracked box centre to a reference centre; over the
    frames of each direction (leaving out those within half a smoothing window of the ends and of
    the turn), lag = (mean going right - mean going left) / 2, positive when the box trails
    behind, and offset = the mean of the two (a constant difference, not a lag). Two references:
    ``vs_detections``, the best-scored per-frame MTCNN detection (the tracker's whole lag), and
    ``vs_measured``, the tracker's own boxes before smoothing (the smoothing's lag alone).
    Each gives lag_px, lag_frames (= lag_px / speed) and offset_px.
    """
    tracks = track_faces(frames, settings.tracker, settings.detector)
    detections = detect_faces(frames, settings.detector)
    best = np.array([d.boxes[int(d.scores.argmax())] if len(d.scores) else [np.nan] * 4 for d in detections])
    half, margin = len(frames) // 2, settings.tracker.smooth_window // 2 + 1
    going = [slice(margin, half - margin), slice(half + margin, len(frames) - margin)]
    result = {"speed_px_per_frame": speed}
    for name, reference in (("vs_detections", best), ("vs_measured", tracks.measured)):
        offset = (reference[:, 0] + reference[:, 2] - tracks.boxes[:, 0] - tracks.boxes[:, 2]) / 2  # (T,) px
        right, left = (float(np.nanmean(offset[part])) for part in going)
        lag = (right - left) / 2
        result[name] = {"lag_px": lag, "lag_frames": lag / speed, "offset_px": (right + left) / 2}
    return result
