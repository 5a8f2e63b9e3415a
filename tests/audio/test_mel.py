"""The Wav2Lip-compatible mel spectrogram on known signals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import librosa
import numpy as np
import pytest

from lipsync.audio.mel import MelSettings, log_mel, mel_start_index
from tests.builders import real_section

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def settings():
    return real_section(MelSettings, "mel")


def sine(freq: float, seconds: float, rate: int = 16000, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_shape_rate_and_range(settings):
    mel = log_mel(sine(1000, 2.0), settings)
    assert mel.shape == (80, 161)  # 1 + 32000 // 200: 80 frames per second
    assert mel.dtype == np.float32
    assert mel.min() >= -4.0 and mel.max() <= 4.0


def test_sine_peaks_in_the_band_of_its_frequency(settings):
    centres = librosa.mel_frequencies(n_mels=82, fmin=settings.fmin, fmax=settings.fmax)[1:-1]
    for freq in (300.0, 1000.0, 3000.0):
        mel = log_mel(sine(freq, 1.0), settings)
        peak = int(np.argmax(mel[:, 10:-10].mean(axis=1)))
        assert abs(peak - int(np.argmin(np.abs(centres - freq)))) <= 1


def test_silence_is_the_floor_and_level_follows_amplitude(settings):
    assert np.all(log_mel(np.zeros(16000, np.float32), settings) == -4.0)
    loud = log_mel(sine(1000, 1.0, amp=0.5), settings)[:, 10:-10].max()
    quiet = log_mel(sine(1000, 1.0, amp=0.05), settings)[:, 10:-10].max()
    # 20 dB quieter = 20/100 of the [-4, 4] range (8 * 0.2 = 1.6)
    assert loud - quiet == pytest.approx(1.6, abs=0.02)


def test_pad_mode_changes_only_the_edges(settings):
    x = sine(440, 1.0) + 0.01
    zeros = log_mel(x, settings)
    reflect = log_mel(x, replace(settings, pad_mode="reflect"))
    assert np.allclose(zeros[:, 3:-3], reflect[:, 3:-3], atol=1e-4)
    assert not np.allclose(zeros[:, 0], reflect[:, 0], atol=1e-3)


def test_mel_window_start_convention(settings):
    assert [mel_start_index(i, 25, settings) for i in range(6)] == [0, 3, 6, 9, 12, 16]
    assert mel_start_index(25, 25, settings) == 80
