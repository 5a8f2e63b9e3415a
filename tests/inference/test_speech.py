"""The frame-count rule, the mel windows of output frames, the silence gate, bad audio."""

from __future__ import annotations

import numpy as np
import pytest

from lipsync.audio.mel import log_mel, mel_start_index
from lipsync.inference.speech import (
    SpeechError,
    frame_count,
    frame_windows,
    padded_samples,
    read_speech,
    speech_mel,
)
from lipsync.media.writer import write_mp4, write_wav
from tests.builders import loaded_params
from tests.inference.conftest import speech_like

PARAMS = loaded_params()
MEL, SILENCE = PARAMS.mel, PARAMS.inference.silence


@pytest.mark.parametrize(
    ("samples", "rate", "frames"),
    [(16000, 16000, 25), (16001, 16000, 26), (15999, 16000, 25), (44100, 44100, 25), (44101, 44100, 26),
     (22050 * 3 + 1, 22050, 76), (640, 16000, 1), (641, 16000, 2), (48000 * 7, 48000, 175)],
)  # fmt: skip
def test_frame_count_is_the_ceiling_of_the_audio_in_frames(samples, rate, frames):
    assert frame_count(samples, rate, 25) == frames
    assert (frames - 1) / 25 < samples / rate <= frames / 25  # covers every sample, at most one frame longer


def test_windows_start_at_each_frames_mel_index_and_pad_past_the_end():
    audio = speech_like(1.0, (0.0, 1.0))
    frames = frame_count(len(audio), 16000, 25)
    mel = speech_mel(audio, frames, 25, MEL, 16)
    assert mel.shape == (80, mel_start_index(frames - 1, 25, MEL) + 16)
    padded = np.concatenate([audio, np.zeros(padded_samples(frames, 25, MEL, 16) - len(audio), np.float32)])
    np.testing.assert_array_equal(mel, log_mel(padded, MEL)[:, : mel.shape[1]])
    windows, silent = frame_windows(mel, 3, 4, 25, MEL, 16, SILENCE)
    assert windows.shape == (4, 80, 16) and not silent.any()
    np.testing.assert_array_equal(windows[1], mel[:, mel_start_index(4, 25, MEL) :][:, :16])


def test_silent_windows_become_one_flat_window():
    audio = speech_like(1.6, (0.4, 1.2))
    frames = frame_count(len(audio), 16000, 25)
    mel = speech_mel(audio, frames, 25, MEL, 16)
    windows, silent = frame_windows(mel, 0, frames, 25, MEL, 16, SILENCE)
    assert silent[:3].all() and silent[-3:].all() and not silent[12:25].any()
    assert (windows[silent] == SILENCE.fill).all()
    offset = 5  # the same windows read from a slice of the columns that starts later
    start = mel_start_index(offset, 25, MEL)
    later, _ = frame_windows(mel[:, start:], offset, 10, 25, MEL, 16, SILENCE, column0=start)
    np.testing.assert_array_equal(later, windows[offset : offset + 10])


def test_read_speech_keeps_the_rate_for_the_track_and_resamples_for_the_mel(tmp_path):
    path = tmp_path / "s.wav"
    write_wav(path, speech_like(1.0, (0.2, 0.8), rate=22050), 22050)
    speech = read_speech(path, MEL, 25, 5)
    assert (speech.rate, speech.track_rate, speech.samples) == (22050, 22050, 22050)
    assert speech.frames(25) == 25 and abs(len(speech.mel_audio) - 16000) <= 2


def test_bad_audio_is_refused_naming_the_file(tmp_path):
    short = tmp_path / "short.wav"
    write_wav(short, np.zeros(1000, np.float32), 16000)
    with pytest.raises(SpeechError, match=r"short\.wav lasts 0\.062 s, shorter than one 0\.20 s sync window"):
        read_speech(short, MEL, 25, 5)
    mute = tmp_path / "mute.mp4"
    write_mp4(mute, np.zeros((5, 16, 16, 3), np.uint8), 25, None, 16000, crf=23, threads=1, preset="ultrafast")
    with pytest.raises(SpeechError, match=r"mute\.mp4: no audio stream"):
        read_speech(mute, MEL, 25, 5)
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 10)
    with pytest.raises(SpeechError, match=r"junk\.mp3: not a media file"):
        read_speech(junk, MEL, 25, 5)
    with pytest.raises(SpeechError, match=r"missing\.wav: no such file"):
        read_speech(tmp_path / "missing.wav", MEL, 25, 5)
