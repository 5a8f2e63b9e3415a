"""Evaluator training: views hold every candidate window of their segment, silent face
windows are skipped, and multi-way matching lowers the loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from lipsync.evaluation.settings import SyncNetV2Settings
from lipsync.evaluation.syncnet_v2 import SyncNetV2
from lipsync.training import Callbacks, RunPaths, RunSetup, ShardSource, setup
from lipsync.training.augment import AugmentSettings
from lipsync.training.evaluator import collate_evaluator, evaluator_view, sample_windows, train_evaluator
from lipsync.training.settings import EvaluatorTrainingSettings
from tests.training.training_fixtures import geometry, segment, tiny_training, write_shards

TINY_NET = SyncNetV2Settings((4, 8, 8, 8, 8, 16), (4, 8, 8, 8, 8, 16), 16, 16, 96, "rgb", 0.0)


def test_views_hold_every_candidate_and_skip_silence():
    sample = segment("v0", 0, quiet=(0, 1, 2, 3, 4, 5, 6))  # windows 0..2 are silent from frame 0 to 6
    faces, mfccs = sample_windows(sample, TINY_NET)
    assert faces.shape == (20, 5, 96, 96, 3) and mfccs.shape == (20, 1, 13, 20)
    data = dataclasses.replace(tiny_training().data, views_per_segment=30)
    views = evaluator_view(sample, np.random.default_rng(0), geometry(), data, net=TINY_NET, candidates=20)
    targets = {int(v["target"]) for v in views}
    assert len(views) == 30 and min(targets) >= 3  # a silent face window is never a target
    assert all(v["valid"].all() and v["mfcc"].shape == (20, 1, 13, 20) for v in views)
    short = segment("v1", 0, frames=10)
    padded = evaluator_view(short, np.random.default_rng(0), geometry(), data, net=TINY_NET, candidates=20)[0]
    assert padded["valid"].sum() == 5 and (padded["mfcc"][5:] == 0).all()  # 10 frames: 5 protocol windows
    batch = collate_evaluator(views[:4])
    assert batch["faces"].dtype == torch.uint8 and batch["mfcc"].shape == (4, 20, 1, 13, 20)


def test_training_lowers_the_matching_loss(tmp_path):
    shards = write_shards(tmp_path / "shards", shards=1, per_shard=4)
    augment = AugmentSettings(flip=False, color=0.0, shift_px=0, mel_gain=0.0, mel_shift=0)  # not params.yaml's
    data = dataclasses.replace(tiny_training().data, views_per_segment=4, shuffle_buffer=4, augment=augment)
    loop = dataclasses.replace(tiny_training(steps=200, batch=4, every=200).syncnet_evaluator.loop, lr=3e-3)
    settings = EvaluatorTrainingSettings(
        loop=loop, seed=7, exclude_near=3, padding_candidate=True, batch_negatives=True
    )
    torch.manual_seed(0)
    net = SyncNetV2(TINY_NET)
    losses = []
    hooks = Callbacks(on_metrics=lambda step, metrics: losses.append(metrics["loss"]))
    paths = RunPaths(tmp_path / "checkpoints", tmp_path / "train.log", tmp_path / "metrics.json")
    source = ShardSource(shards, shards, data, geometry(), 1)
    summary = train_evaluator(net, settings, source, RunSetup(paths, setup("cpu"), hooks), candidates=20)
    assert summary.step == 200 and len(losses) == 200
    # Over 200 steps the 20-step mean loss fell by 0.35-0.47 with five net seeds (2.95 -> 2.49 with
    # this one); a 12-step comparison was within the batches' noise (3.477 -> 3.471).
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 0.2
    assert {"pair_accuracy", "top1", "windows"} <= set(summary.last_eval)
