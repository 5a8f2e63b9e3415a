"""Every face of a photograph: MTCNN box and five points, dlib's 68 landmarks and identity embedding.

The project's MTCNN (:mod:`lipsync.faces.detect`) finds the faces, at the photo's full
resolution (no working-size downscale, so small faces in group photos are found too). dlib's
68-point predictor runs in each MTCNN box, and dlib's face-recognition ResNet turns the
landmarks into the 128-d embedding whose distance says "same person" (about 0.6, REFERENCE.md
section 4). Both dlib models ship in ``face_recognition_models``, located by path.

A face is kept when it is wide enough, confidently a face, looks at the camera enough for
both eyes (the nose sits between them along the eye line) and shows its mouth (the mouth
corners are far enough apart relative to the eyes). Each rejection gets a reason.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import dlib
import numpy as np

from lipsync.corpus.settings import FaceFilterSettings
from lipsync.evaluation.landmarks import face_model_file
from lipsync.faces.detect import detect_faces
from lipsync.faces.settings import DetectorSettings

KEPT = "kept"


@dataclass(frozen=True)
class FoundFace:
    """One detected face, photo pixels.

    box: float32 (4,) x0, y0, x1, y1 (MTCNN); score: O-Net probability; five: float32 (5, 2)
    MTCNN eyes, nose, mouth corners; points68: float32 (68, 2) dlib landmarks (pixel centres);
    descriptor: float32 (128,) dlib identity embedding; status: "kept" or why it was left out.
    """

    box: np.ndarray
    score: float
    five: np.ndarray
    points68: np.ndarray
    descriptor: np.ndarray
    status: str

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])


@functools.lru_cache(maxsize=1)
def _dlib_models() -> tuple[object, object]:
    predictor = dlib.shape_predictor(str(face_model_file("shape_predictor_68_face_landmarks.dat")))
    encoder = dlib.face_recognition_model_v1(str(face_model_file("dlib_face_recognition_resnet_model_v1.dat")))
    return predictor, encoder


def find_faces(image: np.ndarray, detector: DetectorSettings, filters: FaceFilterSettings) -> list[FoundFace]:
    """Faces of uint8 (H, W, 3) RGB ``image``, left to right (by box centre), each with a status."""
    full = dataclasses.replace(detector, max_side=max(image.shape[:2]))
    found = detect_faces(image[None], full)[0]
    order = np.argsort((found.boxes[:, 0] + found.boxes[:, 2]) / 2, kind="stable")
    return [describe_face(image, found.boxes[i], float(found.scores[i]), found.landmarks[i], filters) for i in order]


def describe_face(
    image: np.ndarray, box: np.ndarray, score: float, five: np.ndarray, filters: FaceFilterSettings
) -> FoundFace:
    """dlib landmarks and embedding of the face in ``box`` of uint8 (H, W, 3) RGB ``image``, and its status."""
    predictor, encoder = _dlib_models()
    rgb = np.ascontiguousarray(image)
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    shape = predictor(rgb, dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
    points = np.float32([(p.x, p.y) for p in shape.parts()]) + 0.5  # (68, 2) pixel centres
    descriptor = np.float32(encoder.compute_face_descriptor(rgb, shape))
    face = FoundFace(np.float32(box), score, np.float32(five), points, descriptor, KEPT)
    return dataclasses.replace(face, status=_status(face, image.shape, filters))


def _status(face: FoundFace, shape: tuple[int, ...], filters: FaceFilterSettings) -> str:
    if face.width < filters.min_width:
        return f"too small ({face.width:.0f} px < {filters.min_width:.0f})"
    if face.score < filters.min_score:
        return f"low face score ({face.score:.3f} < {filters.min_score})"
    height, width = shape[:2]
    if (face.points68 < 0).any() or (face.points68[:, 0] > width).any() or (face.points68[:, 1] > height).any():
        return "face cut by the photo's border"
    left, right, nose = face.five[0], face.five[1], face.five[2]
    axis = right - left
    eyes = float(np.linalg.norm(axis))
    along = float(np.dot(nose - left, axis) / eyes**2)
    if not filters.nose_position[0] <= along <= filters.nose_position[1]:
        return f"an eye turned away (nose at {along:.2f} of the eye line)"
    mouth = float(np.linalg.norm(face.points68[54] - face.points68[48])) / eyes
    if mouth < filters.min_mouth_width:
        return f"mouth not visible (mouth width {mouth:.2f} of the eye distance)"
    return KEPT
