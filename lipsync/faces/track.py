"""Face tracking over a clip: the main speaker's box, landmarks and presence on every frame.

Full MTCNN detection runs only on every ``detect_every``-th frame; O-Net re-measures the
tracked boxes on every frame (see ``tracklets``), which is what keeps this stage several times
faster than per-frame detection while still giving landmarks everywhere. Frames are taken in
chunks of about ``batch`` frames, shrunk to ``max_side`` as they arrive, so a streamed clip
never sits in memory at full size.

After the clip: tracks shorter than ``min_track_len`` are dropped, tracks separated by a gap
(face lost, then found again in the same place) are relinked, the main speaker is the track
with the largest mean box area x frame count, and its boxes get a centred moving average.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from lipsync.faces.detect import PNET_CELL, detect_prepared
from lipsync.faces.patches import WorkFrames, shrink_into, shrunk_size, work_frames
from lipsync.faces.settings import DetectorSettings, TrackerSettings
from lipsync.faces.tracklets import Track, follow_chunk


class NoFaceError(ValueError):
    """No face followed long enough in the clip; the message says what was found (brief or small faces)."""


class AmbiguousFaceError(ValueError):
    """Two or more faces of similar size and presence: no single speaker to follow (the message counts them)."""


@dataclass(frozen=True)
class FaceTracks:
    """The main speaker's face on each of T frames (frame pixels).

    boxes: float32 (T, 4) x0, y0, x1, y1, smoothed, NaN where absent.
    landmarks: float32 (T, 5, 2) as measured by O-Net (not smoothed), NaN where absent.
    scores: float32 (T,) O-Net face probability, 0 where absent.
    present: bool (T,).
    other_faces: number of other tracks kept (after dropping short ones).
    detections_run: frames the full cascade ran on.
    measured: float32 (T, 4) the boxes as O-Net measured them, before smoothing, NaN where absent.
    """

    boxes: np.ndarray
    landmarks: np.ndarray
    scores: np.ndarray
    present: np.ndarray
    other_faces: int
    detections_run: int
    measured: np.ndarray


def track_faces(
    frames: np.ndarray | Iterable[np.ndarray],
    tracker: TrackerSettings,
    detector: DetectorSettings,
    face_index: int | None = None,
) -> FaceTracks:
    """Track the main speaker's face through uint8 RGB frames.

    frames: (T, H, W, 3) array, or an iterable of (H, W, 3) frames or (n, H, W, 3) chunks
    (e.g. straight from a decoder), consumed in chunks of ``batch`` frames rounded up to a
    multiple of ``detect_every``. face_index: None follows the main speaker and raises
    AmbiguousFaceError when another face rivals it; k follows the k-th face in the order of
    mean box area x frames (0: the largest), whatever the others. Raises NoFaceError.
    """
    chunk = -(-tracker.batch // tracker.detect_every) * tracker.detect_every
    tracks: list[Track] = []
    total = detections = 0
    samples = FrameSample()
    with torch.inference_mode():
        for work in _work_chunks(frames, chunk, detector.max_side):
            detections += follow_chunk(tracks, work, total, tracker, detector)
            if not tracks:  # kept only while no face at all has been seen: to say why, if none ever is
                samples.add(work, tracker.detect_every)
            total += len(work.images)
    chains = _relink([t for t in tracks if _length(t) >= tracker.min_track_len], tracker.relink_distance)
    if not chains:
        raise NoFaceError(_why_no_face(tracks, samples, total, tracker, detector))
    main, others = _main_chain([_paint(chain, total) for chain in chains], tracker, face_index)
    measured, landmarks, scores, present = main
    boxes = _smooth(measured, present, tracker.smooth_window)
    return FaceTracks(boxes, landmarks, scores, present, others, detections, measured)


def present_runs(present: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """Half-open (start, stop) frame ranges where ``present`` (bool (T,)) is True for >= min_len frames."""
    edges = np.diff(np.concatenate([[0], np.asarray(present, dtype=np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True) if b - a >= min_len]


def _work_chunks(frames: np.ndarray | Iterable[np.ndarray], size: int, max_side: int) -> Iterator[WorkFrames]:
    """Chunks of ``size`` frames, shrunk to max_side as they arrive into one reused buffer.

    Each chunk is only valid until the next one is requested. A stream is never held at full
    size, and reusing the buffer avoids paging in fresh memory for every chunk.
    """
    if isinstance(frames, np.ndarray) and max(frames.shape[1:3]) <= max_side:
        for start in range(0, len(frames), size):
            yield work_frames(np.ascontiguousarray(frames[start : start + size]), *frames.shape[1:3])
        return
    buffer, filled, frame_h, frame_w = None, 0, 0, 0
    for item in frames if isinstance(frames, np.ndarray) else _flatten(frames):
        if buffer is None:
            frame_h, frame_w = item.shape[:2]
            buffer = np.empty((size, *shrunk_size(frame_h, frame_w, max_side), 3), dtype=np.uint8)
        shrink_into(item, buffer[filled])
        filled += 1
        if filled == size:
            yield work_frames(buffer, frame_h, frame_w)
            filled = 0
    if filled:
        yield work_frames(buffer[:filled], frame_h, frame_w)


def _flatten(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """(H, W, 3) frames from an iterable of frames or of (n, H, W, 3) chunks."""
    for item in frames:
        yield from [item] if item.ndim == 3 else item


def _length(track: Track) -> int:
    return sum(len(p.scores) for p in track.pieces)


def _relink(tracks: list[Track], distance: float) -> list[list[Track]]:
    """Chain tracks that follow each other in time (no overlap) and start near where the last ended.

    Near: box centres at most ``distance`` x the mean box side apart; the nearest chain wins.
    """
    chains: list[list[Track]] = []
    for track in sorted(tracks, key=lambda t: t.pieces[0].start):
        first = track.pieces[0].boxes[0]
        best, best_distance = None, distance
        for chain in chains:
            last = chain[-1].pieces[-1]
            if last.stop <= track.pieces[0].start:
                gap = _centre_distance(last.boxes[-1], first)
                if gap <= best_distance:
                    best, best_distance = chain, gap
        if best is None:
            chains.append([track])
        else:
            best.append(track)
    return chains


def _centre_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between box centres in units of the mean box side."""
    side = (a[2] - a[0] + a[3] - a[1] + b[2] - b[0] + b[3] - b[1]) / 4
    return float(np.hypot(*((a[:2] + a[2:]) - (b[:2] + b[2:])) / 2) / max(side, 1e-6))


def _paint(chain: list[Track], total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame arrays (boxes, landmarks, scores, present) of one chain of tracks."""
    boxes = np.full((total, 4), np.nan, dtype=np.float32)
    landmarks = np.full((total, 5, 2), np.nan, dtype=np.float32)
    scores = np.zeros(total, dtype=np.float32)
    for piece in (p for track in chain for p in track.pieces):
        span = slice(piece.start, piece.stop)
        boxes[span], landmarks[span], scores[span] = piece.boxes, piece.landmarks, piece.scores
    return boxes, landmarks, scores, ~np.isnan(boxes[:, 0])


def _main_chain(painted: list, tracker: TrackerSettings, face_index: int | None = None) -> tuple[tuple, int]:
    """The chain with the largest mean area x frame count (or the ``face_index``-th); without an
    index, raises if another one is comparable."""
    frames = np.array([p[3].sum() for p in painted], dtype=np.float64)
    areas = np.array([np.nanmean(np.prod(p[0][:, 2:] - p[0][:, :2], axis=1)) for p in painted])
    order = np.argsort(-(areas * frames))
    if face_index is not None:
        if not 0 <= face_index < len(order):
            raise NoFaceError(
                f"face index {face_index} asked for, but {len(order)} face(s) were followed (0 = largest)"
            )
        return painted[order[face_index]], len(painted) - 1
    main = order[0]
    rivals = [
        other
        for other in order[1:]
        if frames[other] >= tracker.dominance_share * frames[main]
        and areas[other] >= tracker.dominance_ratio * areas[main]
    ]
    if rivals:
        sides = np.sqrt(areas[[main, *rivals]])
        raise AmbiguousFaceError(
            f"{len(painted)} faces found (face tracks of at least {tracker.min_track_len} frames), "
            f"{len(rivals) + 1} of them of similar size and presence: no single speaker to follow (the largest "
            f"about {sides[0]:.0f} px over {frames[main]:.0f} frames; {len(rivals)} other(s) of "
            f"{sides[1:].min():.0f}-{sides[1:].max():.0f} px, each at least {tracker.dominance_ratio:.0%} of its "
            "area, faces.tracker.dominance_ratio); crop the video to one speaker"
        )
    return painted[main], len(painted) - 1


class FrameSample:
    """Up to ``limit`` keyframes (working pixels), copied as they stream past, for ``_why_no_face``."""

    def __init__(self, limit: int = 8) -> None:
        self.frames: list[np.ndarray] = []
        self.scale: tuple[float, float] = (1.0, 1.0)
        self.limit = limit

    def add(self, work: WorkFrames, every: int) -> None:
        room = self.limit - len(self.frames)
        if room > 0:
            self.frames.extend(image.copy() for image in work.images[::every][:room])
            self.scale = work.scale


def _why_no_face(tracks: list[Track], samples: FrameSample, total: int, tracker, detector) -> str:
    """The NoFaceError message: faces seen too briefly, faces under min_face_size, or none at all.

    For the last two the sampled keyframes are searched again down to the smallest face P-Net
    can see (its 12 px window, in working pixels), and the sizes found are reported.
    """
    if tracks:
        longest = max(_length(t) for t in tracks)
        return (
            f"no face followed for {tracker.min_track_len} frames (faces.tracker.min_track_len) in any of the "
            f"{total} frames: {len(tracks)} face track(s) found, the longest {longest} frame(s)"
        )
    finest = PNET_CELL / min(samples.scale)  # frame pixels
    wanted = (
        f"no face of at least {detector.min_face_size} px (faces.detector.min_face_size) in any of the {total} frames"
    )
    if not samples.frames:
        return wanted
    if finest >= detector.min_face_size:
        return f"{wanted} (no smaller face can be searched at this frame size)"
    finer = dataclasses.replace(detector, min_face_size=math.ceil(finest))
    found = detect_prepared(WorkFrames(np.stack(samples.frames), samples.scale), finer)
    sides = np.concatenate([np.max(f.boxes[:, 2:] - f.boxes[:, :2], axis=1) for f in found])
    if len(sides) == 0:
        return f"{wanted}, nor any smaller face down to {finer.min_face_size} px in {len(found)} frames searched"
    hits = sum(len(f.scores) > 0 for f in found)
    return (
        f"{wanted}; smaller faces were found: {sides.min():.0f}-{sides.max():.0f} px (box side) in {hits} of "
        f"{len(found)} frames searched. Lower faces.detector.min_face_size (down to {finer.min_face_size} px) "
        "or use a larger source video"
    )


def _smooth(boxes: np.ndarray, present: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of box corners within each run of present frames.

    Near a run's ends the window shrinks symmetrically, so it never lags behind the face.
    """
    out = boxes.copy()
    for start, stop in present_runs(present, 1):
        run = boxes[start:stop].astype(np.float64)
        cumulative = np.concatenate([np.zeros((1, 4)), np.cumsum(run, axis=0)])
        index = np.arange(len(run))
        half = np.minimum(np.minimum(index, len(run) - 1 - index), window // 2)
        low, high = index - half, index + half + 1
        out[start:stop] = (cumulative[high] - cumulative[low]) / (high - low)[:, None]
    return out
