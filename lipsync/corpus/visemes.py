"""Mouth parameters per video frame from a phoneme timeline.

Each phoneme maps to a viseme target (open, width, round); the targets form a step function
at 1 ms resolution, smoothed with a short Hann kernel (coarticulation: the mouth moves
towards the next shape before the sound starts), then bilabial closures are forced shut
(open = 0 over the whole m/b/p interval: lips really touch) and the result is sampled at the
centre of each video frame, t_i = (i + 0.5) / fps. Outside speech the mouth is the silence
viseme (closed and relaxed).
"""

from __future__ import annotations

import numpy as np

from lipsync.corpus.settings import MouthSettings

_STRESS_MARKS = "'\",%="


def viseme_of(phoneme: str, settings: MouthSettings) -> str:
    """Viseme name of an espeak phoneme mnemonic: exact match after stripping stress marks,
    else the longest listed prefix (``aI2`` -> ``aI``, ``t[`` -> ``t``), else the default."""
    bare = phoneme.lstrip(_STRESS_MARKS)
    table = _phoneme_table(settings)
    for end in range(len(bare), 0, -1):
        if bare[:end] in table:
            return table[bare[:end]]
    return settings.default_viseme


def _phoneme_table(settings: MouthSettings) -> dict[str, str]:
    return {p: name for name, viseme in settings.visemes.items() for p in viseme.phonemes}


def mouth_track(
    phonemes: tuple[str, ...],
    phoneme_times: np.ndarray,
    n_frames: int,
    fps: int,
    open_gain: float,
    settings: MouthSettings,
) -> np.ndarray:
    """float32 (T, 3) open, width, round in [0, 1] for frames 0..T-1.

    phoneme_times: float (P, 2) start, end seconds of each phoneme; open_gain scales ``open``
    (the speaker's articulation), clipped to 1.
    """
    n_ms = int(np.ceil(1000.0 * n_frames / fps)) + 1
    silence = settings.visemes[settings.silence_viseme]
    targets = np.tile(np.array([silence.open, silence.width, silence.round]), (n_ms, 1))  # (n_ms, 3)
    closed = np.zeros(n_ms, dtype=bool)
    for phoneme, (start, end) in zip(phonemes, phoneme_times, strict=True):
        a, b = int(round(1000.0 * start)), int(round(1000.0 * end))
        name = viseme_of(phoneme, settings)
        viseme = settings.visemes[name]
        targets[a:b] = (viseme.open, viseme.width, viseme.round)
        if name in settings.closure_visemes:
            closed[a:b] = True
    smooth = _smooth(targets, int(round(settings.coarticulation_ms)))
    smooth[closed, 0] = 0.0
    smooth[:, 0] = np.clip(smooth[:, 0] * open_gain, 0.0, 1.0)
    at = np.floor(1000.0 * (np.arange(n_frames) + 0.5) / fps).astype(int)
    return np.clip(smooth[at], 0.0, 1.0).astype(np.float32)


def _smooth(signal: np.ndarray, width: int) -> np.ndarray:
    """Hann-kernel moving average along axis 0, edges extended: (n, C) -> (n, C)."""
    if width < 3:
        return signal.copy()
    kernel = np.hanning(width + 2)[1:-1]
    kernel /= kernel.sum()
    half = len(kernel) // 2
    padded = np.pad(signal, ((half, len(kernel) - 1 - half), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(signal.shape[1])], axis=1)
