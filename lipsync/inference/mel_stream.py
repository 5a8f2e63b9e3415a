"""The project's log-mel, computed column by column as audio arrives.

Column ``c`` of :func:`lipsync.audio.mel.log_mel` (centred STFT, zero padding) is the spectrum
of the pre-emphasised samples ``[c * hop - n_fft / 2, c * hop + n_fft / 2)``, zeros before the
start: it is final as soon as sample ``c * hop + n_fft / 2 - 1`` has arrived. :class:`MelStream`
keeps the pre-emphasis filter's state across chunks and only the samples later columns still
need, so a stream gives the same columns as the whole signal (up to float rounding), with a
look-ahead of ``n_fft / 2`` samples (25 ms at 16 kHz) past each column's centre.
"""

from __future__ import annotations

import librosa
import numpy as np

from lipsync.audio.mel import MelSettings, log_mel_from_magnitude, preemphasise


class MelStream:
    """Push mono float32 chunks at ``settings.sample_rate``; get the newly final log-mel columns."""

    def __init__(self, settings: MelSettings) -> None:
        self.settings = settings
        self.half = settings.n_fft // 2
        self.received = 0  # samples pushed so far
        self.columns = 0  # columns returned so far
        self._previous = 0.0  # last raw sample: the pre-emphasis filter's state
        self._buffer = np.zeros(self.half, dtype=settings.dtype)  # pre-emphasised, from sample _start
        self._start = -self.half

    def ready_for(self, column: int) -> int:
        """Samples that must have arrived before column ``column`` is final."""
        return column * self.settings.hop_length + self.half

    def push(self, audio: np.ndarray) -> np.ndarray:
        """audio: float32 (n,) the next samples. Returns float32 (n_mels, k), the k columns now final."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if len(audio):
            emphasised = preemphasise(audio, self.settings, self._previous)
            self._previous = float(audio[-1])
            self._buffer = np.concatenate([self._buffer, emphasised])
            self.received += len(audio)
        hop = self.settings.hop_length
        last = (self.received - self.half) // hop  # the last final column
        if last < self.columns:
            return np.zeros((self.settings.n_mels, 0), dtype=self.settings.dtype)
        begin = self.columns * hop - self.half - self._start
        end = last * hop + self.half - self._start
        spec = np.abs(
            librosa.stft(
                self._buffer[begin:end],
                n_fft=self.settings.n_fft,
                hop_length=hop,
                win_length=self.settings.win_length,
                window="hann",
                center=False,
            )
        )  # (1 + n_fft/2, last - columns + 1)
        self.columns = last + 1
        keep = self.columns * hop - self.half - self._start  # the next column's first sample
        self._buffer, self._start = self._buffer[keep:], self._start + keep
        return log_mel_from_magnitude(spec, self.settings)
