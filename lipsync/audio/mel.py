"""The Wav2Lip-compatible log-mel spectrogram, computed with librosa.

Recipe (REFERENCE.md section 1): pre-emphasis, centred STFT with a Hann window, magnitude,
Slaney mel bands, ``20*log10(max(1e-5, x)) - ref_level_db``, then normalised and clipped
symmetrically to ``[-max_abs_value, max_abs_value]``. The STFT padding mode is a parameter:
the original code ran librosa 0.7 (``reflect``), librosa >= 0.9 pads with zeros.
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import scipy.signal

from lipsync.audio.settings import MelSettings

__all__ = [
    "MelSettings",
    "log_mel",
    "log_mel_from_magnitude",
    "mel_start_index",
    "preemphasise",
    "single_threaded_blas",
]


@functools.lru_cache(maxsize=8)
def _mel_basis(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float, dtype: str) -> np.ndarray:
    basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    return basis.astype(dtype)  # (n_mels, 1 + n_fft // 2), Slaney scale and norm


def log_mel(audio: np.ndarray, settings: MelSettings) -> np.ndarray:
    """Log-mel spectrogram of one mono signal.

    The mel projection is a small matrix product: callers looping over many clips should
    hold :func:`single_threaded_blas` around the loop (BLAS threads only add overhead and
    spin-wait jitter at this size).

    audio: float (N,) mono at ``settings.sample_rate``, in [-1, 1].
    Returns: ``settings.dtype`` (n_mels, 1 + N // hop_length), normalised to
    [-max_abs_value, max_abs_value]; 80 frames per second with the default settings.
    """
    if audio.ndim != 1:
        raise ValueError(f"log_mel expects mono audio of shape (N,), got {audio.shape}")
    s = settings
    spec = np.abs(
        librosa.stft(
            preemphasise(audio, s),
            n_fft=s.n_fft,
            hop_length=s.hop_length,
            win_length=s.win_length,
            window="hann",
            center=True,
            pad_mode=s.pad_mode,
        )
    )  # (1 + n_fft/2, T_mel)
    return log_mel_from_magnitude(spec, s)


def preemphasise(audio: np.ndarray, settings: MelSettings, previous: float = 0.0) -> np.ndarray:
    """First-order pre-emphasis ``y[n] = x[n] - preemphasis * x[n - 1]``, float (N,) -> ``settings.dtype`` (N,).

    ``previous`` is the sample before ``audio[0]`` (0 at the start of a signal), so a stream
    filtered chunk by chunk equals the whole signal filtered at once.
    """
    s = settings
    x = audio.astype(s.dtype)
    if previous == 0.0:  # the same call as always, so stage outputs stay bit for bit the same
        return scipy.signal.lfilter([1.0, -s.preemphasis], [1.0], x).astype(s.dtype)
    state = np.asarray([-s.preemphasis * previous], dtype=s.dtype)
    return scipy.signal.lfilter([1.0, -s.preemphasis], [1.0], x, zi=state)[0].astype(s.dtype)


def log_mel_from_magnitude(spec: np.ndarray, settings: MelSettings) -> np.ndarray:
    """STFT magnitudes float (1 + n_fft/2, T_mel) -> normalised log-mel ``settings.dtype`` (n_mels, T_mel)."""
    s = settings
    mel = _mel_basis(s.sample_rate, s.n_fft, s.n_mels, s.fmin, s.fmax, s.dtype) @ spec.astype(s.dtype)  # (n_mels, T)
    db = 20.0 * np.log10(np.maximum(np.asarray(1e-5, s.dtype), mel)) - s.ref_level_db
    scaled = (2 * s.max_abs_value) * ((db - s.min_level_db) / -s.min_level_db) - s.max_abs_value
    return np.clip(scaled, -s.max_abs_value, s.max_abs_value).astype(s.dtype)


def single_threaded_blas():
    """Context manager limiting BLAS to one thread (see :func:`log_mel`)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def mel_start_index(frame_index: int, fps: float, settings: MelSettings) -> int:
    """First mel frame of the sync window that starts at video frame ``frame_index``.

    Convention (the Wav2Lip *inference* one, used everywhere in this project):
    ``int(mel_fps * frame_index / fps)``; the window covers 16 mel frames = 5 video frames.
    """
    return int(settings.frames_per_second * frame_index / fps)
