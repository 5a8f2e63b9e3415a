"""WebDataset shard round trip, byte determinism, and speaker splits."""

from __future__ import annotations

import hashlib
import tarfile
from types import SimpleNamespace

import numpy as np

import pytest

from lipsync.data.shards import ShardMismatch, Sample, data_version, read_samples, verify_shards, write_shard
from lipsync.data.splits import segment_bounds, speaker_split


def make_sample(i: int, frames: int = 10) -> Sample:
    rng = np.random.default_rng(i)
    return Sample(
        key=f"abcdef0123456789_{i * frames:06d}",
        frames=rng.integers(0, 256, (frames, 16, 16, 3), dtype=np.uint8),
        mel=rng.standard_normal((80, frames * 16 // 5)).astype(np.float32),
        boxes=rng.random((frames, 4), dtype=np.float32),
        landmarks=rng.random((frames, 5, 2), dtype=np.float32),
        meta={"video_id": "abcdef0123456789", "start_frame": i * frames, "speaker": "spk00"},
    )


def test_round_trip_preserves_every_array_and_key(tmp_path):
    samples = [make_sample(i) for i in range(3)]
    info = write_shard(tmp_path / "shard-000000.tar", samples, mtime=0)
    assert info["samples"] == 3
    back = list(read_samples([tmp_path / "shard-000000.tar"]))
    assert [b.key for b in back] == [s.key for s in samples]
    for a, b in zip(samples, back, strict=True):
        assert np.array_equal(a.frames, b.frames) and a.frames.dtype == b.frames.dtype
        assert np.array_equal(a.mel, b.mel) and np.array_equal(a.landmarks, b.landmarks)
        assert b.meta == a.meta


def test_shards_are_byte_identical_and_members_have_the_fixed_time(tmp_path):
    digests = []
    for name in ("a.tar", "b.tar"):
        info = write_shard(tmp_path / name, [make_sample(i) for i in range(2)], mtime=0)
        digests.append(info["sha256"])
        assert info["sha256"] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert digests[0] == digests[1]
    with tarfile.open(tmp_path / "a.tar") as tar:
        members = tar.getmembers()
    assert {m.mtime for m in members} == {0}
    first = {m.name for m in members if m.name.startswith("abcdef0123456789_000000.")}
    assert first == {
        f"abcdef0123456789_000000.{e}" for e in ("frames.npy", "mel.npy", "boxes.npy", "landmarks.npy", "json")
    }
    assert not list(tmp_path.glob(".*tmp*"))
    assert data_version(digests) == data_version(list(reversed(digests)))
    assert len(data_version(digests)) == 16


def test_speaker_split_globs_then_hash():
    split = SimpleNamespace(val=("spk05-*",), test=("*-grace_hopper",), val_fraction=0.0, test_fraction=0.0)
    assert speaker_split("spk07-grace_hopper", split) == "test"
    assert speaker_split("spk05-camera", split) == "val"
    assert speaker_split("spk01-astronaut", split) == "train"
    hashed = SimpleNamespace(val=(), test=(), val_fraction=0.25, test_fraction=0.25)
    names = [f"speaker{i}" for i in range(400)]
    counts = {s: sum(speaker_split(n, hashed) == s for n in names) for s in ("train", "val", "test")}
    assert all(abs(counts[s] - expect) < 45 for s, expect in (("train", 200), ("val", 100), ("test", 100)))
    # the hash is sha256 of the id: the same split on every machine and in every process (pinned)
    pinned = {"speaker0": "val", "speaker1": "val", "speaker2": "train", "speaker3": "train", "speaker11": "test"}
    assert {name: speaker_split(name, hashed) for name in pinned} == pinned


def test_segments_cut_runs_into_windows():
    assert segment_bounds([(0, 60)], 25, 5) == [(0, 25), (25, 50), (50, 60)]
    assert segment_bounds([(3, 11), (20, 24)], 25, 5) == [(3, 8)]  # 8 -> 5 frames; 4 < one window
    assert segment_bounds([(0, 50)], 25, 5) == [(0, 25), (25, 50)]
    assert segment_bounds([(0, 60)], 24, 8) == [(0, 24), (24, 48), (48, 56)]  # another window length


def test_verify_shards_names_the_shard_and_the_expected_and_found_values(tmp_path):
    entries = [
        write_shard(tmp_path / f"shard-{k:06d}.tar", [make_sample(2 * k), make_sample(2 * k + 1)], 0) for k in (0, 1)
    ]
    assert verify_shards(tmp_path, entries, check_sha256=True) == sum(e["bytes"] for e in entries)
    second = tmp_path / "shard-000001.tar"
    data = second.read_bytes()
    second.write_bytes(data[:-1024])  # cut between samples: still a readable tar, one sample short
    with pytest.raises(ShardMismatch) as exc:
        verify_shards(tmp_path, entries, check_sha256=False)
    assert str(exc.value).startswith(f"shard {second} is {len(data) - 1024} bytes, the manifest expects {len(data)}")
    flipped = bytearray(data)
    flipped[700] ^= 1  # same size, other content: only the digest sees it
    second.write_bytes(bytes(flipped))
    assert verify_shards(tmp_path, entries, check_sha256=False) > 0
    with pytest.raises(ShardMismatch) as exc:
        verify_shards(tmp_path, entries, check_sha256=True)
    found = hashlib.sha256(bytes(flipped)).hexdigest()
    assert f"shard {second} has sha256 {found}, the manifest expects {entries[1]['sha256']}" in str(exc.value)
    second.unlink()
    with pytest.raises(ShardMismatch, match=f"shard {second} is missing"):
        verify_shards(tmp_path, entries, check_sha256=False)
    second.write_bytes(data)
    (tmp_path / "shard-000002.tar").write_bytes(data)
    with pytest.raises(ShardMismatch, match="shard-000002.tar is not in the shards manifest"):
        verify_shards(tmp_path, entries, check_sha256=True)


def test_speaker_split_follows_the_corpus_after_the_globs():
    split = SimpleNamespace(val=("spk05-*",), test=(), val_fraction=0.0, test_fraction=0.5)
    assert speaker_split("spk07-faceapi03", split, "test") == "test"
    assert speaker_split("spk07-faceapi03", split, "train") == "train"  # not hashed into test
    assert speaker_split("spk05-faceapi03", split, "train") == "val"  # an explicit glob still wins
