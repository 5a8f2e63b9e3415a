"""Every metric of one generated clip, in the two settings the field reports.

*Reconstruction*: a clip re-generated from its own audio, scored against its real frames:
sync (LSE-D, LSE-C, AV offset, per-offset curve), SSIM / PSNR of the face and the mouth,
LPIPS (only with the real AlexNet weights), identity distance, mouth landmark distance
(LMD), flicker of the mouth pixels and jitter of the mouth landmarks (generated / real).

*Cross-audio dubbing*: a clip's video driven by another clip's audio. There is no ground
truth for the new mouth, so only sync (against the new audio), identity and the temporal
ratios (against the clip's real frames) are scored.

The real frames' landmarks and identity embeddings are computed once per clip and reused
for every row. A frame without a face (dlib finds none) is left out of its metrics and
counted in ``faces_missing``; a metric with no frame left is NaN, never a silent zero.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from lipsync.evaluation.clip import EvalClip
from lipsync.evaluation.identity import FaceIdentity
from lipsync.evaluation.image import image_scores
from lipsync.evaluation.landmarks import FaceLandmarker, FaceLandmarks, mouth_landmark_distance
from lipsync.evaluation.lpips_distance import LpipsMetric
from lipsync.evaluation.settings import EvaluationSettings
from lipsync.evaluation.sync import SyncScores
from lipsync.evaluation.sync_clip import SyncEvaluator, score_clip
from lipsync.evaluation.temporal import landmark_jitter, mouth_flicker


@dataclass(frozen=True)
class ClipScores:
    """metrics: name -> float (NaN when not measurable); curve: float32 (2K+1,) mean distance
    per offset (ascending offsets); notes: why some frames or metrics are missing."""

    metrics: dict[str, float]
    curve: np.ndarray
    notes: tuple[str, ...] = ()


@dataclass
class Scorer:
    """The metric models, loaded once, and the real clips' cached landmarks and embeddings.

    ``seconds`` adds up the time spent in each metric family (``lipsync bench evaluation``
    reads it: the share of each family in the scoring time)."""

    settings: EvaluationSettings
    evaluator: SyncEvaluator
    landmarker: FaceLandmarker = field(init=False)
    identity: FaceIdentity = field(init=False)
    lpips: LpipsMetric = field(init=False)
    seconds: dict[str, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.landmarker = FaceLandmarker(self.settings.faces)
        self.identity = FaceIdentity(self.settings.faces)
        self.lpips = LpipsMetric(self.settings.lpips)
        self._marks: dict[str, FaceLandmarks] = {}
        self._embeddings: dict[str, np.ndarray] = {}

    @contextmanager
    def _timed(self, family: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[family] = self.seconds.get(family, 0.0) + time.perf_counter() - started

    def sync(self, frames: np.ndarray, audio: np.ndarray, clip_id: str) -> SyncScores:
        with self._timed("sync"):
            return score_clip(self.evaluator, frames, audio, clip_id, self.settings.sync)

    def reconstruction(self, generated: np.ndarray, clip: EvalClip) -> ClipScores:
        """All metrics of ``generated`` (uint8 (T, S, S, 3)) against ``clip``'s real frames and audio."""
        sync = self.sync(generated, clip.audio, clip.clip_id)
        with self._timed("image"):
            image = image_scores(generated, clip.frames, clip.mouth_boxes, self.settings.image).means()
        with self._timed("lpips"):
            lpips = self.lpips.score(generated, clip.frames)
        real_marks, fake_marks = self._landmarks(generated, clip)
        metrics = {**_sync_metrics(sync), **image, "lpips": _value(lpips.mean)}
        metrics["lmd"] = _value(mouth_landmark_distance(fake_marks, real_marks).mean)
        metrics |= self._identity(generated, clip, fake_marks, real_marks)
        metrics |= self._temporal(generated, clip, fake_marks, real_marks)
        notes = () if lpips.per_frame is not None else (lpips.note,)
        return ClipScores(metrics, sync.mean_distance, notes + _missing(real_marks))

    def dubbing(self, generated: np.ndarray, clip: EvalClip, audio: np.ndarray, clip_id: str) -> ClipScores:
        """Sync against ``audio`` (the other clip's), identity and temporal against ``clip``'s
        real frames (``generated`` and ``audio`` cover its first frames)."""
        length = len(generated)
        sync = self.sync(generated, audio, clip_id)
        real = _first(clip, length)
        real_marks, fake_marks = self._landmarks(generated, real)
        metrics = {**_sync_metrics(sync), **self._identity(generated, real, fake_marks, real_marks)}
        metrics |= self._temporal(generated, real, fake_marks, real_marks)
        return ClipScores(metrics, sync.mean_distance, _missing(real_marks))

    def _landmarks(self, generated: np.ndarray, clip: EvalClip) -> tuple[FaceLandmarks, FaceLandmarks]:
        """(real, generated) landmarks on every ``landmark_every``-th frame, generated ones in the real boxes."""
        key = f"{clip.clip_id}:{clip.length}"
        with self._timed("landmarks"):
            if key not in self._marks:
                self._marks[key] = self.landmarker.locate(clip.frames[:: self.settings.landmark_every])
            real = self._marks[key]
            return real, self.landmarker.locate(generated[:: self.settings.landmark_every], real.boxes)

    def _identity(self, generated, clip: EvalClip, fake_marks, real_marks) -> dict[str, float]:
        with self._timed("identity"):
            return self._identity_scores(generated, clip, fake_marks, real_marks)

    def _identity_scores(self, generated, clip: EvalClip, fake_marks, real_marks) -> dict[str, float]:
        step = self.settings.landmark_every
        picks = np.unique(np.linspace(0, len(real_marks.points) - 1, self.settings.identity_frames).round()).astype(int)
        key = f"{clip.clip_id}:{clip.length}"
        if key not in self._embeddings:
            self._embeddings[key] = self.identity.embeddings(clip.frames[::step][picks], _take(real_marks, picks))
        fake = self.identity.embeddings(generated[::step][picks], _take(fake_marks, picks))
        distance = np.linalg.norm(fake - self._embeddings[key], axis=1)
        scored = distance[~np.isnan(distance)]
        threshold = self.settings.faces.same_person_threshold
        same = float((scored < threshold).mean()) if scored.size else math.nan
        return {"identity": float(scored.mean()) if scored.size else math.nan, "same_person": same}

    def _temporal(self, generated, clip: EvalClip, fake_marks, real_marks) -> dict[str, float]:
        with self._timed("temporal"):
            flicker = mouth_flicker(generated, clip.frames, clip.mouth_boxes)
            jitter = landmark_jitter(fake_marks.points, real_marks.points)
        return {"flicker_ratio": flicker.ratio, "jitter_ratio": jitter.ratio}


def _sync_metrics(sync: SyncScores) -> dict[str, float]:
    return {"lse_d": sync.lse_d, "lse_c": sync.lse_c, "offset": float(sync.offset)}


def _value(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _first(clip: EvalClip, length: int) -> EvalClip:
    per_frame = len(clip.audio) // clip.length
    return dataclasses.replace(
        clip, frames=clip.frames[:length], audio=clip.audio[: length * per_frame], mouth_boxes=clip.mouth_boxes[:length]
    )


def _take(marks: FaceLandmarks, picks: np.ndarray) -> FaceLandmarks:
    missing = {int(i): marks.missing[int(p)] for i, p in enumerate(picks) if int(p) in marks.missing}
    return FaceLandmarks(marks.points[picks], marks.boxes[picks], tuple(marks.sources[p] for p in picks), missing)


def _missing(marks: FaceLandmarks) -> tuple[str, ...]:
    if not marks.missing:
        return ()
    reasons = sorted(set(marks.missing.values()))
    return (f"{len(marks.missing)} of {len(marks.points)} landmark frames without a face ({'; '.join(reasons)})",)
