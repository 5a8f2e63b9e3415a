"""Bring one video to the pipeline's standard: constant 25 fps H.264 and 16 kHz mono audio.

A file that already conforms is copied byte for byte (fast and lossless); anything else is
decoded, resampled to a constant frame rate by presentation time, downscaled to the
longest side in params, and encoded again with fixed x264 settings and thread count.
Frames stream through, so a long 4K clip never sits in memory whole.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import soundfile

from lipsync.atomic import atomic_path
from lipsync.media.probe import MediaInfo
from lipsync.media.reader import fit_length, iter_frames, read_audio
from lipsync.media.writer import write_mp4

MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"


@dataclass(frozen=True)
class Normalised:
    frames: int
    width: int
    height: int
    notes: tuple[str, ...]


def conforms(info: MediaInfo, fps: int, max_side: int) -> bool:
    return (
        info.container == MP4_FAMILY
        and info.video_codec == "h264"
        and not info.variable_frame_rate
        and info.fps is not None
        and abs(info.fps - fps) < 1e-3
        and max(info.width, info.height) <= max_side
        and info.width % 2 == 0
        and info.height % 2 == 0
    )


def target_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Even (width, height) with the longest side at most ``max_side``, aspect kept."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def normalise_video(src, dst_video, dst_audio, info: MediaInfo, params) -> Normalised:
    """Write ``dst_video`` (mp4) and ``dst_audio`` (16-bit mono wav) for ``src``.

    ``params`` is :class:`lipsync.ingest.settings.IngestSettings`. The audio is cut or padded to the
    video's length (frames / fps) so the two streams stay aligned sample for frame.
    """
    notes = []
    audio = read_audio(src, params.sample_rate)
    if conforms(info, params.fps, params.max_side):
        frames = info.frames
        with atomic_path(dst_video) as tmp:
            shutil.copyfile(src, tmp)
        width, height = info.width, info.height
    else:
        width, height = target_size(info.width, info.height, params.max_side)
        if info.variable_frame_rate:
            rates = f"{info.min_fps:.1f}-{info.max_fps:.1f} fps"
            notes.append(f"variable frame rate ({rates}) resampled to {params.fps} fps")
        elif info.fps and abs(info.fps - params.fps) >= 1e-3:
            notes.append(f"frame rate {info.fps:.3f} fps resampled to {params.fps} fps")
        if (width, height) != (info.width, info.height):
            notes.append(f"downscaled from {info.width}x{info.height} to {width}x{height}")
        if info.video_codec != "h264" or info.container != MP4_FAMILY:
            notes.append(f"re-encoded from {info.video_codec} in {info.container.split(',')[0]}")
        frames = _frame_count(info, params.fps)
        dst_video.parent.mkdir(parents=True, exist_ok=True)
        samples = int(round(frames * params.sample_rate / params.fps))
        write_mp4(
            dst_video,
            _constant_rate(src, params.fps, frames, (width, height)),
            params.fps,
            fit_length(audio, samples),
            params.sample_rate,
            crf=params.crf,
            threads=params.encoder_threads,
            preset=params.preset,
        )
    if info.sample_rate != params.sample_rate or info.channels != 1:
        notes.append(f"audio {info.sample_rate} Hz x{info.channels} resampled to {params.sample_rate} Hz mono")
    samples = int(round(frames * params.sample_rate / params.fps))
    with atomic_path(dst_audio) as tmp:
        soundfile.write(str(tmp), fit_length(audio, samples), params.sample_rate, subtype="PCM_16")
    return Normalised(frames, width, height, tuple(notes))


def _frame_count(info: MediaInfo, fps: int) -> int:
    """Output frames covering the source's video duration at ``fps``."""
    span = info.frames / info.fps if info.fps else info.duration_s
    return max(1, int(round(span * fps)))


def _constant_rate(src, fps: int, count: int, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """For output time k/fps, the latest source frame shown at or before it (uint8 RGB)."""
    k, start, last = 0, None, None
    for t, frame in iter_frames(src):
        start = t if start is None else start
        frame = frame if frame.shape[1::-1] == size else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        while k < count and (t - start) > k / fps + 1e-6:
            yield last if last is not None else frame
            k += 1
        last = frame
    while k < count and last is not None:
        yield last
        k += 1
