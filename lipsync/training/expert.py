"""Train the lip-sync expert (SyncNet) and score it on off-sync classification.

Loss: binary cross-entropy of the cosine similarity of the two unit embeddings against the
pair label (as :func:`lipsync.models.sync_loss`). Every face window comes with its own
audio and K windows of the same segment's audio 5..15 frames away (:mod:`pairs`), and the
in-sync and off-sync halves weigh the same, so batches are balanced.

Evaluation (:func:`expert_accuracy`) on a fixed set of balanced pairs from held-out
speakers: a pair is called in sync when its probability is >= ``decision_threshold``.
Windows are drawn with a fixed seed, each giving one in-sync and one off-sync pair; pairs
whose own and offset audio windows are both silent are excluded (silent: the window's
loudest mel bin is below ``data.silence_level``; a closed mouth matches either window, so
no model can tell them apart). Audio alone defines silence: the face is never consulted,
so the test set does not depend on a mouth detector. The number of pairs stays the same all
run (:data:`CONSTANT_METRICS`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lipsync.data.shards import Sample
from lipsync.models import SyncNet, sync_probability
from lipsync.training.data import BatchStream, collate_expert, shard_urls
from lipsync.training.distributed import Distributed, wrap
from lipsync.training.evalsets import read_split
from lipsync.training.loop import train
from lipsync.training.pairs import expert_pair, expert_view, negative_for
from lipsync.training.settings import DataSettings, ExpertTrainingSettings
from lipsync.training.task import LossTerm, RunSetup, ShardSource, TrainingSummary
from lipsync.training.windows import WindowGeometry, window_starts

CONSTANT_METRICS = frozenset({"pairs"})


@dataclass(frozen=True)
class ExpertEvalSet:
    """Balanced evaluation pairs: segments plus (segment, face window i, audio window j) triples."""

    segments: list[Sample]
    pairs: list[tuple[int, int, int]]

    def batches(self, geometry: WindowGeometry, size: int) -> Iterator[dict[str, Tensor]]:
        for first in range(0, len(self.pairs), size):
            chunk = self.pairs[first : first + size]
            yield collate_expert([expert_pair(self.segments[s], i, j, geometry) for s, i, j in chunk])


def expert_eval_set(
    segments: list[Sample], geometry: WindowGeometry, data: DataSettings, pairs: int, seed: int
) -> ExpertEvalSet:
    """``pairs`` balanced pairs (pairs/2 windows, each in sync and off sync), drawn without
    repetition from all windows of ``segments`` with a fixed seed. Fewer when the segments
    hold fewer usable windows."""
    rng = np.random.default_rng(seed)
    windows = [(s, int(i)) for s, seg in enumerate(segments) for i in window_starts(seg, geometry, geometry.frames)]
    chosen: list[tuple[int, int, int]] = []
    for index in rng.permutation(len(windows)):
        if len(chosen) >= pairs:
            break
        s, i = windows[index]
        starts = window_starts(segments[s], geometry, geometry.frames)
        j = negative_for(segments[s], i, starts, geometry, data, rng)
        if j is not None:
            chosen += [(s, i, i), (s, i, j)]
    return ExpertEvalSet(segments, chosen)


@torch.no_grad()
def expert_accuracy(
    syncnet: SyncNet, eval_set: ExpertEvalSet, geometry: WindowGeometry, threshold: float, batch: int
) -> dict[str, float]:
    """accuracy / in_sync_accuracy / off_sync_accuracy (fractions at ``threshold``), auc (the
    threshold-free chance that an in-sync pair outscores an off-sync one), loss (BCE, nats),
    pairs (count)."""
    was_training = syncnet.training
    syncnet.eval()
    device = next(syncnet.parameters()).device
    probabilities, labels = [], []
    for chunk in eval_set.batches(geometry, batch):
        audio, face = syncnet(chunk["mel"].to(device), chunk["faces"].to(device))
        probabilities.append(sync_probability(audio, face).cpu())
        labels.append(chunk["label"])
    syncnet.train(was_training)
    p, y = torch.cat(probabilities), torch.cat(labels)
    correct = ((p >= threshold).float() == y).float()
    loss = torch.nn.functional.binary_cross_entropy(p.clamp(1e-6, 1 - 1e-6), y)
    return {
        "accuracy": float(correct.mean()),
        "in_sync_accuracy": float(correct[y == 1].mean()),
        "off_sync_accuracy": float(correct[y == 0].mean()),
        "auc": ranking_auc(p, y),
        "loss": float(loss),
        "pairs": float(len(y)),
    }


def ranking_auc(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve of (N,) scores for (N,) 0/1 labels; ties count one half."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    above = (positives[:, None] > negatives[None, :]).float().mean()
    ties = (positives[:, None] == negatives[None, :]).float().mean()
    return float(above + 0.5 * ties)


def balanced_bce(probability: Tensor, labels: Tensor) -> Tensor:
    """Binary cross-entropy (nats) with in-sync and off-sync pairs weighing half each.

    probability, labels: (B, 1+K), one in-sync pair and K off-sync pairs per row. Computed in
    float32 with autocast off (binary cross-entropy refuses autocast).
    """
    with torch.autocast(probability.device.type, enabled=False):
        positives = labels.sum(dim=1, keepdim=True)  # (B, 1)
        weight = 0.5 * labels / positives + 0.5 * (1 - labels) / (labels.shape[1] - positives)  # rows sum to 1
        loss = F.binary_cross_entropy(probability.float(), labels.float(), weight=weight, reduction="sum")
        return loss / len(labels)


class ExpertTask:
    """The loop's task for the expert: one module ('syncnet'), one optimiser, BCE."""

    def __init__(self, syncnet: SyncNet, settings: ExpertTrainingSettings, eval_set, geometry: WindowGeometry):
        self.syncnet, self.settings, self.eval_set, self.geometry = syncnet, settings, eval_set, geometry
        loop = settings.loop
        self.modules = {"syncnet": syncnet}
        self.optimizers = {"syncnet": torch.optim.Adam(syncnet.parameters(), lr=loop.lr, betas=loop.betas)}
        self.model = syncnet

    def distribute(self, context: Distributed) -> None:
        self.model = wrap(self.syncnet, context)

    def terms(self, batch: dict[str, Tensor], step: int) -> Iterator[LossTerm]:
        mel, labels = batch["mel"], batch["label"]  # (B, 1+K, 1, 80, 16), (B, 1+K)
        audio, face = self.model(mel.flatten(0, 1), batch["faces"])  # (B*(1+K), E), (B, E)
        probability = sync_probability(audio, face.repeat_interleave(mel.shape[1], dim=0)).view_as(labels)
        loss = balanced_bce(probability, labels)
        correct = ((probability >= self.settings.decision_threshold).float() == labels).float().mean()
        yield LossTerm("syncnet", loss, {"loss": float(loss.detach()), "train_accuracy": float(correct)})

    def evaluate(self, step: int) -> tuple[dict[str, float], None]:
        if self.eval_set is None:
            return {}, None
        s = self.settings
        return expert_accuracy(self.syncnet, self.eval_set, self.geometry, s.decision_threshold, s.loop.batch), None


def train_expert(
    syncnet: SyncNet, settings: ExpertTrainingSettings, source: ShardSource, setup: RunSetup
) -> TrainingSummary:
    """Train ``syncnet`` on ``source.train`` and evaluate it on ``source.eval`` (if any)."""
    view = functools.partial(expert_view, geometry=source.geometry, data=source.data)
    stream = BatchStream(shard_urls(source.train), view, collate_expert, settings.loop.batch, source.data, source.seed)
    eval_set = None
    if source.eval is not None and setup.context.main:
        pairs = settings.eval_pairs
        eval_set = expert_eval_set(read_split(source.eval), source.geometry, source.data, pairs, source.seed)
    task = ExpertTask(syncnet, settings, eval_set, source.geometry)
    return train(task, stream, settings.loop, setup.paths, setup.context, setup.callbacks)
