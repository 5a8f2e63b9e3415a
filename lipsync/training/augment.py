"""Augmentations: what changes between speakers must not decide sync, nor the generated face.

With a handful of training speakers the expert otherwise learns their voices and faces
instead of the link between sound and mouth. Per pair, drawn from the view generator:

- faces (uint8 (3T, H, W), T frames' RGB stacked): mirrored left-right with probability
  1/2; every channel scaled by a gain in [1 - color, 1 + color] (lighting, skin, tint);
  shifted by up to ``shift_px`` pixels in x and y with edge replication (framing);
- mel (float32 (..., 80, 16), normalised log-mel in [-4, 4]): a level offset in
  [-mel_gain, mel_gain] (loudness), and a shift of up to ``mel_shift`` mel bins (pitch and
  formants of another voice), edge-replicated, then clipped to [-4, 4].

The same transform applies to all T frames of a window (and to all audio windows given
together), so mouth motion and relative timing are untouched.

Generator windows (:func:`augment_window`) get one colour transform shared by the target
and the reference frames: a per-channel gain in [1 - color, 1 + color] and, with
``shuffle_channels``, a random permutation of R, G, B. With two or three training faces
the generator otherwise learns their skin instead of copying the reference's; geometry is
left alone so boxes and landmarks stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEL_LIMIT = 4.0  # the normalised log-mel range is [-4, 4]


@dataclass(frozen=True)
class AugmentSettings:
    """flip: mirror with probability 1/2; color: relative gain range per channel; shift_px:
    translation range in pixels; mel_gain: level offset range (normalised log-mel units);
    mel_shift: mel-bin shift range. All zero / false: no augmentation."""

    flip: bool
    color: float
    shift_px: int
    mel_gain: float
    mel_shift: int


@dataclass(frozen=True)
class WindowAugmentSettings:
    """Generator windows: color, the per-channel gain range; shuffle_channels: permute RGB."""

    color: float
    shuffle_channels: bool


def shift_edges(array: np.ndarray, shift: int, axis: int) -> np.ndarray:
    """Move ``array`` by ``shift`` along ``axis``, replicating the edge into the gap."""
    if shift == 0:
        return array
    size = array.shape[axis]
    index = np.clip(np.arange(size) - shift, 0, size - 1)
    return np.take(array, index, axis=axis)


def augment_faces(faces: np.ndarray, rng: np.random.Generator, settings: AugmentSettings) -> np.ndarray:
    """uint8 (3T, H, W) -> uint8 (3T, H, W), one transform for all T frames."""
    if settings.flip and rng.random() < 0.5:
        faces = faces[..., ::-1]
    if settings.shift_px:
        dx, dy = rng.integers(-settings.shift_px, settings.shift_px + 1, size=2)
        faces = shift_edges(shift_edges(faces, int(dx), 2), int(dy), 1)
    if settings.color:
        gains = rng.uniform(1 - settings.color, 1 + settings.color, size=3).astype(np.float32)
        per_channel = np.tile(gains, faces.shape[0] // 3)[:, None, None]  # (3T, 1, 1)
        faces = np.clip(faces.astype(np.float32) * per_channel, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(faces)


def augment_mel(mel: np.ndarray, rng: np.random.Generator, settings: AugmentSettings) -> np.ndarray:
    """float32 (..., 80, 16) -> same shape in [-4, 4]; one transform for all windows given."""
    if settings.mel_shift:
        mel = shift_edges(mel, int(rng.integers(-settings.mel_shift, settings.mel_shift + 1)), mel.ndim - 2)
    if settings.mel_gain:
        mel = mel + np.float32(rng.uniform(-settings.mel_gain, settings.mel_gain))
    return np.clip(mel, -MEL_LIMIT, MEL_LIMIT).astype(np.float32)


def augment_window(window: dict, rng: np.random.Generator, settings: WindowAugmentSettings) -> dict:
    """A generator window with one colour transform applied to its 'target' and 'reference'
    (uint8 (T, S, S, 3) each); the other entries are unchanged."""
    order = rng.permutation(3) if settings.shuffle_channels else np.arange(3)
    gains = rng.uniform(1 - settings.color, 1 + settings.color, size=3).astype(np.float32)
    out = dict(window)
    for name in ("target", "reference"):
        frames = window[name][..., order].astype(np.float32) * gains  # (T, S, S, 3)
        out[name] = np.clip(frames, 0, 255).astype(np.uint8)
    return out
