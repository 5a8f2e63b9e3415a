"""The evaluator's MFCC features and window timing (syncnet_python's)."""

from __future__ import annotations

import numpy as np
import python_speech_features

from lipsync.evaluation.mfcc import mfcc, mfcc_windows, window_count


def test_features_are_those_of_the_public_script_on_16_bit_pcm():
    rng = np.random.default_rng(0)
    pcm = (rng.standard_normal(16000) * 3000).astype(np.int16)  # 1 s, what scipy's wavfile.read gives
    features = mfcc(pcm.astype(np.float32) / 32768)
    assert features.shape == (13, 99) and features.dtype == np.float32  # 4 per frame x 25 frames, minus one
    np.testing.assert_allclose(features, python_speech_features.mfcc(pcm, 16000).T, rtol=1e-5, atol=1e-4)
    quieter = mfcc(pcm.astype(np.float32) / 65536)  # level only moves the log-energy coefficient
    assert np.abs(quieter[1:] - features[1:]).max() < 1e-3
    np.testing.assert_allclose(features[0] - quieter[0], 2 * np.log(2), atol=1e-4)


def test_window_count_follows_the_public_script():
    assert window_count(75, 48000) == 70  # 3 s: windows start at frames 0..69
    assert window_count(75, 47999) == 69  # audio shorter by one sample: 74 whole frames of it
    assert window_count(6, 3840) == 1
    assert window_count(5, 3200) == 0  # one window's worth, but the script stops one early


def test_window_of_frame_i_holds_mfcc_steps_4i_to_4i_plus_19():
    features = np.arange(13 * 40, dtype=np.float32).reshape(13, 40)
    windows = mfcc_windows(features, np.array([0, 3, 5]))
    assert windows.shape == (3, 1, 13, 20)
    assert np.array_equal(windows[1, 0], features[:, 12:32]) and np.array_equal(windows[2, 0], features[:, 20:40])
