"""Paste-back: pixels outside the mask are the frame's own, the crop's edges fade out, colours match."""

from __future__ import annotations

import numpy as np

from lipsync.inference.paste import blend_mask, colour_matched, feather_window, fixed_mask, paste
from tests.builders import loaded_params

PASTE = loaded_params().inference.paste


def test_feather_is_zero_at_the_sides_and_bottom_and_one_inside():
    window = feather_window(96, 0.12)
    assert window[:, 0].max() < 0.01 and window[:, -1].max() < 0.01 and window[-1].max() < 0.01
    assert window[:40, 20:76].min() == 1.0  # top and middle untouched (the compositor zeroes the top itself)


def test_fixed_mask_covers_the_lower_face_only():
    mask = fixed_mask(96, PASTE)
    assert mask[:48].max() == 0.0 and mask[70, 48] == 1.0


def test_pixels_outside_the_mask_are_the_frames_own():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    original = frame.copy()
    mask = blend_mask(np.tile(np.linspace(0, 1, 48, dtype=np.float32)[:, None], (1, 48)) ** 2, 48, PASTE)
    mask[:20] = 0.0
    region = (100, 70, 180, 150)  # 80 px square reaching past the right and bottom edges
    paste(frame, region, np.ones((48, 48, 3), np.float32), mask)
    changed = np.any(frame != original, axis=2)
    assert changed.any()
    ys, xs = np.nonzero(changed)
    assert xs.min() >= 100 and ys.min() >= 70 + 20 * 80 // 48 - 2  # nothing above the mask's rows or left of the crop
    inside = frame[ys, xs].astype(int) - original[ys, xs].astype(int)
    assert (inside >= 0).all()  # blended toward white, never past it


def test_colour_matching_removes_a_uniform_colour_step():
    original = np.full((32, 32, 3), 0.5, np.float32)
    generated = original + np.float32([0.1, -0.05, 0.02])
    mask = blend_mask(np.full((32, 32), 0.7, np.float32), 32, PASTE)
    np.testing.assert_allclose(colour_matched(generated, original, mask), original, atol=1e-6)
