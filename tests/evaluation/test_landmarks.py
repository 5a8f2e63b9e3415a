"""dlib landmarks on 96 px crops and LMD; missing faces are per-frame results, not crashes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lipsync.evaluation.landmarks import FaceLandmarker, face_model_file, inter_ocular, mouth_landmark_distance
from lipsync.evaluation.settings import FaceSettings
from tests.evaluation.evaluation_fixtures import cropped_clip

SETTINGS = FaceSettings(
    detector_upsample=1,
    fallback_box=(0.14, 0.05, 0.89, 0.81),
    landmark_upscale=4,
    identity_jitters=0,
    same_person_threshold=0.6,
)


@pytest.fixture(scope="module")
def landmarker():
    return FaceLandmarker(SETTINGS)


@pytest.fixture(scope="module")
def clip():
    clip = cropped_clip(speaker=25, seconds=3.0)
    return clip.faces[::10], clip.mouth_boxes[::10], clip.landmarks[::10]  # 8 frames of the test photo


def moved_mouth(frames: np.ndarray, boxes: np.ndarray, pixels: int) -> np.ndarray:
    """The mouth box (and a margin) shifted down by ``pixels``: the lips sit lower in the face."""
    out = frames.copy()
    for t, (x0, y0, x1, y1) in enumerate(np.round(boxes).astype(int)):
        rows, columns = slice(y0 - 4, y1 + 4), slice(x0 - 4, x1 + 4)
        out[t, y0 - 4 + pixels : y1 + 4 + pixels, columns] = frames[t, rows, columns]
    return out


def test_model_files_are_found_by_path():
    assert face_model_file("shape_predictor_68_face_landmarks.dat").stat().st_size > 90_000_000
    with pytest.raises(FileNotFoundError, match="install face_recognition_models"):
        face_model_file("no_such_model.dat")


def test_landmarks_fall_on_the_rendered_face(landmarker, clip):
    frames, _, truth = clip
    marks = landmarker.locate(frames)
    assert marks.sources == ("detector",) * 8 and not marks.missing
    corners = marks.points[:, [48, 54]]  # dlib's mouth corners vs the renderer's neutral corners
    error = np.linalg.norm(corners - truth[:, 3:5], axis=-1).mean() / inter_ocular(marks.points).mean()
    assert error < 0.1


def test_identical_frames_give_zero_lmd(landmarker, clip):
    frames = clip[0]
    lmd = mouth_landmark_distance(*landmarker.locate_pair(frames.copy(), frames))
    assert lmd.mean == 0.0 and not lmd.missing


def test_a_moved_mouth_raises_lmd(landmarker, clip):
    frames, boxes, _ = clip
    noise = np.random.default_rng(0).normal(0, 3, frames.shape)
    grainy = np.clip(frames + noise, 0, 255).astype(np.uint8)
    small = mouth_landmark_distance(*landmarker.locate_pair(grainy, frames)).mean
    moved = mouth_landmark_distance(*landmarker.locate_pair(moved_mouth(frames, boxes, 4), frames)).mean
    assert small < 0.015 and moved > 0.04 and moved > 5 * small  # 4 px is 0.08 of the 49 px eye distance


def test_missing_faces_are_reported_per_frame(landmarker, clip):
    frames = clip[0][:4].copy()
    frames[1] = 0  # the faces stage's black crop: no face tracked
    frames[2] = np.random.default_rng(1).integers(0, 255, frames[2].shape, dtype=np.uint8)  # no face in it
    lmd = mouth_landmark_distance(*landmarker.locate_pair(frames.copy(), frames))
    assert lmd.missing == {1: "blank crop: no face was tracked in this frame"}
    assert np.isnan(lmd.per_frame[1]) and lmd.mean == 0.0  # the noise frame got the fallback box
    strict = FaceLandmarker(dataclasses.replace(SETTINGS, fallback_box=None))
    marks = strict.locate(frames)
    assert marks.missing[2] == "dlib's face detector found no face" and marks.sources[3] == "detector"
    assert np.isnan(marks.points[[1, 2]]).all() and not np.isnan(marks.points[[0, 3]]).any()
