"""Evaluation helpers on constructed inputs: mouth boxes and mouth L1, the generator
metrics for a perfect and a copying generator, expert eval pairs and accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lipsync.faces.settings import CropSettings
from lipsync.models import SyncNet
from lipsync.training import (
    GeneratorEvalSet,
    MouthBoxSettings,
    box_mask,
    evaluate_generator,
    expert_accuracy,
    expert_eval_set,
    generator_eval_set,
    mouth_boxes_from_landmarks,
    mouth_l1,
    sample_grid,
)
from lipsync.training.expert import ranking_auc
from lipsync.training.windows import is_silent, mel_window
from tests.training.training_fixtures import geometry, real_training, segment, tiny_expert_settings

torch.set_num_threads(1)
DATA = real_training().data


def test_mouth_l1_is_zero_for_a_perfect_answer_and_exact_inside_the_box():
    target = torch.rand(2, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    boxes = np.array([[30.0, 60.0, 66.0, 80.0], [0.0, 0.0, 96.0, 96.0]], dtype=np.float32)
    assert mouth_l1(target, target, boxes).tolist() == [0.0, 0.0]
    changed = target.clone()
    changed[:, :, 60:80, 30:66] += 0.25  # only the first box's pixels
    assert mouth_l1(changed, target, boxes)[0].item() == pytest.approx(0.25, abs=1e-6)
    assert mouth_l1(changed, target, boxes)[1].item() == pytest.approx(0.25 * 20 * 36 / 96**2, abs=1e-6)
    assert torch.isnan(mouth_l1(target, target, np.array([[100.0, 100.0, 120.0, 120.0]] * 2)))[0]


def test_box_mask_uses_pixel_centres_and_clips():
    mask = box_mask(np.array([[-5.0, 10.4, 3.5, 12.6]]), 16)[0, 0]
    assert mask.sum().item() == 3 * 3  # columns 0..2 (centres 0.5..2.5 < 3.5), rows 10..12 (10.5..12.5)
    assert mask[10:13, 0:3].all()


def test_mouth_box_from_landmarks_maps_corners_into_the_crop():
    crop = CropSettings(scale=1.0, chin_pad=0.0)
    face = np.array([[100.0, 100.0, 200.0, 200.0]])  # crop = the box itself: 100 px -> 50 px, scale 0.5
    corners = np.zeros((1, 5, 2))
    corners[0, 3], corners[0, 4] = (130.0, 170.0), (170.0, 170.0)
    box = MouthBoxSettings(margin=0.25, above=0.5, below=1.0)
    out = mouth_boxes_from_landmarks(corners, face, (640, 480), crop, 50, box)
    # crop corners at (15, 35) and (35, 35): width 20
    assert out.tolist() == [[15 - 5.0, 35 - 10.0, 35 + 5.0, 35 + 20.0]]


def windows_set(count=4) -> GeneratorEvalSet:
    return generator_eval_set([segment("a", 0), segment("b", 25)], geometry(), DATA, count, seed=0)


def test_generator_eval_set_is_spread_and_seeded():
    first, again = windows_set(4), windows_set(4)
    assert first.video_ids == ["a", "a", "b", "b"]
    assert all(np.array_equal(x["target"], y["target"]) for x, y in zip(first.windows, again.windows, strict=True))


def metrics_for(generate, eval_set):
    expert = SyncNet(tiny_expert_settings()).eval()
    boxes = np.tile(np.array([[30.0, 60.0, 66.0, 84.0]], dtype=np.float32), (len(eval_set.windows), 5, 1))
    return evaluate_generator(generate, expert, eval_set, boxes, 3, 2, torch.device("cpu"))


def test_perfect_generator_scores_zero_and_copy_equals_baseline():
    eval_set = windows_set(4)
    perfect, grid = metrics_for(lambda target, reference, mel: target, eval_set)
    assert perfect["mouth_l1"] == 0.0 and perfect["copy_l1"] > 0.0 and perfect["mouth_l1_ratio"] == 0.0
    assert perfect["sync_loss_ratio"] == pytest.approx(1.0) and perfect["windows"] == 4.0
    assert grid.shape == (48 + 2 * (192 + 2), 3 * (192 + 2) - 2, 3) and grid.dtype == np.uint8  # header + 2 rows
    copying, _ = metrics_for(lambda target, reference, mel: reference, eval_set)
    assert copying["mouth_l1"] == pytest.approx(copying["copy_l1"]) and copying["mouth_l1_ratio"] == pytest.approx(1.0)


def test_sample_grid_labels_reference_generated_and_real_columns():
    generated, truth = torch.zeros(2, 3, 5, 40, 40), torch.ones(2, 3, 5, 40, 40)
    reference = torch.full((2, 3, 5, 40, 40), 0.5)
    reference[:, :, 2] = 0.25  # the middle frame is the one shown
    grid = sample_grid(generated, truth, reference, scale=2)
    header, size, gap = 20, 80, 2
    assert grid.shape == (header + 2 * (size + gap), 3 * (size + gap) - gap, 3) and grid.dtype == np.uint8
    body = grid[header:]
    columns = [body[:size, c * (size + gap) : c * (size + gap) + size] for c in range(3)]
    assert (columns[0] == 64).all() and (columns[1] == 0).all() and (columns[2] == 255).all()
    assert (body[size : size + gap] == 24).all()  # a dark gap between rows
    labels = grid[:header]
    for c in range(3):  # white text over each column of the dark header
        assert (labels[:, c * (size + gap) : c * (size + gap) + size] > 200).any()


def test_expert_eval_pairs_are_balanced_and_never_silent_twice():
    segments = [segment("a", 0, quiet=tuple(range(10))), segment("b", 25), segment("c", 50, frames=5)]
    eval_set = expert_eval_set(segments, geometry(), DATA, pairs=40, seed=3)
    assert len(eval_set.pairs) == 40
    assert sum(i == j for _, i, j in eval_set.pairs) == 20
    assert len({(s, i) for s, i, j in eval_set.pairs if i == j}) == 20  # distinct windows
    for s, i, j in eval_set.pairs:
        assert s != 2  # a 5-frame segment has no off-sync window
        silent = [is_silent(mel_window(segments[s], f, geometry()), DATA.silence_level) for f in (i, j)]
        assert i == j or not all(silent)
        assert i == j or DATA.negative_offsets[0] <= abs(i - j) <= DATA.negative_offsets[1]


class ConstantExpert(nn.Module):
    """Always the same embeddings: cosine 1 (calls every pair in sync) or 0 (never)."""

    def __init__(self, in_sync: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.face = torch.tensor([1.0, 0.0]) if in_sync else torch.tensor([0.0, 1.0])

    def forward(self, mel, faces):
        batch = len(mel)
        return torch.tensor([1.0, 0.0]).expand(batch, 2), self.face.expand(batch, 2)


def test_expert_accuracy_counts_both_classes_at_the_threshold():
    eval_set = expert_eval_set([segment("a", 0), segment("b", 25)], geometry(), DATA, pairs=20, seed=0)
    yes = expert_accuracy(ConstantExpert(True), eval_set, geometry(), 0.5, 8)
    assert (yes["accuracy"], yes["in_sync_accuracy"], yes["off_sync_accuracy"], yes["pairs"]) == (0.5, 1.0, 0.0, 20.0)
    no = expert_accuracy(ConstantExpert(False), eval_set, geometry(), 0.5, 8)
    assert (no["accuracy"], no["in_sync_accuracy"], no["off_sync_accuracy"]) == (0.5, 0.0, 1.0)
    assert yes["auc"] == no["auc"] == 0.5  # constant scores rank nothing


def test_ranking_auc_counts_ordered_pairs():
    scores, labels = torch.tensor([0.9, 0.4, 0.5, 0.1]), torch.tensor([1.0, 1.0, 0.0, 0.0])
    assert ranking_auc(scores, labels) == 0.75  # 0.9 beats both negatives, 0.4 beats one
