"""Flicker and jitter of the mouth, generated against real."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lipsync.evaluation.landmarks import FaceLandmarker
from lipsync.evaluation.temporal import landmark_jitter, mouth_flicker
from tests.evaluation.evaluation_fixtures import cropped_clip
from tests.evaluation.test_landmarks import SETTINGS


@pytest.fixture(scope="module")
def clip():
    clip = cropped_clip(speaker=25, seconds=3.0)
    return clip.faces[20:40], clip.mouth_boxes[20:40]  # 20 consecutive frames while speaking


@pytest.fixture(scope="module")
def silence():
    clip = cropped_clip(speaker=25, seconds=3.0)
    assert np.all(clip.mouth_open[:8] == 0)
    return clip.faces[:8], clip.mouth_boxes[:8]  # the lead-in: mouth closed, head drifting


def with_noise(frames: np.ndarray, sigma: float) -> np.ndarray:
    noise = np.random.default_rng(0).normal(0, sigma, frames.shape)  # new noise every frame
    return np.clip(frames + noise, 0, 255).round().astype(np.uint8)


def test_identical_clips_change_alike(clip):
    frames, boxes = clip
    flicker = mouth_flicker(frames.copy(), frames, boxes)
    assert flicker.ratio == 1.0 and flicker.pairs == 19 and flicker.real > 1.0  # the real mouth moves
    points = np.random.default_rng(0).uniform(0, 96, (20, 68, 2))
    jitter = landmark_jitter(points.copy(), points)
    assert jitter.ratio == 1.0 and jitter.generated == jitter.real


def test_per_frame_noise_flickers_more(clip, silence):
    light, heavy = (mouth_flicker(with_noise(silence[0], s), *silence) for s in (4.0, 12.0))
    assert 2.0 < light.ratio < heavy.ratio and light.real == heavy.real  # in silence noise dominates
    speaking = mouth_flicker(with_noise(clip[0], 12.0), *clip)
    assert 1.2 < speaking.ratio < heavy.ratio  # speech moves the real mouth too


def test_jittery_landmarks_and_missing_frames():
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.normal(0, 0.5, (20, 68, 2)), axis=0) + 48  # a slow drift
    shaky = smooth + rng.normal(0, 1.0, smooth.shape)
    assert landmark_jitter(shaky, smooth).ratio > 1.5
    shaky[5] = np.nan  # a missing face drops the two steps around it
    assert landmark_jitter(shaky, smooth).pairs == 17
    still = np.full((3, 68, 2), 40.0)
    assert math.isnan(landmark_jitter(still, still).ratio)  # the real mouth never moves: no yardstick


def test_dlib_mouth_landmarks_jitter_more_on_a_noisy_clip(silence):
    frames, _ = silence
    landmarker = FaceLandmarker(SETTINGS)
    light, heavy = (landmark_jitter(*(m.points for m in landmarker.locate_pair(with_noise(frames, s), frames)))
                    for s in (4.0, 12.0))  # fmt: skip
    assert heavy.pairs == 7 and 1.1 < light.ratio < heavy.ratio
