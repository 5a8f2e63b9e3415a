"""The streamed log-mel equals the whole signal's, whatever the chunk lengths."""

from __future__ import annotations

import numpy as np

from lipsync.audio.mel import log_mel
from lipsync.inference.mel_stream import MelStream
from tests.builders import loaded_params
from tests.inference.conftest import speech_like

MEL = loaded_params().mel


def test_stream_columns_equal_the_batch_columns():
    audio = np.concatenate([speech_like(2.0, (0.3, 1.7), seed=3), np.zeros(800, np.float32)])
    whole = log_mel(audio, MEL)
    stream, columns, start = MelStream(MEL), [], 0
    for size in np.random.default_rng(1).integers(1, 4000, 200):  # 1 sample to 250 ms
        columns.append(stream.push(audio[start : start + size]))
        start += size
        if start >= len(audio):
            break
    got = np.concatenate(columns, axis=1)
    assert got.shape[1] == (len(audio) - MEL.n_fft // 2) // MEL.hop_length + 1  # every column whose samples are in
    np.testing.assert_allclose(got, whole[:, : got.shape[1]], atol=1e-5)


def test_a_column_is_final_once_its_look_ahead_has_arrived():
    stream = MelStream(MEL)
    assert stream.ready_for(0) == 400 and stream.ready_for(16) == 16 * 200 + 400
    assert stream.push(np.zeros(399, np.float32)).shape[1] == 0
    assert stream.push(np.zeros(1, np.float32)).shape[1] == 1
    assert stream.push(np.zeros(200, np.float32)).shape[1] == 1
