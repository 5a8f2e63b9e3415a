"""Put a clip's audio on its video's clock, and decide what to do when their lengths differ.

FFmpeg (and so PyAV) gives every decoded frame its presentation time with the stream's start
offset and the container's edit list applied, but it never lines two streams up for a caller
that takes their samples out of the container: that is the few lines here. Times are seconds
on the source file's clock; the normalised clip starts at the first video frame.
"""

from __future__ import annotations

import numpy as np

from lipsync.media.probe import MediaError


class LengthMismatch(MediaError):
    """Audio and video lengths differ by more than ``ingest.av_length_tolerance_s``."""


def align_audio(audio: np.ndarray, offset_s: float, sample_rate: int) -> tuple[np.ndarray, str]:
    """Audio as heard from the first video frame, and a note ('' when already aligned).

    audio: float32 (N,) at ``sample_rate``; offset_s: audio start minus video start (s).
    Audio starting later gets leading silence; audio starting earlier loses its head.
    """
    shift = int(round(offset_s * sample_rate))
    if shift > 0:
        lead = np.zeros(shift, dtype=audio.dtype)
        return np.concatenate([lead, audio]), f"audio starts {offset_s:.3f} s after the video: silence added before it"
    if shift < 0:
        return audio[-shift:], f"audio starts {-offset_s:.3f} s before the video: its first {-offset_s:.3f} s cut"
    return audio, ""


def common_frames(video_frames: int, audio_s: float, fps: int, tolerance_s: float, slack_s: float) -> tuple[int, str]:
    """Frames of the normalised clip (both streams trimmed to the shorter one) and a note.

    video_frames: the video's length at ``fps``; audio_s: the aligned audio's length (s).
    slack_s: a difference that is only codec padding (one video frame plus one audio codec
    frame) gives no note. Raises :class:`LengthMismatch` beyond ``tolerance_s``.
    """
    video_s = video_frames / fps
    gap = abs(video_s - audio_s)
    if gap > tolerance_s:
        raise LengthMismatch(
            f"audio lasts {audio_s:.2f} s and video {video_s:.2f} s: they differ by {gap:.2f} s, more than "
            f"ingest.av_length_tolerance_s ({tolerance_s:g} s); re-mux the file with matching streams or raise "
            "the tolerance"
        )
    frames = max(1, min(video_frames, int(round(audio_s * fps))))
    if gap <= slack_s:
        return frames, ""
    shorter = "audio" if audio_s < video_s else "video"
    return frames, (
        f"audio {audio_s:.2f} s and video {video_s:.2f} s: both trimmed to the {shorter}'s {frames / fps:.2f} s"
    )
