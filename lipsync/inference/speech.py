"""The speech a face is dubbed with: decoded once, its frame count, and a mel window per output frame.

Frame-count rule: audio of ``S`` samples at ``R`` Hz gives ``ceil(S * fps / R)`` output frames
(:func:`frame_count`), so the video covers every sample and is at most one frame (40 ms) longer
than the audio. Output frame ``f`` is generated from the mel window that starts at video frame
``f`` (:func:`lipsync.audio.mel.mel_start_index`, the project's convention): 16 mel frames, 0.2 s
ahead. Past the end of the audio the signal continues as zeros, so the last frames have full
windows, and a stream that ends the same way gets the same windows (:mod:`.mel_stream`).

Silence gate: a window whose loudest bin is under ``silence.level`` is replaced by a flat window
at ``silence.fill``, so every silent frame gets the same mouth (closed, and still on a still face)
whatever noise the recording has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lipsync.audio.mel import MelSettings, log_mel, mel_start_index
from lipsync.inference.settings import SilenceSettings
from lipsync.media.probe import MediaError, open_container
from lipsync.media.reader import read_audio

MAX_TRACK_RATE = 48_000  # Hz: the output's AAC track keeps the input's rate up to this


class SpeechError(ValueError):
    """The audio input cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class Speech:
    """track: float32 (N,) mono at ``track_rate`` Hz, the output's audio; samples, rate: the
    input's own length and rate (they fix the frame count); mel_audio: float32 (M,) mono at
    the mel's rate (16 kHz), what the generator hears."""

    track: np.ndarray
    track_rate: int
    samples: int
    rate: int
    mel_audio: np.ndarray

    def frames(self, fps: int) -> int:
        return frame_count(self.samples, self.rate, fps)

    @property
    def seconds(self) -> float:
        return self.samples / self.rate


def frame_count(samples: int, rate: int, fps: int) -> int:
    """``ceil(samples * fps / rate)`` in exact integer arithmetic: output frames for the audio."""
    return -(-samples * fps // rate)


def read_speech(path: Path, mel: MelSettings, fps: int, window_frames: int) -> Speech:
    """Decode ``path``'s first audio stream (wav, mp3, m4a, flac, or a video's track), downmixed to mono.

    Raises SpeechError naming the file when it has no audio, cannot be decoded, or lasts less
    than one sync window (``window_frames`` frames at ``fps``).
    """
    path = Path(path)
    try:
        rate = _native_rate(path)
        track_rate = min(rate, MAX_TRACK_RATE)
        native = read_audio(path, rate)
        track = native if track_rate == rate else read_audio(path, track_rate)
        mel_audio = native if mel.sample_rate == rate else read_audio(path, mel.sample_rate)
    except (MediaError, FileNotFoundError) as error:
        raise SpeechError(f"audio {path}: {error}") from None
    if len(native) < math.ceil(rate * window_frames / fps):
        raise SpeechError(
            f"audio {path} lasts {len(native) / rate:.3f} s, shorter than one {window_frames / fps:.2f} s sync "
            "window: nothing to lip-sync"
        )
    return Speech(track, track_rate, len(native), rate, mel_audio)


def _native_rate(path: Path) -> int:
    if not path.is_file():
        raise FileNotFoundError("no such file")
    with open_container(path) as container:
        if not container.streams.audio:
            raise MediaError("no audio stream")
        rate = container.streams.audio[0].codec_context.sample_rate
    if not rate:
        raise MediaError("the audio stream has no sample rate")
    return int(rate)


def mel_columns(frames: int, fps: int, mel: MelSettings, window: int) -> int:
    """Mel frames the windows of ``frames`` output frames span: the last window's end."""
    return mel_start_index(frames - 1, fps, mel) + window


def padded_samples(frames: int, fps: int, mel: MelSettings, window: int) -> int:
    """Samples (mel rate) after which no needed mel frame looks: the last frame's centre + n_fft / 2."""
    return (mel_columns(frames, fps, mel, window) - 1) * mel.hop_length + mel.n_fft // 2


def speech_mel(audio: np.ndarray, frames: int, fps: int, mel: MelSettings, window: int) -> np.ndarray:
    """Log-mel float32 (n_mels, C) of ``audio`` (float32 (M,) at the mel rate) followed by zeros,
    C = :func:`mel_columns`: every window of the ``frames`` output frames."""
    needed = padded_samples(frames, fps, mel, window)
    padded = np.concatenate([audio[:needed], np.zeros(max(0, needed - len(audio)), np.float32)])
    return log_mel(padded, mel)[:, : mel_columns(frames, fps, mel, window)]


def frame_windows(
    mel_frames: np.ndarray,
    first: int,
    count: int,
    fps: int,
    mel: MelSettings,
    window: int,
    silence: SilenceSettings,
    column0: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gated mel windows of output frames ``first .. first + count - 1``.

    mel_frames: float32 (n_mels, C) covering them, its first column being mel frame ``column0``.
    Returns windows float32 (count, n_mels, window) and silent bool (count,).
    """
    starts = [mel_start_index(f, fps, mel) - column0 for f in range(first, first + count)]
    windows = np.stack([mel_frames[:, s : s + window] for s in starts]).astype(np.float32)  # (count, n_mels, W)
    silent = windows.max(axis=(1, 2)) < silence.level
    windows[silent] = silence.fill
    return windows, silent
