"""Views cut from one sample: timing convention, expert pairs and groups (labels, offsets,
silence), generator windows (targets, far references, per-frame and sync mel windows)."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from lipsync.models import lower_half_stack
from lipsync.training.augment import AugmentSettings
from lipsync.training.pairs import expert_groups, expert_pairs, expert_view, negative_for
from lipsync.training.windows import generator_windows, lower_faces, mel_offset, window_starts
from tests.training.training_fixtures import column_of, geometry, real_training, segment

DATA = real_training().data


def test_mel_offset_follows_inference_convention():
    sample = segment("a", start=3, frames=25)  # mel_start = int(80 * 3 / 25) = 9
    offsets = [mel_offset(sample, i, geometry()) for i in range(21)]
    assert offsets == [int(80 * (3 + i) / 25) - 9 for i in range(21)]
    assert offsets[:4] == [0, 3, 7, 10]  # int(9.6)=9, int(12.8)=12, int(16)=16, int(19.2)=19, minus 9
    assert offsets[20] + 16 == sample.mel.shape[1]  # the last window ends exactly at the stored mel


def test_window_starts_cover_every_full_window():
    g = geometry()
    assert window_starts(segment("a", 0, frames=25), g, 5).tolist() == list(range(21))
    assert window_starts(segment("a", 0, frames=10), g, 9).tolist() == [0, 1]
    assert window_starts(segment("a", 0, frames=5), g, 9).tolist() == []


def test_lower_faces_match_the_models_stacking():
    frames = np.random.default_rng(0).integers(0, 256, (5, 96, 96, 3), dtype=np.uint8)
    ours = torch.from_numpy(lower_faces(frames))  # (15, 48, 96)
    reference = lower_half_stack(torch.from_numpy(frames).permute(3, 0, 1, 2)[None])[0]  # (15, 48, 96)
    assert torch.equal(ours, reference)


def test_expert_pairs_are_balanced_with_offsets_in_range():
    sample, g = segment("a", start=50), geometry()
    pairs = expert_pairs(sample, g, DATA, np.random.default_rng(0), count=40)
    assert len(pairs) == 80
    assert pairs[0]["faces"].shape == (15, 48, 96) and pairs[0]["faces"].dtype == np.uint8
    assert pairs[0]["mel"].shape == (1, 80, 16) and pairs[0]["mel"].dtype == np.float32
    labels = np.array([p["label"] for p in pairs])
    assert labels.sum() == 40 and labels[0::2].all() and not labels[1::2].any()
    starts = {mel_offset(sample, j, g): j for j in range(21)}
    for positive, negative in zip(pairs[0::2], pairs[1::2], strict=True):
        i = int(positive["faces"][0, 0, 0])  # frame value of the window's first frame
        assert [int(positive["faces"][3 * k, 0, 0]) for k in range(5)] == list(range(i, i + 5))
        assert starts[column_of(positive["mel"])] == i
        j = starts[column_of(negative["mel"])]
        assert DATA.negative_offsets[0] <= abs(j - i) <= DATA.negative_offsets[1]
        assert 0 <= j <= 20


def test_expert_groups_hold_one_positive_and_k_offsets():
    sample, g = segment("a", start=50), geometry()
    data = dataclasses.replace(DATA, expert_negatives=3)
    groups = expert_groups(sample, g, data, np.random.default_rng(0), count=10)
    starts = {mel_offset(sample, j, g): j for j in range(21)}
    assert len(groups) == 10
    for group in groups:
        assert group["faces"].shape == (15, 48, 96) and group["mel"].shape == (4, 1, 80, 16)
        assert group["label"].tolist() == [1.0, 0.0, 0.0, 0.0]
        i = int(group["faces"][0, 0, 0])
        audio = [starts[column_of(m)] for m in group["mel"]]
        assert audio[0] == i and len(set(audio[1:])) == 3  # enough offsets: drawn without repetition
        assert all(data.negative_offsets[0] <= abs(j - i) <= data.negative_offsets[1] for j in audio[1:])


def test_negatives_never_pair_two_silent_windows():
    quiet = tuple(range(0, 12))  # frames 0..11 silent: windows 0..7 are silent throughout
    sample, g = segment("a", 0, quiet=quiet), geometry()
    starts = window_starts(sample, g, 5)
    rng = np.random.default_rng(1)
    for i in range(8):
        for _ in range(20):
            j = negative_for(sample, i, starts, g, DATA, rng)
            assert j is not None and j >= 8  # a silent i only meets audible offsets


def test_short_segments_give_no_pairs_and_flip_mirrors():
    g = geometry()
    assert expert_pairs(segment("a", 0, frames=5), g, DATA, np.random.default_rng(0), 4) == []
    sample = segment("a", 0)
    sample.frames[:, 60, 0:4] = 255  # a marker at the left edge of the lower half (row 12 of it)
    only_flip = AugmentSettings(flip=True, color=0.0, shift_px=0, mel_gain=0.0, mel_shift=0)
    flipped = dataclasses.replace(DATA, augment=only_flip, views_per_segment=30)
    views = expert_view(sample, np.random.default_rng(0), g, flipped)
    left = [bool((v["faces"][:, 12, 0:4] == 255).all()) for v in views]
    right = [bool((v["faces"][:, 12, 92:96] == 255).all()) for v in views]
    assert all(a != b for a, b in zip(left, right, strict=True))  # each view is either kept or mirrored
    assert 0.3 < np.mean(right) < 0.7


def test_generator_windows_targets_references_and_audio():
    sample, g = segment("a", start=25), geometry()
    windows = generator_windows(sample, g, DATA, np.random.default_rng(0), count=30)
    assert len(windows) == 30
    for w in windows:
        t = int(w["target"][0, 0, 0, 0])
        assert w["target"].shape == (5, 96, 96, 3) and w["reference"].shape == (5, 96, 96, 3)
        assert [int(f[0, 0, 0]) for f in w["target"]] == list(range(t, t + 5))
        assert 0 <= t <= 16  # frame t+4's audio window must be stored: t + 8 <= 24
        for r in (int(f[0, 0, 0]) for f in w["reference"]):
            assert r <= t - DATA.reference_gap or r >= t + 4 + DATA.reference_gap
        assert w["mel"].shape == (5, 1, 80, 16) and w["sync_mel"].shape == (1, 80, 16)
        assert [column_of(m) for m in w["mel"]] == [mel_offset(sample, t + k, g) for k in range(5)]
        assert np.array_equal(w["sync_mel"], w["mel"][0])
        assert w["frames"].tolist() == [25 + t + k for k in range(5)]
        assert w["boxes"].shape == (5, 4) and w["landmarks"].shape == (5, 5, 2)
