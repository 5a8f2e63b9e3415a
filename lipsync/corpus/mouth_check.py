"""Does an independent landmark model read the rendered mouth? dlib on rendered corpus clips.

For each photo, a few clips (of the speakers on that photo, spread over speakers) are rendered
with a given mouth renderer and every frame goes through dlib's HOG detector and 68-point
predictor (:class:`lipsync.evaluation.landmarks.FaceLandmarker`, the evaluation's own settings).
Two figures per photo: the share of frames where the face is found, and the Pearson
correlation between dlib's inner-lip opening (mean of |61-67|, |62-66|, |63-65| over the
outer-eye-corner distance) and the truth ``open`` parameter, over the frames found.

:func:`sweep_mouth` is the same reading without a corpus: a still mouth sweep rendered on one
photo, which the photos stage uses to hold out only faces whose sync can be seen.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lipsync.corpus.render import render_clip, render_frames
from lipsync.corpus.settings import CorpusSettings, PhotoSettings
from lipsync.corpus.speakers import draw_speaker, plan_speakers
from lipsync.evaluation.landmarks import FaceLandmarker, inter_ocular
from lipsync.evaluation.settings import FaceSettings

INNER_PAIRS = ((61, 67), (62, 66), (63, 65))


@dataclass(frozen=True)
class MouthReading:
    """One photo under one renderer: frames rendered, found by dlib, and the correlation
    (None when under 3 frames were found or either series is constant)."""

    photo: str
    renderer: str
    clips: int
    frames: int
    found: int
    correlation: float | None

    @property
    def found_share(self) -> float:
        return self.found / self.frames if self.frames else 0.0


def inner_lip_opening(points: np.ndarray) -> np.ndarray:
    """(T,) mean inner-lip distance of (T, 68, 2) landmarks, in outer-eye-corner distances."""
    gaps = np.stack([np.linalg.norm(points[:, a] - points[:, b], axis=-1) for a, b in INNER_PAIRS], axis=1)
    return gaps.mean(axis=1) / inter_ocular(points)


def clip_indices(
    settings: CorpusSettings, photo: str, clips: int, photos: dict[str, PhotoSettings] | None = None
) -> list[tuple[int, int]]:
    """(speaker, clip) of ``clips`` clips on ``photo`` of ``photos`` (None: the built-in photos):
    one per speaker in turn, then second clips."""
    speakers = [i for i, s in enumerate(plan_speakers(settings, photos)) if s.photo == photo]
    if not speakers:
        raise ValueError(f"no corpus speaker uses photo {photo!r} (corpus.speakers, the photos' splits)")
    pairs = [(s, c) for c in range(settings.clips_per_speaker) for s in speakers]
    return pairs[:clips]


def read_mouth(
    settings: CorpusSettings, photo: str, renderer: str, clips: int, landmarker: FaceLandmarker,
    photos: dict[str, PhotoSettings] | None = None,
) -> MouthReading:  # fmt: skip
    """Render ``clips`` clips of ``photo`` (a name of ``photos``; None: the built-in photos) with
    ``renderer`` ("warp", "lens", "photo") and read them."""
    settings = dataclasses.replace(settings, mouth=dataclasses.replace(settings.mouth, renderer=renderer))
    openings, truths, frames = [], [], 0
    pairs = clip_indices(settings, photo, clips, photos)
    for speaker, clip in pairs:
        rendered = render_clip(settings, speaker, clip, photos)
        found = landmarker.locate(rendered.frames)
        kept = ~np.isnan(found.points[:, 0, 0])
        frames += len(rendered.frames)
        openings.append(inner_lip_opening(found.points[kept]))
        truths.append(rendered.truth.mouth_params[kept, 0])
    opening, truth = np.concatenate(openings), np.concatenate(truths)
    return MouthReading(photo, renderer, len(pairs), frames, len(opening), opening_correlation(opening, truth))


def opening_correlation(opening: np.ndarray, truth: np.ndarray) -> float | None:
    """Pearson r of dlib's inner-lip opening with the truth ``open`` over the frames where a
    face was found; None when fewer than 3 such frames or either side never moves."""
    usable = len(opening) >= 3 and opening.std() > 0 and truth.std() > 0
    return float(np.corrcoef(opening, truth)[0, 1]) if usable else None


SWEEP_PERIOD = 8  # frames per open-close cycle of the sweep: a syllable at 25 fps is 5-10 frames


def sweep_params(frames: int, seed: int) -> np.ndarray:
    """float32 (frames, 3) mouth params for :func:`sweep_mouth`: ``open`` closes and opens once
    every SWEEP_PERIOD frames to a peak drawn per cycle in [0.3, 1], ``width`` and ``round``
    drawn per frame in [0, 1] (a check of the opening whatever the other two do)."""
    rng = np.random.default_rng([seed, frames])
    t = np.arange(frames)
    peaks = rng.uniform(0.3, 1.0, frames // SWEEP_PERIOD + 1)[t // SWEEP_PERIOD]
    opening = peaks * 0.5 * (1.0 - np.cos(2 * np.pi * t / SWEEP_PERIOD))
    return np.column_stack([opening, rng.uniform(0, 1, frames), rng.uniform(0, 1, frames)]).astype(np.float32)


def sweep_mouth(
    settings: CorpusSettings, name: str, photo: PhotoSettings, frames: int, looks: int, landmarker: FaceLandmarker
) -> MouthReading:
    """Read ``photo`` rendered by the corpus's own renderer (``settings.mouth.renderer``) with
    :func:`sweep_params`, still, in the looks (framing and light) of the first ``looks`` corpus
    speakers in turn: no speech, no espeak, a few seconds a photo, so the photos stage can
    check each face before the corpus is drawn from it."""
    params = sweep_params(frames, settings.seed)
    rendered = []
    for i, part in enumerate(np.array_split(np.arange(frames), looks)):
        look = draw_speaker(settings, i, name, "train").look
        rendered.append(render_frames(settings, photo, look, params[part], [np.zeros(4)] * len(part))[0])
    found = landmarker.locate(np.concatenate(rendered))
    kept = ~np.isnan(found.points[:, 0, 0])
    opening, truth = inner_lip_opening(found.points[kept]), params[kept, 0]
    return MouthReading(name, settings.mouth.renderer, 0, frames, len(opening), opening_correlation(opening, truth))


def face_landmarker(settings: FaceSettings) -> FaceLandmarker:
    """dlib with the evaluation's settings, but never a guessed box: a miss must count as a miss."""
    return FaceLandmarker(dataclasses.replace(settings, fallback_box=None))
