"""Identity distance with dlib's face-recognition ResNet on 96 px crops of the shipped photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lipsync.evaluation.identity import FaceIdentity
from lipsync.evaluation.landmarks import FaceLandmarker
from tests.evaluation.evaluation_fixtures import photo_face
from tests.evaluation.test_landmarks import SETTINGS


@pytest.fixture(scope="module")
def models():
    return FaceLandmarker(SETTINGS), FaceIdentity(SETTINGS)


def identity(models, generated: np.ndarray, real: np.ndarray):
    landmarker, recogniser = models
    fake_marks, real_marks = landmarker.locate_pair(generated, real)
    return recogniser.distance(generated, real, fake_marks, real_marks)


def test_identical_faces_are_at_distance_zero(models):
    real = np.stack([photo_face("astronaut"), photo_face("grace_hopper")])
    result = identity(models, real.copy(), real)
    assert result.per_frame.shape == (2,) and np.all(result.per_frame < 1e-6) and result.same_person == 1.0


def test_another_person_is_farther_than_a_perturbed_copy(models):
    astronaut, grace_hopper = photo_face("astronaut"), photo_face("grace_hopper")
    rng = np.random.default_rng(0)
    perturbed = np.clip(cv2.GaussianBlur(astronaut, (0, 0), 0.8) * 0.9 + rng.normal(0, 4, astronaut.shape), 0, 255)
    same = identity(models, perturbed.astype(np.uint8)[None], astronaut[None])
    other = identity(models, grace_hopper[None], astronaut[None])
    assert same.mean < 0.3 and same.same_person == 1.0
    assert other.mean > 0.6 and other.same_person == 0.0


def test_a_missing_face_is_nan_for_that_frame_only(models):
    real = np.stack([photo_face("astronaut"), np.zeros((96, 96, 3), np.uint8)])
    result = identity(models, real.copy(), real)
    assert result.per_frame[0] < 1e-6 and np.isnan(result.per_frame[1])
    assert result.missing == {1: "blank crop: no face was tracked in this frame"} and result.mean < 1e-6
