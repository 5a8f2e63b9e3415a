"""Decode video frames and audio with PyAV (threaded FFmpeg decoding)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile

from lipsync.media.probe import MediaError, open_container


def iter_frames(path: Path, threads: int = 0) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, frame)`` for every video frame; frame: uint8 (H, W, 3) RGB.

    ``threads=0`` lets FFmpeg pick (frame threading); decode order is presentation order.
    """
    with open_container(path) as container:
        if not container.streams.video:
            raise MediaError("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        base = Fraction(stream.time_base)
        try:
            for frame in container.decode(stream):
                t = float(frame.pts * base) if frame.pts is not None else float(frame.time or 0.0)
                yield t, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise MediaError(f"truncated or corrupt video data: {exc}") from None


def read_frames(path: Path, threads: int = 0) -> np.ndarray:
    """All frames of ``path``: uint8 (T, H, W, 3) RGB."""
    frames = [f for _, f in iter_frames(path, threads)]
    if not frames:
        raise MediaError("video stream has no decodable frames")
    return np.stack(frames)


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """First audio stream of ``path``, downmixed to mono and resampled: float32 (N,) in [-1, 1]."""
    with open_container(path) as container:
        if not container.streams.audio:
            raise MediaError("no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
        except av.error.FFmpegError as exc:
            raise MediaError(f"truncated or corrupt audio data: {exc}") from None
        chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
    if not chunks:
        raise MediaError("audio stream has no decodable samples")
    return np.concatenate(chunks).astype(np.float32)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A mono wav written by ``ingest``: (float32 (N,), sample_rate)."""
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=False)
    return audio, rate


def read_pcm16(path: Path) -> tuple[np.ndarray, int]:
    """A mono wav written by ``ingest`` as its 16-bit samples: (int16 (N,), sample_rate)."""
    audio, rate = soundfile.read(str(path), dtype="int16", always_2d=False)
    return audio, rate


def fit_length(audio: np.ndarray, samples: int) -> np.ndarray:
    """Trim or zero-pad ``audio`` to exactly ``samples`` (AAC adds priming/padding samples)."""
    if len(audio) >= samples:
        return audio[:samples]
    return np.concatenate([audio, np.zeros(samples - len(audio), dtype=audio.dtype)])
