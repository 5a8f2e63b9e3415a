"""Tests of the lip warp: the photo's own lips move with the mouth parameters, and dlib reads them."""

from __future__ import annotations

import numpy as np
import pytest

from lipsync.config import load_params
from lipsync.corpus.lipwarp import articulate, articulated_mesh, mouth_paint, photo_rig, warp_mouth
from lipsync.corpus.mouth_check import face_landmarker, read_mouth
from lipsync.corpus.photos import builtin_photo_set
from tests.corpus.conftest import ROOT

NEUTRAL = np.array([0.0, 0.5, 0.0])


@pytest.fixture(scope="module")
def rig(real_settings):
    return photo_rig(builtin_photo_set(real_settings)["grace_hopper"], real_settings.mouth.warp)


def render_on_photo(rig, params, settings) -> tuple[np.ndarray, np.ndarray]:
    """The photo itself as the frame (identity transform): (frame float32 (H, W, 3), lips box (4,))."""
    frame = rig.pixels.copy()
    to_source = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5]])  # pixel centres i + 0.5 -> cv2's i
    moved = articulated_mesh(rig, np.asarray(params, np.float64), settings)
    paint = mouth_paint(rig.pixels, rig.landmarks, settings)
    box = warp_mouth(frame, rig.pixels, to_source, rig.mesh.points, moved, rig.mesh, paint, settings)
    return frame, box


def test_photo_landmarks_sit_on_the_annotated_face(rig, real_settings):
    photo = builtin_photo_set(real_settings)["grace_hopper"]
    assert rig.landmarks.shape == (68, 2)
    corners = rig.landmarks[[48, 54]]
    assert np.abs(corners - np.array(photo.landmarks[3:5])).max() < 10  # px of a 190 px face
    assert not rig.mesh.moving.all() and rig.mesh.moving.sum() > 20  # only the lower face moves


def test_opening_grows_with_open(rig, real_settings):
    s = real_settings.mouth.warp
    x0, y0, x1, y1 = np.round(render_on_photo(rig, [1.0, 0.5, 0.0], s)[1]).astype(int)
    closed = render_on_photo(rig, [0.0, 0.5, 0.0], s)[0][y0:y1, x0:x1]
    changed = []  # pixels of the lips' region that differ from the closed mouth by > 0.1
    for opening in (0.15, 0.3, 0.6, 1.0):
        frame, _ = render_on_photo(rig, [opening, 0.5, 0.0], s)
        changed.append(int((np.abs(frame[y0:y1, x0:x1] - closed).max(axis=2) > 0.1).sum()))
    assert changed[0] > 50 and all(b > a + 100 for a, b in zip(changed, changed[1:], strict=False)), changed
    dark = (render_on_photo(rig, [1.0, 0.5, 0.0], s)[0][y0:y1, x0:x1].mean(axis=2) < 0.2).sum()
    assert dark > 500  # the open interior
    width = rig.landmarks[54, 0] - rig.landmarks[48, 0]
    gap = articulate(rig.landmarks, np.array([1.0, 0.5, 0.0]), s)[[66, 62]] @ np.array([0.0, 1.0])
    assert gap[0] - gap[1] == pytest.approx(s.max_open * width, rel=0.1)


def test_closed_mouth_is_the_photo(rig, real_settings):
    frame, box = render_on_photo(rig, NEUTRAL, real_settings.mouth.warp)
    x0, y0, x1, y1 = np.round(box).astype(int)
    near = np.s_[y0 - 20 : y1 + 20, x0 - 20 : x1 + 20]
    assert np.abs(frame[near] - rig.pixels[near]).mean() < 0.01
    assert np.array_equal(frame[: y0 - 80], rig.pixels[: y0 - 80])  # the eyes and above: untouched


def test_width_and_round_move_the_corners(rig, real_settings):
    s = real_settings.mouth.warp
    spread = [np.ptp(articulate(rig.landmarks, np.array([0.3, w, r]), s)[[48, 54], 0]) for w, r in
              ((0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.5, 1.0))]  # fmt: skip
    assert spread[0] < spread[1] < spread[2] and spread[3] < spread[1]


def test_warp_is_deterministic_and_boxed(rig, real_settings):
    s = real_settings.mouth.warp
    frame, box = render_on_photo(rig, [0.9, 0.6, 0.2], s)
    again, _ = render_on_photo(rig, [0.9, 0.6, 0.2], s)
    assert np.array_equal(frame, again)
    change = np.abs(frame - rig.pixels).sum(axis=2)
    x0, y0, x1, y1 = np.round(box).astype(int)
    inside = change[y0:y1, x0:x1].sum()
    assert inside / change.sum() > 0.15  # measured 0.26: the rest is the chin, cheeks and neck moving with the jaw
    inner = articulated_mesh(rig, np.array([0.9, 0.6, 0.2]), s)[60:68]  # the painted opening's outline
    assert np.all((inner >= box[:2]) & (inner <= box[2:]))
    painted = (frame.mean(axis=2) < 0.2) & (rig.pixels.mean(axis=2) >= 0.2)  # new dark pixels
    assert painted[y0:y1, x0:x1].sum() > 500


@pytest.mark.parametrize(("photo", "floor"), [("astronaut", 0.95), ("grace_hopper", 0.92)])
def test_dlib_reads_the_opening(real_settings, photo, floor):
    """One 256 px clip (~100 frames) of ``photo``: dlib finds every frame and its inner-lip
    opening follows the truth (measured 0.990 astronaut, 0.962 grace_hopper on this clip; 4 s each)."""
    faces = load_params(ROOT / "params.yaml").evaluation.faces
    reading = read_mouth(real_settings, photo, "warp", 1, face_landmarker(faces))
    assert reading.found_share == 1.0 and reading.correlation > floor, (reading.found_share, reading.correlation)
