"""Tests for lipsync.media.writer: decodable, deterministic, atomic mp4/wav writing."""

import hashlib
import os

import av
import numpy as np
import pytest
import soundfile

from lipsync.media.writer import write_mp4, write_wav

FPS = 25
RATE = 16000


def _clip(n_frames=20, size=(64, 96)):
    ys, xs = np.mgrid[: size[0], : size[1]]
    frames = np.zeros((n_frames, *size, 3), np.uint8)
    for t in range(n_frames):  # a bright square moving over a smooth gradient: real motion to encode
        frames[t, ..., 0] = (xs * 2 + t * 3) % 200
        frames[t, ..., 1] = ys * 3
        frames[t, ..., 2] = 90
        frames[t, 10:30, 2 * t : 2 * t + 20] = 230
    audio = (0.4 * np.sin(2 * np.pi * 220 * np.arange(n_frames * RATE // FPS) / RATE)).astype(np.float32)
    return frames, audio


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_roundtrip_streams_and_lengths(tmp_path):
    frames, audio = _clip()
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames, FPS, audio, RATE, crf=18, threads=1)
    with av.open(str(path)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and video.average_rate == FPS
        assert (video.width, video.height) == (96, 64)
        assert sound.codec_context.name == "aac" and sound.sample_rate == RATE
        assert sound.codec_context.layout.nb_channels == 1
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    assert decoded.shape == frames.shape
    assert np.abs(decoded.astype(int) - frames).mean() < 3  # lossy but close at crf 18
    with av.open(str(path)) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    # AAC priming/padding: at least the written length, at most one extra 1024-sample frame or two
    assert len(audio) <= len(samples) <= len(audio) + 2048


@pytest.mark.parametrize("size", [(64, 96), (96, 96)])
def test_same_inputs_give_identical_bytes(tmp_path, size):
    # 96x96 is a size where x264's AVX-512 kernels gave different bytes run to run
    frames, audio = _clip(size=size)
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_mp4(a, frames, FPS, audio, RATE, crf=23, threads=1)
    for _ in range(3):
        write_mp4(b, iter(list(frames)), FPS, audio, RATE, crf=23, threads=1)
        assert _sha(a) == _sha(b)
    write_mp4(b, frames, FPS, audio, RATE, crf=30, threads=1)
    assert _sha(a) != _sha(b)


def test_video_only_and_audio_only(tmp_path):
    frames, audio = _clip()
    write_mp4(tmp_path / "v.mp4", frames, FPS, None, RATE, crf=23, threads=1)
    write_mp4(tmp_path / "s.mp4", None, FPS, audio, RATE, crf=23, threads=1)
    with av.open(str(tmp_path / "v.mp4")) as container:
        assert [s.type for s in container.streams] == ["video"]
        assert sum(1 for _ in container.decode(video=0)) == len(frames)
    with av.open(str(tmp_path / "s.mp4")) as container:
        assert [s.type for s in container.streams] == ["audio"]


def test_odd_size_raises_and_leaves_nothing(tmp_path):
    frames = np.zeros((3, 63, 64, 3), np.uint8)
    path = tmp_path / "odd.mp4"
    with pytest.raises(ValueError, match="odd.mp4"):
        write_mp4(path, frames, FPS, None, RATE, crf=23, threads=1)
    assert os.listdir(tmp_path) == []


def test_failure_midway_keeps_old_file_and_removes_temp(tmp_path):
    frames, audio = _clip()
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames, FPS, audio, RATE, crf=23, threads=1)
    before = _sha(path)

    def broken():
        yield frames[0]
        yield frames[1]
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError, match="source died"):
        write_mp4(path, broken(), FPS, audio, RATE, crf=23, threads=1)
    assert os.listdir(tmp_path) == ["clip.mp4"]
    assert _sha(path) == before


def test_nothing_to_write_raises(tmp_path):
    with pytest.raises(ValueError, match="nothing to write"):
        write_mp4(tmp_path / "x.mp4", None, FPS, None, RATE, crf=23, threads=1)


def test_write_wav_is_16bit_pcm(tmp_path):
    _, audio = _clip()
    path = tmp_path / "a.wav"
    write_wav(path, audio, RATE)
    info = soundfile.info(str(path))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (RATE, 1, "PCM_16", len(audio))
    back, _ = soundfile.read(str(path), dtype="float32")
    assert np.abs(back - audio).max() < 1e-4
    assert os.listdir(tmp_path) == ["a.wav"]
