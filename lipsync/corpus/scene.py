"""A speaker's scene: the lit photo, its per-frame placement in the frame, and head motion.

Lighting and background are applied to the photo once per clip, in photo coordinates (they
move with the photo, as a small camera/head motion would show them). Each frame is then one
affine warp of that photo: scale and roll about the face-box centre, placing it at the
speaker's framing offset, plus smooth sinusoidal motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lipsync.corpus.settings import LightingSettings, MotionSettings, PhotoSettings
from lipsync.corpus.speakers import Look


@dataclass(frozen=True)
class Lighting:
    """A speaker's light as a function of photo position: rgb -> lit rgb (see :func:`light`)."""

    look: Look
    centre: tuple[float, float]  # face-box centre, photo px
    reach: float  # distance over which the ramp changes by ``gradient``, photo px

    def factor(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Multiplicative brightness at photo position(s) (x, y), before tint/gamma."""
        look = self.look
        along = (np.asarray(x) - self.centre[0]) * math.cos(look.gradient_angle)
        along = along + (np.asarray(y) - self.centre[1]) * math.sin(look.gradient_angle)
        return look.gain * np.clip(1.0 + look.gradient * along / self.reach, 0.5, 1.5)

    def apply(self, rgb: np.ndarray, factor: np.ndarray | float) -> np.ndarray:
        """rgb float (..., 3) in [0, 1] under brightness ``factor`` (broadcast to (...,))."""
        lit = rgb * np.asarray(factor)[..., None] * np.asarray(self.look.tint, dtype=np.float32)
        return np.clip(lit, 0.0, 1.0) ** self.look.gamma


def lighting_for(look: Look, photo: PhotoSettings) -> Lighting:
    x0, y0, x1, y1 = photo.face_box
    return Lighting(look, ((x0 + x1) / 2, (y0 + y1) / 2), 2.0 * (x1 - x0))


def lit_photo(pixels: np.ndarray, photo: PhotoSettings, lighting: Lighting, settings: LightingSettings) -> np.ndarray:
    """Background blend + lighting of a float32 (H, W, 3) photo in [0, 1] -> float32 (H, W, 3)."""
    h, w = pixels.shape[:2]
    ys, xs = np.mgrid[:h, :w].astype(np.float32)
    x0, y0, x1, y1 = photo.face_box
    half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - settings.head_lift * 2 * half_h
    radius = np.sqrt(
        ((xs - cx) / (settings.head_scale[0] * half_w)) ** 2 + ((ys - cy) / (settings.head_scale[1] * half_h)) ** 2
    )
    outside = np.clip((radius - 1.0) / settings.head_feather, 0.0, 1.0) * lighting.look.background
    top, bottom = (np.asarray(c, dtype=np.float32) for c in lighting.look.background_colors)
    t = (ys / max(h - 1, 1))[..., None]
    backdrop = top * (1.0 - t) + bottom * t
    mixed = pixels * (1.0 - outside[..., None]) + backdrop * outside[..., None]
    return lighting.apply(mixed, lighting.factor(xs, ys)).astype(np.float32)


@dataclass(frozen=True)
class Motion:
    """Sums of sinusoids: amplitude, frequency (Hz), phase (rad), each (4, K) for x, y, roll, scale."""

    amplitude: np.ndarray
    frequency: np.ndarray
    phase: np.ndarray

    def at(self, t: float) -> np.ndarray:
        """(4,) dx, dy (face widths), roll (degrees), relative scale at time t seconds."""
        return (self.amplitude * np.sin(2 * np.pi * self.frequency * t + self.phase)).sum(axis=1)


def draw_motion(rng: np.random.Generator, settings: MotionSettings) -> Motion:
    k = settings.components
    peak = np.array([settings.shift, settings.shift, settings.roll_degrees, settings.scale])[:, None]
    return Motion(
        amplitude=np.repeat(peak, k, axis=1),
        frequency=rng.uniform(*settings.frequency, (4, k)),
        phase=rng.uniform(0.0, 2 * np.pi, (4, k)),
    )


def frame_transform(photo: PhotoSettings, look: Look, frame_size: int, motion: np.ndarray) -> np.ndarray:
    """float64 (2, 3) affine, photo px -> frame px, for one frame's ``motion`` (see Motion.at)."""
    x0, y0, x1, y1 = photo.face_box
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    face_px = look.face_width * frame_size
    scale = face_px / (x1 - x0) * (1.0 + motion[3])
    angle = math.radians(look.roll + motion[2])
    linear = scale * np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    target = frame_size * (0.5 + np.asarray(look.offset)) + face_px * motion[:2]
    return np.hstack([linear, (target - linear @ centre)[:, None]])


def apply_transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(2, 3) affine on points (..., 2) -> (..., 2)."""
    return points @ matrix[:, :2].T + matrix[:, 2]
