"""The ``mel`` section of ``params.yaml`` (no librosa here: :mod:`lipsync.config` imports it).

``sample_rate`` and ``n_mels`` are filled by the loader from ``format``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MelSettings:
    sample_rate: int  # Hz
    n_fft: int
    hop_length: int  # samples; sample_rate / hop_length = mel frames per second (80)
    win_length: int
    n_mels: int
    fmin: float  # Hz
    fmax: float  # Hz
    preemphasis: float
    ref_level_db: float
    min_level_db: float
    max_abs_value: float
    pad_mode: Literal["constant", "reflect"]
    dtype: Literal["float32", "float64"]

    @property
    def frames_per_second(self) -> float:
        return self.sample_rate / self.hop_length
