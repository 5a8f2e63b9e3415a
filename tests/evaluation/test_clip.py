"""Evaluation clips: mel windows at the video's own positions, dubbing, audio pairing, shifts."""

from __future__ import annotations

import numpy as np

from lipsync.evaluation.clip import EvalClip, audio_pairing, dubbed, shifted
from tests.builders import loaded_params


def clip(clip_id: str, speaker: str, frames: int, first: int = 0) -> EvalClip:
    mel = np.tile(np.arange(400, dtype=np.float32), (80, 1))  # column index as value
    audio = np.arange(frames * 640, dtype=np.float32) / 1e6
    return EvalClip(clip_id, f"{clip_id}.mp4", speaker, np.zeros((frames, 8, 8, 3), np.uint8), audio, mel, first,
                    np.zeros((frames, 4), np.float32), 25)  # fmt: skip


def test_mel_windows_start_at_the_videos_own_positions():
    params = loaded_params()
    windows = clip("a", "s1", 10, first=3).mel_windows(params.mel, 16)
    assert windows.shape == (10, 1, 80, 16)
    assert [int(windows[f, 0, 0, 0]) for f in range(3)] == [int(80 * (3 + f) / 25) for f in range(3)]
    short = EvalClip("b", "b", "s", np.zeros((2, 8, 8, 3), np.uint8), np.zeros(1280, np.float32),
                     np.zeros((80, 17), np.float32), 0, np.zeros((2, 4), np.float32), 25)  # fmt: skip
    tail = short.mel_windows(params.mel, 16)[1, 0]  # frame 1 starts at column 3: 14 of its 16 columns exist
    assert (tail[:, :14] == 0).all() and (tail[:, 14:] == -params.mel.max_abs_value).all()  # silence past the end


def test_dubbing_cuts_to_the_shorter_clip_and_keeps_the_video():
    a, b = clip("a", "s1", 12), clip("b", "s2", 8, first=5)
    dub = dubbed(a, b)
    assert dub.length == 8 and len(dub.audio) == 8 * 640 and np.array_equal(dub.audio, b.audio)
    assert dub.audio_first_frame == 5 and dub.speaker == "s1" and dub.clip_id == "a+b"


def test_pairing_prefers_another_speaker_and_is_fixed():
    clips = [clip("a", "s1", 6), clip("b", "s1", 6), clip("c", "s2", 6)]
    assert audio_pairing(clips) == [2, 2, 0]
    assert audio_pairing(clips[:2]) == [1, 0]  # one speaker: the next clip


def test_shift_advances_or_delays_the_audio():
    c = clip("a", "s1", 4)
    ahead, behind = shifted(c, 1), shifted(c, -1)
    assert np.array_equal(ahead[: 3 * 640], c.audio[640:]) and (ahead[3 * 640 :] == 0).all()
    assert np.array_equal(behind[640:], c.audio[: 3 * 640]) and (behind[:640] == 0).all()
