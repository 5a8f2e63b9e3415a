"""Probe a media file with PyAV: container, streams, rates, duration, frame timing.

Besides packet timing it decodes the first video frame, the one place PyAV exposes the
display matrix (``VideoFrame.rotation``): FFmpeg attaches the stream's matrix to frames.

Errors come back as :class:`MediaError` with a reason a person can act on (empty file,
not a media file, truncated container...), never as a raw FFmpeg traceback.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


class MediaError(Exception):
    """A media file cannot be used; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class MediaInfo:
    container: str
    duration_s: float
    has_video: bool
    has_audio: bool
    audio_streams: int
    video_codec: str | None
    width: int | None
    height: int | None
    pix_fmt: str | None  # decoder pixel format (yuv420p, yuv420p10le, yuv444p...)
    rotation: int  # degrees counterclockwise the picture is turned to display it (0, 90, 180, 270)
    video_start_s: float | None  # presentation time of the first video frame (edit lists applied)
    fps: float | None  # average frame rate
    frames: int | None  # decoded frame count
    variable_frame_rate: bool
    min_fps: float | None
    max_fps: float | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading or raise :class:`MediaError` with the reason."""
    if path.stat().st_size == 0:
        raise MediaError("empty file (0 bytes)")
    try:
        return av.open(str(path), mode="r")
    except av.error.InvalidDataError:
        raise MediaError("not a media file, or a truncated container (FFmpeg found no valid data)") from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open container: {exc}") from None


def probe(path: Path) -> MediaInfo:
    """Inspect ``path``; reads the packet timestamps of the video and decodes its first frame."""
    with open_container(path) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError("no video and no audio stream")
        times, rotation = _scan_video(container, video) if video is not None else (np.zeros(0), 0)
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        rates = 1.0 / np.diff(np.sort(times)) if len(times) > 2 else np.zeros(0)
        rates = rates[np.isfinite(rates)]
        vfr = bool(len(rates) and (rates.max() - rates.min()) > 0.05 * np.median(rates))
        fps = float(video.average_rate) if video is not None and video.average_rate else None
        if fps is None and len(times) > 1:
            fps = float((len(times) - 1) / (times.max() - times.min()))
        return MediaInfo(
            container=container.format.name,
            duration_s=duration,
            has_video=video is not None,
            has_audio=audio is not None,
            audio_streams=len(container.streams.audio),
            video_codec=video.codec_context.name if video is not None else None,
            width=video.codec_context.width if video is not None else None,
            height=video.codec_context.height if video is not None else None,
            pix_fmt=video.codec_context.pix_fmt if video is not None else None,
            rotation=rotation,
            video_start_s=float(times.min()) if len(times) else None,
            fps=fps,
            frames=len(times) if video is not None else None,
            variable_frame_rate=vfr,
            min_fps=float(rates.min()) if len(rates) else fps,
            max_fps=float(rates.max()) if len(rates) else fps,
            audio_codec=audio.codec_context.name if audio is not None else None,
            sample_rate=audio.codec_context.sample_rate if audio is not None else None,
            channels=audio.codec_context.channels if audio is not None else None,
        )


def _scan_video(container, video) -> tuple[np.ndarray, int]:
    """Presentation times (s) of every video packet, in stream order, and the display rotation
    (degrees counterclockwise, rounded to a quarter turn) read from the first decoded frame.
    Packets an edit list marks as discarded are not shown, so they are not counted."""
    base = Fraction(video.time_base)
    times, rotation = [], None
    try:
        for packet in container.demux(video):
            if packet.pts is not None and packet.size and not packet.is_discard:
                times.append(float(packet.pts * base))
            if rotation is None and packet.size:
                rotation = next((_quarter_turns(f.rotation) for f in packet.decode()), None)
    except av.error.FFmpegError as exc:
        raise MediaError(f"truncated or corrupt video data: {exc}") from None
    return np.asarray(times, dtype=np.float64), rotation or 0


def _quarter_turns(degrees: float) -> int:
    return int(round(degrees / 90.0)) % 4 * 90
