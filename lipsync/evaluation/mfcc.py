"""The SyncNet evaluator's audio features and window timing, as syncnet_python computes them.

Features come from ``python_speech_features.mfcc`` with its defaults, called on purpose
instead of librosa or our own log-mel (:mod:`lipsync.audio.mel`): the official evaluator was
trained on exactly these features (25 ms rectangular frames every 10 ms, 512-point FFT,
26 mel filters from 0 Hz to 8 kHz, pre-emphasis 0.97, lifter 22, the first coefficient
replaced by the log frame energy), and any other implementation shifts its inputs.

The public script reads 16-bit PCM, so samples are in int16 units; float audio in [-1, 1]
is scaled by 32768 first. (Scaling adds a constant to the log energies only, so it changes
coefficient 0 and nothing else, but that constant is part of what the network saw.)

Timing (25 fps video, 16 kHz audio): 100 MFCC steps per second, 4 per video frame. The
window of video frame i covers frames i..i+4 and MFCC steps 4i..4i+19 (0.2 s each).
"""

from __future__ import annotations

import numpy as np
import python_speech_features

SAMPLE_RATE = 16000  # Hz, the evaluator's audio rate
FPS = 25  # video frames per second
COEFFICIENTS = 13  # MFCC per step
STEPS_PER_FRAME = 4  # 100 MFCC steps per second / 25 fps
WINDOW_FRAMES = 5  # video frames per sync window (0.2 s)
WINDOW_STEPS = WINDOW_FRAMES * STEPS_PER_FRAME  # 20 MFCC steps per sync window
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 640
_INT16_SCALE = 32768.0


def mfcc(audio: np.ndarray) -> np.ndarray:
    """MFCC of one clip: float32 (13, T_m), 100 steps per second.

    audio: float (N,) mono at 16 kHz in [-1, 1]. T_m = 1 + ceil((N - 400) / 160), so
    4 * N / 640 - 1 steps when N is a whole number of video frames.
    """
    if audio.ndim != 1:
        raise ValueError(f"mfcc expects mono audio of shape (N,), got {audio.shape}")
    features = python_speech_features.mfcc(audio.astype(np.float64) * _INT16_SCALE, SAMPLE_RATE)  # (T_m, 13)
    return features.T.astype(np.float32)


def window_count(frames: int, samples: int) -> int:
    """Number of sync windows scored in a clip of ``frames`` video frames and ``samples`` audio samples.

    As syncnet_python: the clip is cut to the shorter of video and audio, and windows start at
    frames 0 .. length - 6, one fewer than would fit (the public script stops there; kept so
    that the counts, and the means over them, match). Zero or less: the clip is too short.
    """
    length = min(frames, samples // SAMPLES_PER_FRAME)
    return length - WINDOW_FRAMES


def mfcc_windows(features: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Evaluator input for the windows starting at video frames ``starts``.

    features: float32 (13, T_m) from :func:`mfcc`; starts: int (B,).
    Returns float32 (B, 1, 13, 20): MFCC steps 4i .. 4i + 19 for each start i.
    """
    columns = STEPS_PER_FRAME * np.asarray(starts)[:, None] + np.arange(WINDOW_STEPS)  # (B, 20)
    if columns.size and columns.max() >= features.shape[1]:
        raise ValueError(
            f"window at frame {int(np.max(starts))} needs MFCC step {columns.max()}; have {features.shape[1]}"
        )
    return np.ascontiguousarray(features[:, columns].transpose(1, 0, 2)[:, None])  # (B, 1, 13, 20)
