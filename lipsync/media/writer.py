"""Write H.264 + AAC mp4 files (and 16-bit WAVs) atomically and byte-deterministically.

PyAV does the encoding; this module only pins the settings that make the output
reproducible, which neither PyAV nor FFmpeg do by default:

- x264's thread count is fixed (x264 writes different bytes for different thread counts),
- on x86-64, x264's SIMD is pinned to the SSE2 baseline that every x86-64 CPU has. Checked
  here (FFmpeg 8, x264 core 165): with its AVX-512 kernels x264 wrote different bytes on
  repeated runs of the same input in one process (96x96 frames, threads=1), and SSSE3 or
  newer kernels change its decisions, so files would differ between CPUs. The SSE2 kernels
  give the same bytes as x264's plain C, at about 80% of the speed of the newest kernels.
  FFmpeg's own kernels (the AAC encoder's float DSP, swscale's RGB -> YUV) also depend on
  the CPU; this module leaves them alone (they are process-wide): the corpus pins them in
  its workers, see :mod:`lipsync.corpus.baseline_cpu`.
- the muxer and both encoders run with the ``bitexact`` flag, so no library version
  strings or creation times end up in the file,
- the file is written under a temporary name in the same directory and renamed into
  place, so a reader never sees half a file and a crash leaves nothing behind.

AAC priming trap: the AAC encoder prepends priming samples and pads the last 1024-sample
frame, so decoding the audio track back yields slightly more samples than were written
(2.000 s comes back as about 2.048 s). Readers must trim the audio to the expected length,
``n_frames / fps`` seconds for a video, or the length they know from elsewhere.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile

_AUDIO_BIT_RATE = 64_000  # bits/s for mono speech; fixed so files do not depend on FFmpeg defaults
# x264 "asm" cpu flags (see the module docstring); other architectures keep x264's choice.
_X264_ASM = "MMX2,SSE,SSE2" if platform.machine().lower() in ("x86_64", "amd64") else None


def write_mp4(
    path: str | os.PathLike,
    frames: np.ndarray | Iterable[np.ndarray] | None,
    fps: int,
    audio: np.ndarray | None,
    sample_rate: int,
    *,
    crf: int,
    threads: int,
    preset: str = "medium",
    metadata: dict[str, str] | None = None,
) -> None:
    """Write an mp4 with an H.264 video track and/or an AAC mono audio track.

    Args:
        path: output file; must end in ``.mp4``. Replaced atomically if it exists.
        frames: uint8 RGB ``(T, H, W, 3)`` array or an iterable of ``(H, W, 3)`` arrays
            (H and W even, yuv420p), or None for an audio-only file.
        fps: video frames per second (integer).
        audio: float32 mono ``(N,)`` in [-1, 1] at ``sample_rate`` Hz, or None for a
            video-only file.
        sample_rate: audio samples per second.
        crf: x264 constant rate factor (lower = better quality, larger file).
        threads: x264 thread count; the same inputs and thread count give identical bytes.
        preset: x264 speed preset.
        metadata: container tags (``{"comment": ...}``), written as given.

    Raises:
        ValueError: both tracks missing, odd frame dimensions, wrong dtype/shape.
    """
    path = Path(path)
    if frames is None and audio is None:
        raise ValueError(f"{path}: nothing to write (both frames and audio are None)")
    if path.suffix != ".mp4":
        raise ValueError(f"{path}: write_mp4 writes .mp4 files only")
    frame_iter = _checked_frames(path, frames) if frames is not None else None
    first = next(frame_iter, None) if frame_iter is not None else None
    if frames is not None and first is None:
        raise ValueError(f"{path}: frames is empty; pass None for an audio-only file")
    if audio is not None:
        audio = _checked_audio(path, audio)

    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.mp4")
    try:
        with av.open(str(tmp), mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
            container.metadata.update(metadata or {})
            video = _add_video(container, first, fps, crf, threads, preset) if first is not None else None
            sound = _add_audio(container, sample_rate) if audio is not None else None
            if video is not None:
                _encode_video(container, video, first, frame_iter)
            if sound is not None:
                _encode_audio(container, sound, audio, sample_rate)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> None:
    """Write float32 mono ``(N,)`` audio in [-1, 1] as a 16-bit PCM WAV, atomically."""
    path = Path(path)
    audio = _checked_audio(path, audio)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.wav")
    try:
        soundfile.write(str(tmp), audio, sample_rate, subtype="PCM_16", format="WAV")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _checked_frames(path: Path, frames: np.ndarray | Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    shape = None
    for i, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"{path}: frame {i} must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}")
        if shape is None:
            shape = frame.shape
            if shape[0] % 2 or shape[1] % 2:
                raise ValueError(f"{path}: H.264 yuv420p needs even frame sizes, got {shape[1]}x{shape[0]}")
        elif frame.shape != shape:
            raise ValueError(f"{path}: frame {i} has shape {frame.shape}, frame 0 had {shape}")
        yield np.ascontiguousarray(frame)


def _checked_audio(path: Path, audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(f"{path}: audio must be float mono (N,), got {audio.dtype} {audio.shape}")
    return np.clip(audio.astype(np.float32), -1.0, 1.0)


def _add_video(container, first: np.ndarray, fps: int, crf: int, threads: int, preset: str):
    options = {"crf": str(crf), "preset": preset}
    if _X264_ASM:
        options["x264-params"] = f"asm={_X264_ASM}"
    stream = container.add_stream("libx264", rate=Fraction(fps, 1), options=options)
    stream.height, stream.width = first.shape[:2]
    stream.pix_fmt = "yuv420p"
    stream.codec_context.thread_count = threads  # libx264 maps this to its i_threads
    stream.codec_context.flags |= av.codec.context.Flags.bitexact
    return stream


def _add_audio(container, sample_rate: int):
    stream = container.add_stream("aac", rate=sample_rate)
    stream.layout = "mono"
    stream.bit_rate = _AUDIO_BIT_RATE
    stream.codec_context.flags |= av.codec.context.Flags.bitexact
    return stream


def _encode_video(container, stream, first: np.ndarray, rest: Iterator[np.ndarray]) -> None:
    for index, frame in enumerate(_chain(first, rest)):
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        picture.pts = index
        container.mux(stream.encode(picture))
    container.mux(stream.encode(None))


def _encode_audio(container, stream, audio: np.ndarray, sample_rate: int) -> None:
    chunk = 1024 * 16
    for start in range(0, len(audio), chunk):
        frame = av.AudioFrame.from_ndarray(audio[None, start : start + chunk], format="fltp", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
