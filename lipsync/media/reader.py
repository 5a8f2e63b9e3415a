"""Decode video frames and audio with PyAV (threaded FFmpeg decoding).

Times are the decoded frames' presentation times, so a stream's start offset and the edit
lists FFmpeg's demuxers apply (MP4 ``elst``, Matroska block times) are already in them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class TimedAudio:
    """samples: float32 (N,) mono in [-1, 1] at the requested rate. start_s: presentation time of
    the first sample on the file's clock (stream start offset and edit lists applied).
    codec_frame_s: duration of one decoded codec frame (AAC: 1024 source samples), the most a
    codec pads a stream's end by."""

    samples: np.ndarray
    start_s: float
    codec_frame_s: float


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """First audio stream of ``path``, downmixed to mono and resampled: float32 (N,) in [-1, 1]."""
    return read_timed_audio(path, sample_rate).samples


def read_timed_audio(path: Path, sample_rate: int) -> TimedAudio:
    """First audio stream of ``path``, downmixed to mono and resampled, with its start time."""
    with open_container(path) as container:
        if not container.streams.audio:
            raise MediaError("no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks, start, frame_s = [], None, 0.0
        try:
            for frame in container.decode(stream):
                if start is None:
                    start = float(frame.time) if frame.time is not None else 0.0
                    frame_s = frame.samples / frame.sample_rate
                chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
        except av.error.FFmpegError as exc:
            raise MediaError(f"truncated or corrupt audio data: {exc}") from None
        chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
    if not chunks:
        raise MediaError("audio stream has no decodable samples")
    return TimedAudio(np.concatenate(chunks).astype(np.float32), start or 0.0, frame_s)


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
