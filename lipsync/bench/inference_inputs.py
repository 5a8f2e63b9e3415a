"""Inputs of ``lipsync bench inference``, made on the spot: a real face photo moving slowly in a
frame of any size (streamed to the encoder, so a 3-minute 720p video never sits in memory), the
photo itself, and a speech-like signal (syllable-rate bursts of a voiced tone over a noise floor)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

FACE_BOX = np.float32([181.0, 86.0, 269.0, 178.0])  # the astronaut's face, photo pixels (params.yaml corpus.photos)


def _photo() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()  # uint8 (512, 512, 3) RGB


def photo_file(path: Path) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(_photo(), cv2.COLOR_RGB2BGR))
    return path


def face_video(path: Path, size: tuple[int, int], seconds: float, fps: int = 25) -> Path:
    """An H.264 mp4 of (width, height) ``size``: the face about a third of the height, drifting and breathing."""
    from lipsync.media.writer import write_mp4

    frames = _moving(_photo(), size, round(seconds * fps))
    write_mp4(path, frames, fps, None, 16000, crf=18, threads=2, preset="ultrafast")
    return path


def _moving(photo: np.ndarray, size: tuple[int, int], count: int) -> Iterator[np.ndarray]:
    width, height = size
    centre = (FACE_BOX[:2] + FACE_BOX[2:]) / 2
    base = 0.33 * height / float(FACE_BOX[3] - FACE_BOX[1])
    for t in range(count):
        scale = base * (1 + 0.04 * np.sin(2 * np.pi * t / 90))
        target = np.array(
            [width * (0.5 + 0.04 * np.sin(2 * np.pi * t / 120)), height * (0.45 + 0.03 * np.sin(2 * np.pi * t / 75))]
        )
        shift = target - scale * centre
        warp = np.float32([[scale, 0, shift[0]], [0, scale, shift[1]]])
        yield cv2.warpAffine(photo, warp, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def speech_file(path: Path, seconds: float, rate: int) -> Path:
    """A 16-bit wav: 4 syllables a second of a 150 Hz voiced tone with pauses, over faint noise."""
    from lipsync.media.writer import write_wav

    t = np.arange(int(seconds * rate)) / rate
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (np.sin(2 * np.pi * 0.3 * t) > -0.6)
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
    noise = np.random.default_rng(0).normal(0, 0.003, len(t))
    write_wav(path, (0.25 * syllables * voiced + noise).astype(np.float32), rate)
    return path
