"""SSIM and PSNR on the face and the mouth box."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from lipsync.evaluation.image import box_slices, image_scores
from lipsync.evaluation.settings import ImageSettings
from tests.evaluation.evaluation_fixtures import cropped_clip

SETTINGS = ImageSettings(ssim_window=7, psnr_cap_db=100.0)


@pytest.fixture(scope="module")
def faces():
    clip = cropped_clip(speaker=25, seconds=3.0)
    return clip.faces[::15], clip.mouth_boxes[::15]  # 5 frames of the test photo


def noisy(frames: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, sigma, frames.shape)
    return np.clip(frames + noise, 0, 255).round().astype(np.uint8)


def test_identical_frames_score_perfectly(faces):
    frames, boxes = faces
    means = image_scores(frames, frames.copy(), boxes, SETTINGS).means()
    assert means == {"face_ssim": 1.0, "face_psnr": 100.0, "mouth_ssim": 1.0, "mouth_psnr": 100.0}


def test_more_noise_scores_lower_and_blur_lowers_ssim(faces):
    frames, boxes = faces
    light, heavy = (image_scores(noisy(frames, s), frames, boxes, SETTINGS).means() for s in (4.0, 16.0))
    assert 1.0 > light["face_ssim"] > heavy["face_ssim"] and 1.0 > light["mouth_ssim"] > heavy["mouth_ssim"]
    assert 100.0 > light["face_psnr"] > heavy["face_psnr"] + 10  # 4x the noise: about 12 dB
    assert light["face_psnr"] == pytest.approx(20 * math.log10(255 / 4.0), abs=0.5)
    blurred = np.stack([cv2.GaussianBlur(f, (0, 0), 1.5) for f in frames])
    assert image_scores(blurred, frames, boxes, SETTINGS).means()["face_ssim"] < 0.95


def test_mouth_box_sees_only_the_mouth(faces):
    frames, boxes = faces
    mouth_changed, outside_changed = frames.copy(), frames.copy()
    for t, box in enumerate(boxes):
        rows, columns = box_slices(box, frames.shape[1:3])
        mouth_changed[t, rows, columns] //= 2
        outside_changed[t, :20] //= 2  # the forehead, above every mouth box
    mouth = image_scores(mouth_changed, frames, boxes, SETTINGS).means()
    assert mouth["mouth_ssim"] < mouth["face_ssim"] and mouth["mouth_psnr"] < mouth["face_psnr"]
    outside = image_scores(outside_changed, frames, boxes, SETTINGS).means()
    assert outside["mouth_ssim"] == 1.0 and outside["mouth_psnr"] == 100.0 and outside["face_ssim"] < 1.0


def test_box_pixels_are_those_whose_centres_are_inside():
    assert box_slices(np.array([1.4, 2.6, 4.5, 5.0]), (10, 10)) == (slice(3, 5), slice(1, 4))
    assert box_slices(np.array([-3.0, 8.0, 30.0, 30.0]), (10, 10)) == (slice(8, 10), slice(0, 10))


def test_a_mouth_box_smaller_than_the_window_is_nan_not_an_error(faces):
    frames, boxes = faces
    tiny = boxes.copy()
    tiny[:, 2:] = tiny[:, :2] + 4
    scores = image_scores(noisy(frames, 4.0), frames, tiny, SETTINGS)
    assert np.isnan(scores.mouth_ssim).all() and np.isnan(scores.mouth_psnr).all()
    assert math.isnan(scores.means()["mouth_ssim"]) and scores.means()["face_ssim"] < 1.0
