"""Timing of sync windows, and the generator's training windows (pure numpy).

Timing convention (the project's, :func:`lipsync.audio.mel.mel_start_index`): the audio of
the 5-frame window that starts at absolute video frame ``f`` is the 16 mel frames from
``int(80 * f / fps)``; a sample starting at frame ``s`` stores mel frames from
``mel_start = int(80 * s / fps)``, so relative frame ``i`` reads its window from
``int(80 * (s + i) / fps) - mel_start``. The generator's per-frame audio uses the same rule
(frame ``f`` is conditioned on the window starting at ``f``), so inference must too.

Frames come in as uint8 (T, S, S, 3) RGB; views keep uint8 until batching.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.audio.mel import MelSettings, mel_start_index
from lipsync.data.shards import Sample
from lipsync.training.augment import augment_window
from lipsync.training.settings import DataSettings


@dataclass(frozen=True)
class WindowGeometry:
    """frames: video frames per sync window (5); mel_frames: mel frames per window (16);
    mel: the mel settings (their frames per second fix the timing)."""

    frames: int
    mel_frames: int
    mel: MelSettings


def mel_offset(sample: Sample, frame: int, geometry: WindowGeometry) -> int:
    """Column of ``sample.mel`` where the window of relative video frame ``frame`` starts. The
    sample's sound starts at video frame ``meta['audio_start_frame']`` when the syncfilter stage
    realigned it (:func:`lipsync.evaluation.sync_filter.realign`), else at its first frame."""
    meta = sample.meta
    sound = meta.get("audio_start_frame", meta["start_frame"])
    return mel_start_index(sound + frame, meta["fps"], geometry.mel) - meta["mel_start"]


def mel_window(sample: Sample, frame: int, geometry: WindowGeometry) -> np.ndarray:
    """float32 (80, mel_frames) audio window of relative frame ``frame``; ValueError past the end."""
    start = mel_offset(sample, frame, geometry)
    window = sample.mel[:, start : start + geometry.mel_frames]
    if start < 0 or window.shape[1] != geometry.mel_frames:
        raise ValueError(f"sample {sample.key}: no full mel window for frame {frame} (mel {sample.mel.shape})")
    return window


def window_starts(sample: Sample, geometry: WindowGeometry, frames_needed: int) -> np.ndarray:
    """Relative frames i where ``frames_needed`` frames from i exist and every frame among the
    first ``frames_needed - frames + 1`` has its full mel window: int64 (K,), maybe empty."""
    count = sample.frames.shape[0]
    starts = []
    for i in range(count - frames_needed + 1):
        last = i + frames_needed - geometry.frames  # the last frame whose window is read
        if mel_offset(sample, last, geometry) + geometry.mel_frames <= sample.mel.shape[1]:
            starts.append(i)
    return np.asarray(starts, dtype=np.int64)


def is_silent(window: np.ndarray, level: float) -> bool:
    """A mel window (80, 16) is silent when its loudest bin is below ``level`` (normalised log-mel)."""
    return bool(window.max() < level)


def lower_faces(frames: np.ndarray) -> np.ndarray:
    """uint8 (T, S, S, 3) -> uint8 (3*T, S/2, S): lower halves stacked frame-major
    (frame 0's RGB first), the layout of :func:`lipsync.models.lower_half_stack`."""
    lower = frames[:, frames.shape[1] // 2 :]  # (T, S/2, S, 3)
    return np.ascontiguousarray(lower.transpose(0, 3, 1, 2).reshape(-1, *lower.shape[1:3]))


def reference_frames(count: int, target: int, geometry: WindowGeometry, data: DataSettings) -> np.ndarray:
    """Frames at least ``reference_gap`` away from every frame of the target window [target, target+5)."""
    frames = np.arange(count)
    far = (frames <= target - data.reference_gap) | (frames >= target + geometry.frames - 1 + data.reference_gap)
    return frames[far]


def generator_window(sample: Sample, t: int, reference: np.ndarray, geometry: WindowGeometry) -> dict:
    """Target window [t, t+5) with the given reference frames (int (5,)).

    Returns {'target', 'reference': uint8 (5, S, S, 3) RGB; 'mel': float32 (5, 1, 80, 16), one
    window per target frame; 'sync_mel': float32 (1, 80, 16), the window of the whole
    target (= frame t's); 'boxes': float32 (5, 4), 'landmarks': float32 (5, 5, 2) of the
    target frames, video pixels; 'frames': int64 (5,) their absolute video frame numbers}.
    """
    span = range(t, t + geometry.frames)
    mel = np.stack([mel_window(sample, f, geometry)[None] for f in span]).astype(np.float32)
    return {
        "target": sample.frames[t : t + geometry.frames],
        "reference": sample.frames[reference],
        "mel": mel,
        "sync_mel": mel[0],
        "boxes": sample.boxes[t : t + geometry.frames].astype(np.float32),
        "landmarks": sample.landmarks[t : t + geometry.frames].astype(np.float32),
        "frames": np.arange(t, t + geometry.frames, dtype=np.int64) + sample.meta["start_frame"],
    }


def generator_windows(
    sample: Sample, geometry: WindowGeometry, data: DataSettings, rng: np.random.Generator, count: int
) -> list[dict]:
    """Up to ``count`` :func:`generator_window` dicts with random targets and references.

    A target needs the mel windows of all its 5 frames (so the last 4 frames of a segment
    only serve as context) and at least one frame ``reference_gap`` away; references are
    drawn from those far frames (with repetition when fewer than 5 exist).
    """
    starts = window_starts(sample, geometry, 2 * geometry.frames - 1)
    count_frames = sample.frames.shape[0]
    usable = [t for t in starts if len(reference_frames(count_frames, int(t), geometry, data))]
    out = []
    for t in rng.choice(usable, size=count) if usable else []:
        far = reference_frames(count_frames, int(t), geometry, data)
        reference = np.sort(rng.choice(far, size=geometry.frames, replace=len(far) < geometry.frames))
        out.append(generator_window(sample, int(t), reference, geometry))
    return out


def generator_view(
    sample: Sample, rng: np.random.Generator, geometry: WindowGeometry, data: DataSettings
) -> list[dict]:
    """Training view for the generators: ``views_per_segment`` :func:`generator_windows`, each
    recoloured (``data.window_augment``; never mirrored: boxes and landmarks stay valid)."""
    windows = generator_windows(sample, geometry, data, rng, data.views_per_segment)
    return [augment_window(window, rng, data.window_augment) for window in windows]
