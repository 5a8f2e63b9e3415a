"""dlib's 68 face landmarks on face crops, and LMD: how far the generated mouth is from the real one.

Model files come from the ``face_recognition_models`` distribution, found by path
(``importlib.util.find_spec``) and never imported: its ``__init__`` imports ``pkg_resources``.

The face box. Our crops are the face by construction (the faces stage cut them around a
tracked box), but dlib's predictor was trained on boxes of dlib's own HOG detector, so the
box is that detector's largest detection on the real crop, searched with
``detector_upsample`` doublings (its smallest face is 80 px). On 650 corpus crops at 96 px it
found the face in 640 at 1 (every frontal one; 265 of 275 of the three-quarter view
``camera``) and in 508 at 0 (133 of 275 ``camera``). When it finds nothing, ``fallback_box``
(about the mean detector box on corpus crops, as fractions of the side) stands in, or the
frame is reported missing. A blank crop (one colour: the faces stage's sign of a lost face)
is always missing. The real frame's box is used for the generated frame too, so LMD measures
the mouth, not detector jitter. On the three-quarter view the 68 points themselves are off
(mouth corners 0.4-1.0 inter-ocular distances from the rendered ones, 0.04 on the frontal
photos), so LMD there says little.

Landmarks are predicted on the crop enlarged ``landmark_upscale`` times (bicubic), since dlib
returns whole pixels of its input: measured on corpus clips, the frame-to-frame eye jitter
beyond the true motion was 0.0075 inter-ocular distances at 1x, 0.0049 at 2x, 0.0031 at 4x;
accuracy did not change. Positions are crop pixels, pixel i spanning [i, i + 1), like the
mouth boxes.

LMD of a frame is the mean distance of the 20 mouth points (48-67) between generated and
real, divided by the real frame's inter-ocular distance (outer eye corners, points 36 and 45).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np

from lipsync.evaluation.settings import FaceSettings

MOUTH = slice(48, 68)  # the 20 mouth points of the 68-point layout
OUTER_EYE_CORNERS = (36, 45)


def face_model_file(name: str) -> Path:
    """Path of ``name`` among face_recognition_models' files, without importing that package."""
    spec = importlib.util.find_spec("face_recognition_models")
    path = Path(spec.submodule_search_locations[0]) / "models" / name if spec else None
    if path is None or not path.is_file():
        raise FileNotFoundError(f"dlib model {name} not found: install face_recognition_models==0.3.0")
    return path


@dataclass(frozen=True)
class FaceLandmarks:
    """points: float32 (T, 68, 2) crop px, NaN where missing; boxes: float32 (T, 4) the face
    boxes used (x0, y0, x1, y1), NaN where missing; sources: per frame "detector", "fallback"
    or "missing"; missing: frame index -> why no landmarks."""

    points: np.ndarray
    boxes: np.ndarray
    sources: tuple[str, ...]
    missing: dict[int, str]


class FaceLandmarker:
    """dlib's HOG face detector and 68-point shape predictor, loaded once."""

    def __init__(self, settings: FaceSettings) -> None:
        self.settings = settings
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(face_model_file("shape_predictor_68_face_landmarks.dat")))

    def face_box(self, crop: np.ndarray) -> tuple[np.ndarray | None, str]:
        """(box, source) for one uint8 (S, S, 3) crop; (None, reason) when there is no face."""
        if crop.min() == crop.max():
            return None, "blank crop: no face was tracked in this frame"
        found = self.detector(crop, self.settings.detector_upsample)
        if len(found):
            best = max(found, key=lambda r: r.area())
            return np.float32([best.left(), best.top(), best.right() + 1, best.bottom() + 1]), "detector"
        if self.settings.fallback_box is None:
            return None, "dlib's face detector found no face"
        return np.float32(self.settings.fallback_box) * crop.shape[1], "fallback"

    def points(self, crop: np.ndarray, box: np.ndarray) -> np.ndarray:
        """float32 (68, 2) landmarks of uint8 (S, S, 3) ``crop`` inside ``box`` (crop px)."""
        scale = self.settings.landmark_upscale
        image = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else crop
        x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
        shape = self.predictor(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
        pixels = np.float32([(p.x, p.y) for p in shape.parts()])  # (68, 2) whole pixels of the enlarged crop
        return (pixels + 0.5) / scale

    def locate(self, frames: np.ndarray, boxes: np.ndarray | None = None) -> FaceLandmarks:
        """Landmarks of uint8 (T, S, S, 3) RGB crops, in ``boxes`` (T, 4) if given (NaN: missing)."""
        points = np.full((len(frames), 68, 2), np.nan, np.float32)
        used = np.full((len(frames), 4), np.nan, np.float32)
        sources, missing = [], {}
        for t, crop in enumerate(frames):
            box, source = (boxes[t], "given") if boxes is not None else self.face_box(crop)
            if box is None or np.isnan(box).any():
                sources.append("missing")
                missing[t] = source if box is None else "no face box in the reference frame"
                continue
            points[t], used[t] = self.points(crop, box), box
            sources.append(source)
        return FaceLandmarks(points, used, tuple(sources), missing)

    def locate_pair(self, generated: np.ndarray, real: np.ndarray) -> tuple[FaceLandmarks, FaceLandmarks]:
        """Landmarks of generated and real clips (T, S, S, 3), both in the real frames' boxes."""
        truth = self.locate(real)
        fake = self.locate(generated, truth.boxes)
        return FaceLandmarks(fake.points, fake.boxes, truth.sources, truth.missing), truth


@dataclass(frozen=True)
class LandmarkDistance:
    """per_frame: float64 (T,) LMD in inter-ocular distances, NaN where a face is missing;
    missing: frame index -> reason. mean: over the scored frames, None when there is none."""

    per_frame: np.ndarray
    missing: dict[int, str]

    @property
    def mean(self) -> float | None:
        kept = self.per_frame[~np.isnan(self.per_frame)]
        return float(kept.mean()) if kept.size else None


def inter_ocular(points: np.ndarray) -> np.ndarray:
    """Outer-eye-corner distance of (..., 68, 2) landmarks: (...,) crop px."""
    return np.linalg.norm(points[..., OUTER_EYE_CORNERS[1], :] - points[..., OUTER_EYE_CORNERS[0], :], axis=-1)


def mouth_landmark_distance(generated: FaceLandmarks, real: FaceLandmarks) -> LandmarkDistance:
    """LMD per frame: mean over points 48-67 of |generated - real|, / the real inter-ocular distance."""
    error = np.linalg.norm(generated.points[:, MOUTH] - real.points[:, MOUTH], axis=-1).mean(axis=1)  # (T,)
    scale = inter_ocular(real.points)  # (T,)
    with np.errstate(invalid="ignore", divide="ignore"):
        lmd = np.where(scale > 0, error / scale, math.nan).astype(np.float64)
    return LandmarkDistance(lmd, {**generated.missing, **real.missing})
