"""Bring one video to the pipeline's standard: constant 25 fps H.264 and 16 kHz mono audio.

A file that already conforms (H.264 yuv420p 8-bit in MP4, 25 fps, even size within
``max_side``, no display rotation, no video to trim, streams starting together) is copied byte for byte (fast and
lossless); anything else is decoded, turned upright, resampled to a constant frame rate by
presentation time, downscaled to the longest side in params, and encoded again with fixed
x264 settings and thread count. Frames stream through, so a long 4K clip never sits in
memory whole. The audio is put on the video's clock (:mod:`lipsync.ingest.alignment`), so
the clip is in sync exactly when the source plays in sync.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import soundfile

from lipsync.atomic import atomic_path
from lipsync.ingest.alignment import align_audio, common_frames
from lipsync.media.probe import MediaInfo
from lipsync.media.reader import fit_length, iter_frames, read_timed_audio
from lipsync.media.writer import write_mp4

log = logging.getLogger("lipsync")
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
        and info.pix_fmt == "yuv420p"
        and info.rotation == 0
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

    ``params`` is :class:`lipsync.ingest.settings.IngestSettings`. The audio is placed from the
    first video frame (the offset between the streams' start times is honoured), then both
    streams are trimmed to the shorter (frames / fps seconds) so they stay aligned sample for
    frame. Raises :class:`lipsync.ingest.alignment.LengthMismatch` when their lengths differ by
    more than ``params.av_length_tolerance_s``.
    """
    audio, frames, shifted, notes = _aligned_streams(src, info, params)
    samples = int(round(frames * params.sample_rate / params.fps))
    # a copy keeps the source's audio track and its start offset: copy only clips needing neither fix
    if conforms(info, params.fps, params.max_side) and frames == info.frames and not shifted:
        with atomic_path(dst_video) as tmp:
            shutil.copyfile(src, tmp)
        width, height = info.width, info.height
    else:
        width, height = _upright_size(info, params.max_side)
        notes += _video_notes(info, params, (width, height))
        dst_video.parent.mkdir(parents=True, exist_ok=True)
        write_mp4(
            dst_video,
            _constant_rate(src, params.fps, frames, (width, height), info.rotation),
            params.fps,
            fit_length(audio, samples),
            params.sample_rate,
            crf=params.crf,
            threads=params.encoder_threads,
            preset=params.preset,
        )
    if info.sample_rate != params.sample_rate or info.channels != 1:
        notes.append(f"audio {info.sample_rate} Hz x{info.channels} resampled to {params.sample_rate} Hz mono")
    with atomic_path(dst_audio) as tmp:
        soundfile.write(str(tmp), fit_length(audio, samples), params.sample_rate, subtype="PCM_16")
    return Normalised(frames, width, height, tuple(notes))


def _aligned_streams(src, info: MediaInfo, params) -> tuple[np.ndarray, int, bool, list[str]]:
    """The audio on the video's clock (float32 (N,) at ``params.sample_rate``), the clip's frame
    count after trimming both streams to the shorter, whether the audio was shifted, the notes."""
    timed = read_timed_audio(src, params.sample_rate)
    offset = timed.start_s - (info.video_start_s or 0.0)
    audio, offset_note = align_audio(timed.samples, offset, params.sample_rate)
    if offset_note:
        log.info("ingest: %s: %s", src, offset_note)
    # a gap of one video frame plus one audio codec frame is only codec padding: no note
    slack_s = 1.0 / params.fps + timed.codec_frame_s
    frames, length_note = common_frames(
        _frame_count(info, params.fps), len(audio) / params.sample_rate, params.fps,
        params.av_length_tolerance_s, slack_s,
    )  # fmt: skip
    return audio, frames, bool(offset_note), [note for note in (offset_note, length_note) if note]


def _upright_size(info: MediaInfo, max_side: int) -> tuple[int, int]:
    """Output (width, height): the displayed picture (a quarter turn swaps the sides), scaled."""
    width, height = (info.height, info.width) if info.rotation in (90, 270) else (info.width, info.height)
    return target_size(width, height, max_side)


def _video_notes(info: MediaInfo, params, size: tuple[int, int]) -> list[str]:
    """Why the video was re-encoded rather than copied (a trimmed length is noted elsewhere)."""
    notes = []
    if info.variable_frame_rate:
        rates = f"{info.min_fps:.1f}-{info.max_fps:.1f} fps"
        notes.append(f"variable frame rate ({rates}) resampled to {params.fps} fps")
    elif info.fps and abs(info.fps - params.fps) >= 1e-3:
        notes.append(f"frame rate {info.fps:.3f} fps resampled to {params.fps} fps")
    if info.rotation:
        notes.append(f"rotated {info.rotation} degrees counterclockwise (display matrix): upright now")
    upright = (info.height, info.width) if info.rotation in (90, 270) else (info.width, info.height)
    if size != upright:
        notes.append(f"downscaled from {upright[0]}x{upright[1]} to {size[0]}x{size[1]}")
    if info.video_codec != "h264" or info.container != MP4_FAMILY:
        notes.append(f"re-encoded from {info.video_codec} in {info.container.split(',')[0]}")
    elif info.pix_fmt != "yuv420p":
        notes.append(f"re-encoded from h264 {info.pix_fmt} to yuv420p 8-bit")
    return notes


def _frame_count(info: MediaInfo, fps: int) -> int:
    """Output frames covering the source's video duration at ``fps``."""
    span = info.frames / info.fps if info.fps else info.duration_s
    return max(1, int(round(span * fps)))


def _constant_rate(src, fps: int, count: int, size: tuple[int, int], rotation: int) -> Iterator[np.ndarray]:
    """For output time k/fps, the latest source frame shown at or before it (uint8 RGB),
    turned ``rotation`` degrees counterclockwise (as FFmpeg's players display it)."""
    k, start, last = 0, None, None
    for t, frame in iter_frames(src):
        start = t if start is None else start
        frame = np.ascontiguousarray(np.rot90(frame, rotation // 90)) if rotation else frame
        frame = frame if frame.shape[1::-1] == size else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        while k < count and (t - start) > k / fps + 1e-6:
            yield last if last is not None else frame
            k += 1
        last = frame
    while k < count and last is not None:
        yield last
        k += 1
