"""The ``training:`` section of ``params.yaml``: data views, the loop, and the three trainers.

Frozen and without defaults (loaded with :func:`lipsync.params_loader.from_mapping`), so every
number comes from ``params.yaml``. Model shapes stay in ``models:``; the mel convention in
``mel:``; this section holds only what training itself decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lipsync.training.augment import AugmentSettings, WindowAugmentSettings


@dataclass(frozen=True)
class LoopSettings:
    """One optimisation run.

    steps: optimiser steps (the budget; 0 registers the starting weights, evaluated once).
    batch: samples per rank per step.
    lr, betas: Adam. log_every / checkpoint_every / eval_every: in steps (the last step
    always logs, checkpoints and evaluates). keep_checkpoints: newest files kept.
    explode_factor: a loss above this many times its running mean stops the run;
    explode_window: steps the running mean averages over (an EMA of that span), and the
    check waits for that many steps first. mixed_precision: bfloat16 autocast on CUDA
    (ignored on CPU, where training is always float32). final_lr: the learning rate at the
    last step as a fraction of ``lr`` (and of every other optimiser's own rate), reached by
    a half-cosine from step 0; 1.0 keeps the rates constant.
    """

    steps: int
    batch: int
    lr: float
    betas: tuple[float, float]
    final_lr: float
    log_every: int
    checkpoint_every: int
    keep_checkpoints: int
    eval_every: int
    explode_factor: float
    explode_window: int
    mixed_precision: bool

    def __post_init__(self) -> None:
        if self.steps < 0:
            raise ValueError(f"training loop key 'steps' must be >= 0, got {self.steps}")
        for name in ("batch", "log_every", "checkpoint_every", "keep_checkpoints", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"training loop key '{name}' must be >= 1, got {getattr(self, name)}")
        if not 0.0 < self.final_lr <= 1.0:
            raise ValueError(f"training loop key 'final_lr' must be in (0, 1], got {self.final_lr}")


@dataclass(frozen=True)
class DataSettings:
    """How samples become training views.

    dataloader_workers: DataLoader processes per rank (0: load in the training process); at
        most ``shards.reader_workers``, which sized the shard set for them.
    shuffle_buffer: views mixed before batching. epoch_batches: batches per rank per data
        epoch; each epoch re-seeds the shard sampler, and a resume replays at most one.
    views_per_segment: windows drawn from each decoded segment.
    expert_negatives: off-sync audio windows trained with each expert face window (K: one
        face forward serves 1 + K pairs; K = 1 is a balanced pair couple).
    negative_offsets: [min, max] frames between a face window and its off-sync audio.
    silence_level: a mel window whose maximum (normalised log-mel, [-4, 4]) is below this
        is silent; off-sync pairs whose two audio windows are both silent are dropped.
    reference_gap: minimum distance in frames between a reference frame and every target frame.
    augment: expert training pairs; window_augment: generator training windows (see
        :mod:`lipsync.training.augment`).
    """

    dataloader_workers: int
    shuffle_buffer: int
    epoch_batches: int
    views_per_segment: int
    expert_negatives: int
    negative_offsets: tuple[int, int]
    silence_level: float
    reference_gap: int
    augment: AugmentSettings
    window_augment: WindowAugmentSettings

    def __post_init__(self) -> None:
        low, high = self.negative_offsets
        if not 1 <= low <= high:
            raise ValueError(
                f"training.data.negative_offsets must be [min, max], 1 <= min <= max: {self.negative_offsets}"
            )
        if self.expert_negatives < 1:
            raise ValueError(f"training.data.expert_negatives must be >= 1, got {self.expert_negatives}")
        if self.dataloader_workers and self.epoch_batches % self.dataloader_workers:
            raise ValueError(
                f"training.data.epoch_batches ({self.epoch_batches}) must be a multiple of "
                f"dataloader_workers ({self.dataloader_workers})"
            )


@dataclass(frozen=True)
class CeilingSettings:
    """The sync ceiling (:mod:`lipsync.training.ceiling`): an MLP given the corpus's true mouth
    parameters instead of pixels. hidden: widths of its hidden layers; dropout: after each;
    mel_pool: mel bands averaged into one input;
    epochs: passes over every training window (each with its in-sync audio and one fresh
    off-sync window); batch: pairs per Adam step; lr, weight_decay: AdamW; seed: its own."""

    hidden: tuple[int, ...]
    dropout: float
    mel_pool: int
    epochs: int
    batch: int
    lr: float
    weight_decay: float
    seed: int


@dataclass(frozen=True)
class ExpertTrainingSettings:
    """The SyncNet expert. eval_pairs: balanced pairs scored at each evaluation (half in
    sync); decision_threshold: sync probability at or above which a pair is called in sync;
    ceiling: the perfect-eye classifier scored on the same pairs."""

    loop: LoopSettings
    eval_pairs: int
    decision_threshold: float
    ceiling: CeilingSettings


@dataclass(frozen=True)
class EvaluatorTrainingSettings:
    """The SyncNet evaluator (``syncnet_evaluator``): its own seed (views, order, init), so it
    shares no randomness with the models it judges. exclude_near: candidates 1 .. exclude_near - 1
    frames from the target are left out of the matching (1: none); padding_candidate: the
    protocol's zero padding is a candidate too; batch_negatives: so are the other views' audio
    windows in the batch (see :mod:`lipsync.training.evaluator`)."""

    loop: LoopSettings
    seed: int
    exclude_near: int
    padding_candidate: bool
    batch_negatives: bool


@dataclass(frozen=True)
class AdversarialSettings:
    """The adversarial term on the lower face. enabled: the one switch; it builds our PatchGAN
    (``models.discriminator``) for ``generator`` and the published ``Wav2Lip_disc_qual`` for
    ``wav2lip_baseline``. weight: of the generator's adversarial loss; start: first step it
    applies; lr, betas: the discriminator's Adam."""

    enabled: bool
    weight: float
    start: int
    lr: float
    betas: tuple[float, float]


@dataclass(frozen=True)
class PerceptualSettings:
    """VGG-16 feature L1. weights: path of a torchvision ``vgg16().features`` state dict
    (nothing is downloaded); null turns the term off. weight: its loss weight."""

    weights: str | None
    weight: float


@dataclass(frozen=True)
class WarmStartSettings:
    """Where a generator's training starts. source: ``scratch`` (fresh weights from the seed),
    ``champion`` (the registry's champion of the stage's model, resolved to a version once and
    recorded) or ``checkpoint`` (the file ``checkpoint``: one of ours, or for the baseline the
    official ``wav2lip.pth``; loaded strictly, weights only). Only a fresh start uses them: a
    run that finds its own checkpoint resumes from it."""

    source: Literal["scratch", "champion", "checkpoint"]
    checkpoint: str | None

    def __post_init__(self) -> None:
        if (self.source == "checkpoint") != (self.checkpoint is not None):
            raise ValueError("training.<stage>.warm_start: 'checkpoint' names a file exactly when source is checkpoint")


@dataclass(frozen=True)
class GeneratorTrainingSettings:
    """One generator trainer (ours or the Wav2Lip baseline).

    sync_weight: weight of the frozen expert's sync loss from step ``sync_start`` (0 before).
    mask_prior_weight: L1 pull of the compositor mask toward its prior (ours only).
    eval_windows: 5-frame windows scored at each evaluation; grid_windows: rows of the sample grid.
    warm_start: the weights training starts from.
    """

    loop: LoopSettings
    sync_weight: float
    sync_start: int
    mask_prior_weight: float
    adversarial: AdversarialSettings
    perceptual: PerceptualSettings
    eval_windows: int
    grid_windows: int
    warm_start: WarmStartSettings


@dataclass(frozen=True)
class MouthBoxSettings:
    """Fallback mouth box from the two mouth-corner landmarks, in units of the corner
    distance w: corners widened by ``margin`` x w on each side, from ``above`` x w above the
    corner line to ``below`` x w below it (the jaw opens downwards)."""

    margin: float
    above: float
    below: float


@dataclass(frozen=True)
class TrainingSettings:
    """One section per training stage, named as the stage (``syncnet_expert``,
    ``syncnet_evaluator``, ``generator``, ``wav2lip_baseline``), plus what they share: the
    seed, the data views, the mouth boxes."""

    seed: int
    data: DataSettings
    syncnet_expert: ExpertTrainingSettings
    syncnet_evaluator: EvaluatorTrainingSettings
    generator: GeneratorTrainingSettings
    wav2lip_baseline: GeneratorTrainingSettings
    mouth_box: MouthBoxSettings
