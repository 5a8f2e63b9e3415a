"""Move the photo's own lips and jaw with the articulation: a piecewise-affine warp on dlib's 68 points.

The photo's 68 landmarks (:func:`photo_landmarks`, dlib's HOG detector and 68-point predictor,
once per photo) are moved per frame by the mouth parameters (:func:`articulate`): the lower lip
and the chin drop with ``open`` (the upper lip rises a little), the corners move out with
``width`` and in with ``round``, and ``round`` thickens (pouts) the lips. The triangles of a
fixed Delaunay mesh over the 68 points and a ring of still points around the face carry the
photo from the neutral to the moved points: every output pixel of a moved triangle samples the
photo where its barycentric coordinates point (one bilinear resampling straight from the photo,
composed with the frame's affine transform), so the lips keep their own texture, shading and
outline. Inside the opened inner-lip polygon the mouth interior and the upper and lower teeth
are painted, anti-aliased (``cv2.fillPoly`` with ``LINE_AA`` at 1/16 px), in colours taken from
the lit photo: the interior a darkened lip colour, the teeth the skin's brightness, nearly grey.

Why our own warp: ``skimage.transform.PiecewiseAffineTransform`` + ``warp`` re-triangulates and
searches simplices for every pixel of the output on each call: 197 ms per 256 px frame on this
mesh (5 frames, load 3.4 on 2 cores) against a few ms here, where only the triangles that move
are rasterised (``cv2.fillConvexPoly`` labels), over the mouth's patch, with a triangulation made
once per photo (on the widest articulation, so no triangle is degenerate where it matters).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from lipsync.corpus.settings import LipWarpSettings, PhotoSettings

INNER_UPPER, INNER_LOWER = (61, 62, 63), (67, 66, 65)
OUTER_UPPER, OUTER_LOWER = (49, 50, 51, 52, 53), (59, 58, 57, 56, 55)
JAW = tuple(range(4, 13))  # jaw contour points that follow the chin
_SHIFT = 4  # fillPoly fractional bits: 1/16 px vertices


@dataclass(frozen=True)
class MouthFrame:
    """The photo's mouth geometry, photo pixels: unit = corner-to-corner distance (48-54);
    axis: (2,) unit vector left -> right corner; normal: (2,) unit vector towards the chin;
    gap: the photo's own inner-lip opening along the normal; upper_lip, lower_lip: thickness
    of each lip at the middle (51-62, 66-57), all px."""

    unit: float
    axis: np.ndarray
    normal: np.ndarray
    gap: float
    upper_lip: float
    lower_lip: float

    @staticmethod
    def of(points: np.ndarray) -> MouthFrame:
        left, right = points[48], points[54]
        unit = float(np.linalg.norm(right - left))
        axis = (right - left) / max(unit, 1e-6)
        normal = np.array([-axis[1], axis[0]])
        gaps = [(points[b] - points[a]) @ normal for a, b in zip(INNER_UPPER, INNER_LOWER, strict=True)]
        return MouthFrame(
            unit=unit,
            axis=axis,
            normal=normal,
            gap=max(0.0, float(np.mean(gaps))),
            upper_lip=max(0.0, float((points[62] - points[51]) @ normal)),
            lower_lip=max(0.0, float((points[57] - points[66]) @ normal)),
        )


def articulate(points: np.ndarray, params: np.ndarray, s: LipWarpSettings) -> np.ndarray:
    """float64 (68, 2) moved landmarks of neutral ``points`` (68, 2) for params (3,) open, width, round.

    The inner-lip gap becomes ``open * max_open`` mouth widths (a photo with parted lips is
    closed at open = 0), split ``lower_share`` below and the rest above; the chin follows the
    lower lip. Points away from the middle move by ``side``/``far`` of it (the opening's
    profile, rounder with ``round``).
    """
    m = MouthFrame.of(points)
    opening, width, rounding = (float(v) for v in params)
    target = opening * s.max_open * m.unit  # the middle's gap, px
    side = s.side_profile[0] + s.side_profile[1] * rounding
    far = s.far_profile[0] + s.far_profile[1] * rounding
    profile = {62: 1.0, 66: 1.0, 51: 1.0, 57: 1.0, 61: side, 63: side, 65: side, 67: side}
    profile |= {50: side, 52: side, 56: side, 58: side, 49: far, 53: far, 55: far, 59: far}
    along = np.zeros(68)
    vertical = np.zeros(68)
    for a, b in zip(INNER_UPPER, INNER_LOWER, strict=True):  # each pair closes its own gap first
        change = target * profile[a] - max(0.0, float((points[b] - points[a]) @ m.normal))
        vertical[a], vertical[b] = -(1.0 - s.lower_share) * change, s.lower_share * change
    change = target - m.gap
    down, up = s.lower_share * change, (1.0 - s.lower_share) * change
    for i in OUTER_UPPER:
        vertical[i] = -up * profile[i] * s.upper_outer_follow - s.round_thicken * rounding * m.upper_lip * profile[i]
    for i in OUTER_LOWER:
        vertical[i] = down * profile[i] + s.round_thicken * rounding * m.lower_lip * profile[i]
    for i, weight in zip(JAW, s.jaw_weights, strict=True):
        vertical[i] = max(down, 0.0) * s.jaw_follow * weight
    spread = 0.5 * m.unit * (s.width_gain * (width - 0.5) - s.round_narrow * rounding)  # corners outwards, px
    for pairs, share in ((((48, 54), (60, 64)), 1.0), (((49, 53), (59, 55), (61, 63), (67, 65)), 0.5)):
        for left, right in pairs:
            along[left] -= spread * share
            along[right] += spread * share
    moved = points + along[:, None] * m.axis + vertical[:, None] * m.normal
    return moved


@dataclass(frozen=True)
class LipMesh:
    """Triangulation of one photo: points float64 (68 + R, 2) photo px (68 landmarks, then a
    still ring); triangles int (K, 3); moving: bool (K,) triangles with a moving vertex."""

    points: np.ndarray
    triangles: np.ndarray
    moving: np.ndarray


def build_mesh(points: np.ndarray, s: LipWarpSettings) -> LipMesh:
    """The mesh of neutral landmarks (68, 2): Delaunay on the widest-open articulation."""
    points = np.asarray(points, np.float64)
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * (1.0 + s.ring_margin) * np.sqrt(2.0)
    angles = np.arange(s.ring_points) * 2 * np.pi / s.ring_points
    ring = centre + half * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # a still contour just outside the jaw keeps the warp (and its cost) to the lower face
    mouth = points[48:68].mean(axis=0)
    jaw = points[2:15]
    outward = (jaw - mouth) / np.linalg.norm(jaw - mouth, axis=1, keepdims=True)
    unit = float(np.linalg.norm(points[54] - points[48]))
    ring = np.vstack([jaw + s.jaw_margin * unit * outward, ring])
    reference = np.vstack([articulate(points, np.array([1.0, 0.5, 0.0]), s), ring])
    triangles = Delaunay(reference).simplices.astype(np.int64)
    still = np.abs(articulate(points, np.array([1.0, 1.0, 1.0]), s) - points).sum(axis=1) == 0
    still &= np.abs(articulate(points, np.array([0.0, 0.0, 1.0]), s) - points).sum(axis=1) == 0
    still = np.concatenate([still, np.ones(len(ring), bool)])
    return LipMesh(np.vstack([points, ring]), triangles, ~still[triangles].all(axis=1))


@dataclass(frozen=True)
class MouthPaint:
    """Lit colours of one clip's mouth interior and teeth: float32 (3,) RGB in [0, 1]."""

    interior: np.ndarray
    teeth: np.ndarray


def mouth_paint(lit: np.ndarray, points: np.ndarray, s: LipWarpSettings) -> MouthPaint:
    """Colours from the lit photo float32 (H, W, 3) and its landmarks (68, 2): the interior is the
    lower lip's median colour darkened; the teeth take the cheeks' brightness, nearly grey."""
    lip = _median_in(lit, points[[48, *OUTER_LOWER, 54, 64, 65, 66, 67, 60]])
    left_cheek = [_median_in(lit, points[[i, 31, 48]]) for i in (3, 4)]
    cheeks = np.vstack([*left_cheek, _median_in(lit, points[[13, 12, 54, 35]])])
    skin = np.median(cheeks, axis=0)
    grey = np.full(3, skin.mean())
    teeth = np.clip(s.teeth_gain * (grey * (1.0 - s.teeth_tint) + skin * s.teeth_tint), 0.0, 1.0)
    return MouthPaint(interior=(lip * s.interior_shade).astype(np.float32), teeth=teeth.astype(np.float32))


def _median_in(image: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * 16).astype(np.int32)], 1, cv2.LINE_8, _SHIFT)
    inside = image[mask.astype(bool)]
    if not len(inside):
        x, y = np.clip(polygon.mean(axis=0).astype(int), 0, np.array(image.shape[1::-1]) - 1)
        return image[y, x].astype(np.float64)
    return np.median(inside.astype(np.float64), axis=0)


def warp_mouth(
    frame: np.ndarray,
    source: np.ndarray,
    to_source: np.ndarray,
    neutral: np.ndarray,
    moved: np.ndarray,
    mesh: LipMesh,
    paint: MouthPaint,
    s: LipWarpSettings,
) -> np.ndarray:
    """Warp the mouth of ``frame`` float32 (H, W, 3) in place and paint the opened interior.

    source: float32 the image ``frame`` was resampled from; to_source: (2, 3) affine from frame
        pixel coordinates (pixel i spans [i, i + 1)) to cv2 coordinates of ``source``.
    neutral, moved: (68 + R, 2) mesh points in frame px before and after articulation.
    Returns the moved mouth's box float32 (4,) x0, y0, x1, y1 in frame px (:func:`lips_box`).
    """
    h, w = frame.shape[:2]
    moving = mesh.triangles[mesh.moving]
    corners = moved[moving].reshape(-1, 2)
    x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 1, (w, h))
    if x0 >= x1 or y0 >= y1:
        return lips_box(moved)
    patch_shape = (y1 - y0, x1 - x0)
    labels = _triangle_labels(moved[moving] - (x0, y0), patch_shape)  # (h, w) int32, -1 outside
    inside = labels >= 0
    if inside.any():
        affine = _affines(moved[moving], neutral[moving])  # (K, 2, 3) moved frame px -> neutral frame px
        affine = np.einsum("ij,kjl->kil", to_source[:, :2], affine)
        affine[:, :, 2] += to_source[:, 2] + affine[:, :, :2] @ np.array([x0 + 0.5, y0 + 0.5])  # patch index ->
        table = np.vstack([affine.reshape(-1, 6), np.zeros((1, 6))]).astype(np.float32)  # source cv2; -1: unused
        c = table[labels]  # (h, w, 6)
        xs = np.arange(patch_shape[1], dtype=np.float32)[None, :]
        ys = np.arange(patch_shape[0], dtype=np.float32)[:, None]
        mx = c[..., 0] * xs + c[..., 1] * ys + c[..., 2]
        my = c[..., 3] * xs + c[..., 4] * ys + c[..., 5]
        warped = cv2.remap(source, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        np.copyto(frame[y0:y1, x0:x1], warped, where=inside[..., None])
    _paint_opening(frame, moved, paint, s)
    return lips_box(moved)


def _triangle_labels(triangles: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """int32 (h, w): index of the triangle (K, 3, 2) patch px covering each pixel centre, -1 for none.

    Triangles are filled in order, so a pixel on a shared edge takes the later one; the map is
    continuous across edges, so which one does not show.
    """
    labels = np.full(shape, -1, np.int32)
    for k, triangle in enumerate(np.round((triangles - 0.5) * (1 << _SHIFT)).astype(np.int32)):
        cv2.fillConvexPoly(labels, triangle, k, cv2.LINE_8, _SHIFT)
    return labels


def _affines(moved: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """float64 (K, 2, 3): per triangle, the affine taking moved (K, 3, 2) corners to neutral ones
    (a collapsed triangle, which covers no pixel, gets the identity)."""
    src = np.concatenate([moved, np.ones((*moved.shape[:2], 1))], axis=2)  # (K, 3, 3)
    det = np.linalg.det(src)
    ok = np.abs(det) > 1e-9
    out = np.tile(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (len(moved), 1, 1))
    out[ok] = np.linalg.solve(src[ok], neutral[ok]).transpose(0, 2, 1)
    return out


def _paint_opening(frame: np.ndarray, moved: np.ndarray, paint: MouthPaint, s: LipWarpSettings) -> None:
    """Dark interior inside the inner lips (60-67), upper and lower teeth bands along them."""
    inner = _smooth_closed(moved[60:68], s.outline_subdivisions)  # (N, 2)
    m = MouthFrame.of(moved[:68])
    lo = np.floor(inner.min(axis=0)).astype(int) - 2
    hi = np.ceil(inner.max(axis=0)).astype(int) + 3
    h, w = frame.shape[:2]
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], w), min(hi[1], h)
    if x0 >= x1 or y0 >= y1:
        return
    offset = np.array([x0, y0], np.float64)
    opening = _coverage(inner - offset, (y1 - y0, x1 - x0))
    if not opening.any():
        return
    upper = _smooth_open(moved[[60, 61, 62, 63, 64]], s.outline_subdivisions)
    lower = _smooth_open(moved[[64, 65, 66, 67, 60]], s.outline_subdivisions)
    gap = float(np.mean([(moved[b] - moved[a]) @ m.normal for a, b in zip(INNER_UPPER, INNER_LOWER, strict=True)]))
    if gap <= 0.0:
        return  # lips together: the photo's own seam between them stays
    opening *= min(1.0, gap / s.seam_px)  # a barely parted mouth is a faint dark line
    upper_band = min(s.upper_teeth * m.unit, s.teeth_share * gap)
    lower_band = min(s.lower_teeth * m.unit, s.teeth_share * gap)
    top_teeth = np.vstack([upper, (upper + upper_band * _taper(len(upper))[:, None] * m.normal)[::-1]])
    low_teeth = np.vstack([lower, (lower - lower_band * _taper(len(lower))[:, None] * m.normal)[::-1]])
    teeth = np.maximum(_coverage(top_teeth - offset, opening.shape), _coverage(low_teeth - offset, opening.shape))
    teeth = np.minimum(teeth, opening)
    patch = frame[y0:y1, x0:x1]
    patch[...] = patch * (1.0 - opening[..., None]) + paint.interior * (opening - teeth)[..., None]
    patch += paint.teeth * teeth[..., None]


def _coverage(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """float32 (H, W) anti-aliased coverage of a polygon (N, 2) in patch px (pixel i spans [i, i + 1))."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round((polygon - 0.5) * (1 << _SHIFT)).astype(np.int32)], 255, cv2.LINE_AA, _SHIFT)
    return mask.astype(np.float32) / 255.0


def _taper(n: int) -> np.ndarray:
    """(n,) 0 at both ends of an open outline, 1 in its middle half (teeth end before the corners)."""
    x = np.linspace(-1.0, 1.0, n)
    return np.clip(2.0 * (1.0 - np.abs(x)), 0.0, 1.0)


def _smooth_closed(points: np.ndarray, k: int) -> np.ndarray:
    """Closed Catmull-Rom curve through (N, 2) points, k samples per segment: (N * k, 2)."""
    p = np.asarray(points, np.float64)
    return _catmull_rom(np.roll(p, 1, 0), p, np.roll(p, -1, 0), np.roll(p, -2, 0), k).reshape(-1, 2)


def _smooth_open(points: np.ndarray, k: int) -> np.ndarray:
    """Open Catmull-Rom curve through (N, 2) points (ends repeated): ((N - 1) * k + 1, 2)."""
    p = np.asarray(points, np.float64)
    padded = np.vstack([p[:1], p, p[-1:]])
    body = _catmull_rom(padded[:-3], padded[1:-2], padded[2:-1], padded[3:], k).reshape(-1, 2)
    return np.vstack([body, p[-1:]])


def _catmull_rom(p0, p1, p2, p3, k: int) -> np.ndarray:
    t = (np.arange(k) / k)[None, :, None]  # (1, k, 1)
    a, b, c, d = (q[:, None, :] for q in (p0, p1, p2, p3))
    return 0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t**2 + (3 * b - a - 3 * c + d) * t**3)


def lips_box(moved: np.ndarray) -> np.ndarray:
    """float32 (4,) x0, y0, x1, y1: bounds of the outer lips (points 48-59 of (68+, 2)), 1 px margin.

    The painted opening lies inside; the chin and cheeks that move with the jaw lie partly
    outside (on grace_hopper at open 0.9, 16-42% of the warp's summed pixel change is inside).
    """
    return np.concatenate([moved[48:60].min(axis=0) - 1.0, moved[48:60].max(axis=0) + 1.0]).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _dlib_models():
    import dlib

    from lipsync.evaluation.landmarks import face_model_file

    return dlib.get_frontal_face_detector(), dlib.shape_predictor(
        str(face_model_file("shape_predictor_68_face_landmarks.dat"))
    )


def photo_landmarks(
    image: np.ndarray, face_box: tuple[float, float, float, float], scales: tuple[int, ...], name: str
) -> np.ndarray:
    """dlib's 68 points float64 (68, 2) of the face in ``face_box`` of uint8 (H, W, 3) ``image``, photo px.

    The photo is enlarged by each of ``scales`` in turn (bicubic) until dlib's detector (no
    upsampling, then one doubling) finds a face overlapping ``face_box``; small faces (the
    ``camera`` photo's 53 px) are found only enlarged. Raises ValueError naming ``name`` if
    none is found.
    """
    detector, predictor = _dlib_models()
    import dlib

    box = np.asarray(face_box, np.float64)
    for scale in scales:
        big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else image
        big = np.ascontiguousarray(big)
        for upsample in (0, 1):
            found = [r for r in detector(big, upsample) if _overlap(r, box * scale) > 0.3]
            if found:
                best = max(found, key=lambda r: _overlap(r, box * scale))
                shape = predictor(big, dlib.rectangle(best.left(), best.top(), best.right(), best.bottom()))
                return (np.float64([(p.x, p.y) for p in shape.parts()]) + 0.5) / scale
    raise ValueError(
        f"corpus photo {name!r}: dlib's face detector found no face in its face_box {face_box} at scales "
        f"{scales}; give the photo's 68 landmarks or use corpus.mouth.renderer: lens"
    )


def _overlap(rect, box: np.ndarray) -> float:
    """Intersection over union of a dlib rectangle and a box (x0, y0, x1, y1)."""
    r = np.float64([rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1])
    w = max(0.0, min(r[2], box[2]) - max(r[0], box[0]))
    h = max(0.0, min(r[3], box[3]) - max(r[1], box[1]))
    union = (r[2] - r[0]) * (r[3] - r[1]) + (box[2] - box[0]) * (box[3] - box[1]) - w * h
    return w * h / union if union > 0 else 0.0


@dataclass(frozen=True)
class PhotoRig:
    """One photo ready to articulate: pixels float32 (H, W, 3) RGB in [0, 1], its own mouth
    (not inpainted); landmarks float64 (68, 2) photo px; mesh over them."""

    pixels: np.ndarray
    landmarks: np.ndarray
    mesh: LipMesh


@functools.lru_cache(maxsize=8)
def photo_rig(photo: PhotoSettings, s: LipWarpSettings) -> PhotoRig:
    """The rig of a corpus photo, its 68 points found by dlib (once per photo and process).

    dlib's own detector box comes first (the predictor was trained on those boxes); where it finds
    no face, the photo's annotated 68 points (``points68``, the photos stage's, predicted in the
    MTCNN box) are used, and without them the error is raised.
    """
    from lipsync.corpus.photos import read_source

    image = read_source(photo.source)
    try:
        points = photo_landmarks(image, photo.face_box, s.detector_scales, photo.source)
    except ValueError:
        if not photo.points68:
            raise
        points = np.asarray(photo.points68, np.float64)
    return rig_from_landmarks(image, points, s)


def rig_from_landmarks(image: np.ndarray, landmarks: np.ndarray, s: LipWarpSettings) -> PhotoRig:
    """The rig of uint8 (H, W, 3) ``image`` with given 68 landmarks (68, 2) photo px (e.g. from
    the photo's annotations)."""
    points = np.asarray(landmarks, np.float64)
    if points.shape != (68, 2) or not np.isfinite(points).all():
        raise ValueError(f"lip warp needs 68 finite (x, y) landmarks, got an array of shape {points.shape}")
    pixels = image.astype(np.float32) / 255.0
    pixels.setflags(write=False)
    return PhotoRig(pixels, points, build_mesh(points, s))


def articulated_mesh(rig: PhotoRig, params: np.ndarray, s: LipWarpSettings) -> np.ndarray:
    """float64 (68 + R, 2) the rig's mesh points, photo px, with the landmarks moved by params (3,)."""
    return np.vstack([articulate(rig.landmarks, params, s), rig.mesh.points[68:]])
