"""Tests of generate_corpus: layout, decodable media, byte-determinism, splits, stale files."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import av
import numpy as np
import pytest

from lipsync.corpus.generate import generate_corpus


def _hashes(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tiny_settings, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    summary = generate_corpus(tiny_settings, out)
    return out, summary


EXPECTED_FILES = {
    "speakers.json",
    "videos/spk00-astronaut/clip00.mp4",
    "videos/spk01-grace_hopper/clip00.mp4",
    "truth/spk00-astronaut/clip00.npz",
    "truth/spk01-grace_hopper/clip00.npz",
}


def test_layout_and_summary(corpus):
    out, summary = corpus
    assert set(_hashes(out)) == EXPECTED_FILES
    assert summary.videos == 2 and summary.seconds == pytest.approx(2.4)
    assert summary.train_speakers == ("spk00-astronaut",) and summary.test_speakers == ("spk01-grace_hopper",)
    speakers = json.loads((out / "speakers.json").read_text())
    assert {k: (v["photo"], v["split"], v["clips"]) for k, v in speakers.items()} == {
        "spk00-astronaut": ("astronaut", "train", ["clip00"]),
        "spk01-grace_hopper": ("grace_hopper", "test", ["clip00"]),
    }


def test_video_decodes_at_corpus_rates(corpus):
    out, _ = corpus
    with av.open(str(out / "videos/spk00-astronaut/clip00.mp4")) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.average_rate, video.width, video.height) == ("h264", 25, 128, 128)
        assert (audio.codec_context.name, audio.sample_rate) == ("aac", 16000)
        assert audio.codec_context.layout.nb_channels == 1
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    with av.open(str(out / "videos/spk00-astronaut/clip00.mp4")) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert len(frames) == 30
    assert 19200 <= len(samples) <= 19200 + 2048  # AAC priming/padding: readers trim to 30 / 25 s
    assert np.abs(samples).max() > 0.3  # speech, not silence


def test_truth_file_matches_video(corpus):
    out, _ = corpus
    truth = np.load(out / "truth/spk01-grace_hopper/clip00.npz")  # no pickles needed
    assert str(truth["speaker"]) == "spk01-grace_hopper" and str(truth["photo"]) == "grace_hopper"
    assert truth["face_boxes"].shape == (30, 4) and truth["landmarks"].shape == (30, 5, 2)
    assert truth["mouth_params"].shape == (30, 3) and truth["mouth_boxes"].shape == (30, 4)
    assert truth["phonemes"].shape == (len(truth["phoneme_times"]),) and int(truth["fps"]) == 25
    assert 0 <= truth["mouth_params"].min() and truth["mouth_params"].max() <= 1
    assert truth["mouth_params"][:, 0].max() > 0.3  # it speaks


def test_same_seed_same_bytes_any_worker_count(corpus, tiny_settings, tmp_path):
    out, _ = corpus
    generate_corpus(dataclasses.replace(tiny_settings, workers=2), tmp_path)
    assert _hashes(tmp_path) == _hashes(out)


def test_other_seed_other_clips(corpus, tiny_settings, tmp_path):
    out, _ = corpus
    generate_corpus(dataclasses.replace(tiny_settings, seed=tiny_settings.seed + 1), tmp_path)
    ours, theirs = _hashes(out), _hashes(tmp_path)
    assert set(ours) == set(theirs)
    assert all(ours[name] != theirs[name] for name in ours)


def test_rerun_replaces_the_corpus(tiny_settings, tmp_path):
    stale = [tmp_path / "videos/spk09-camera/clip05.mp4", tmp_path / "truth/spk00-astronaut/clip07.npz"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("kept: not part of the corpus trees")
    generate_corpus(tiny_settings, tmp_path)
    assert set(_hashes(tmp_path)) == EXPECTED_FILES | {"notes.txt"}
    assert not (tmp_path / "videos/spk09-camera").exists()
