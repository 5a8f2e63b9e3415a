"""Draw a parametric mouth (lips, dark interior, upper teeth) onto a frame, anti-aliased.

The mouth lives in a local frame at the (moving) mouth corners: x along the corner-to-corner
axis, y towards the chin, in output pixels. Its outline is a pair of curves per lip,
``(1 - x^2)^p`` shaped, so the lips taper into the corners; the opening is a lens that
becomes rounder and narrower with ``round``. Coverage is a clipped signed vertical distance
to each curve (a one-pixel ramp), which anti-aliases the edges without supersampling. With
open = 0 the opening collapses into the thin dark seam of closed lips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.corpus.settings import MouthSettings


@dataclass(frozen=True)
class MouthColors:
    """Lit colours of one clip's mouth: float32 (3,) RGB in [0, 1] each."""

    lip: np.ndarray
    teeth: np.ndarray
    interior: np.ndarray


def draw_mouth(
    frame: np.ndarray, corners: np.ndarray, params: np.ndarray, colors: MouthColors, settings: MouthSettings
) -> np.ndarray:
    """Draw in place on ``frame`` float32 (H, W, 3) in [0, 1].

    corners: (2, 2) left and right neutral mouth corners (x, y) in frame pixels (pixel i
        spans [i, i + 1), so its centre is i + 0.5).
    params: (3,) open, width, round in [0, 1].
    Returns the drawn lips' box float32 (4,) x0, y0, x1, y1 in frame pixels (may extend
    past the frame edges).
    """
    shape = _MouthShape.build(corners, params, settings)
    x0, y0, x1, y1 = shape.box()
    h, w = frame.shape[:2]
    px0, py0 = max(0, int(np.floor(x0)) - 1), max(0, int(np.floor(y0)) - 1)
    px1, py1 = min(w, int(np.ceil(x1)) + 2), min(h, int(np.ceil(y1)) + 2)
    if px0 < px1 and py0 < py1:
        patch = frame[py0:py1, px0:px1]
        ys, xs = np.mgrid[py0:py1, px0:px1].astype(np.float32) + 0.5  # pixel centres
        _paint(patch, shape, xs, ys, colors, settings)
    return np.array([x0, y0, x1, y1], dtype=np.float32)


@dataclass(frozen=True)
class _MouthShape:
    centre: np.ndarray  # (2,) frame px
    axis: np.ndarray  # (2,) unit vector, left -> right corner
    normal: np.ndarray  # (2,) unit vector towards the chin
    half_width: float  # px
    upper_open: float  # opening above the centre line at x = 0, px
    lower_open: float  # opening below it, px
    upper_lip: float  # lip thickness at x = 0, px
    lower_lip: float
    power: float  # exponent of the opening's profile (1 = lens, 0.5 = ellipse)
    inner_span: float  # the opening's half-width as a fraction of half_width
    teeth: float  # visible teeth height at x = 0, px

    @staticmethod
    def build(corners: np.ndarray, params: np.ndarray, s: MouthSettings) -> _MouthShape:
        left, right = np.asarray(corners, dtype=np.float64)
        size = float(np.linalg.norm(right - left))
        axis = (right - left) / max(size, 1e-6)
        normal = np.array([-axis[1], axis[0]])
        opening, width, rounding = (float(v) for v in params)
        height = opening * s.max_open * size
        thicken = 1.0 + s.round_thicken * rounding
        return _MouthShape(
            centre=(left + right) / 2 + s.drop * size * normal,
            axis=axis,
            normal=normal,
            half_width=0.5 * size * (1.0 + s.width_gain * (width - 0.5)),
            upper_open=(1.0 - s.lower_share) * height,
            lower_open=s.lower_share * height,
            upper_lip=s.upper_lip * size * thicken,
            lower_lip=s.lower_lip * size * thicken,
            power=1.0 - 0.5 * rounding,
            inner_span=1.0 - s.round_narrow * rounding,
            teeth=min(s.teeth * size, 0.5 * height),
        )

    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounds of the outer lip outline, frame px."""
        top, bottom = -(self.upper_open + self.upper_lip), self.lower_open + self.lower_lip
        local = np.array([[-1, top], [1, top], [1, bottom], [-1, bottom]], dtype=np.float64)
        local[:, 0] *= self.half_width
        points = self.centre + local[:, :1] * self.axis + local[:, 1:] * self.normal
        return (*points.min(axis=0), *points.max(axis=0))


def _paint(patch, shape: _MouthShape, xs, ys, colors: MouthColors, s: MouthSettings) -> None:
    dx, dy = xs - shape.centre[0], ys - shape.centre[1]
    along = dx * shape.axis[0] + dy * shape.axis[1]  # px along the corner axis
    y = dx * shape.normal[0] + dy * shape.normal[1]  # px towards the chin
    xn = along / max(shape.half_width, 1e-6)
    taper = np.sqrt(np.clip(1.0 - xn**2, 0.0, 1.0))  # lips: (1 - x^2)^0.5
    profile = np.clip(1.0 - (xn / shape.inner_span) ** 2, 0.0, 1.0) ** shape.power  # the opening

    inner_top, inner_bottom = -shape.upper_open * profile, shape.lower_open * profile
    outer_top, outer_bottom = inner_top - shape.upper_lip * taper, inner_bottom + shape.lower_lip * taper
    ramp, lip_ramp = 1.0 / s.edge_px, 1.0 / s.lip_edge_px
    lips = _between(y, outer_top, outer_bottom, lip_ramp) * _ramp((1.0 - np.abs(xn)) * shape.half_width, lip_ramp)
    lips = lips * s.lip_opacity
    inside = _between(y, inner_top, inner_bottom, ramp) * _ramp(
        (shape.inner_span - np.abs(xn)) * shape.half_width, ramp
    )
    teeth = inside * _ramp(inner_top + shape.teeth * profile - y, ramp)

    middle = 0.5 * (inner_top + inner_bottom)
    lower_share = _ramp(y - middle, ramp)[..., None]
    highlight = np.exp(-(((y - inner_bottom - 0.45 * shape.lower_lip * taper) / (0.3 * shape.lower_lip + 0.5)) ** 2))
    lower = colors.lip * (1.0 + s.shine * (highlight * taper)[..., None])
    lip_rgb = colors.lip * s.upper_shade * (1.0 - lower_share) + lower * lower_share
    teeth_rgb = colors.teeth * (1.0 - s.teeth_shade * np.clip(xn, -1, 1) ** 2)[..., None]

    out = patch * (1.0 - lips[..., None]) + lip_rgb * lips[..., None]
    out = out * (1.0 - inside[..., None]) + colors.interior * inside[..., None]
    out = out * (1.0 - teeth[..., None]) + teeth_rgb * teeth[..., None]
    patch[...] = np.clip(out, 0.0, 1.0)


def _ramp(distance: np.ndarray, ramp: float) -> np.ndarray:
    """Coverage from a signed distance in px (positive inside), a 1/ramp px wide edge."""
    return np.clip(distance * ramp + 0.5, 0.0, 1.0)


def _between(y: np.ndarray, top: np.ndarray, bottom: np.ndarray, ramp: float) -> np.ndarray:
    return _ramp(np.minimum(y - top, bottom - y), ramp)
