"""What the training loop and a task exchange: loss terms, the task protocol, where samples
come from, where a run writes, tracking callbacks and the run summary (see
:mod:`lipsync.training.loop`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from lipsync.training.distributed import Distributed
from lipsync.training.settings import DataSettings
from lipsync.training.windows import WindowGeometry


class LossTerm(NamedTuple):
    """optimizer: key of the optimiser this loss steps; loss: scalar tensor with grad;
    metrics: floats to log (means over the log interval); guard: the running mean the loss
    guard compares it with (default: the optimizer key). A task names a new one when its
    loss changes definition, e.g. once a scheduled term switches on."""

    optimizer: str
    loss: Tensor
    metrics: dict[str, float]
    guard: str | None = None


class Task(Protocol):
    """modules / optimizers: same keys, the primary model first (its weights become the
    checkpoint's ``state_dict``)."""

    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]

    def distribute(self, context: Distributed) -> None: ...  # move to device, wrap for DDP

    def terms(self, batch: dict[str, Tensor], step: int) -> Iterator[LossTerm]: ...

    def evaluate(self, step: int) -> tuple[dict[str, float], np.ndarray | None]: ...  # rank 0 only


@dataclass(frozen=True)
class RunPaths:
    """checkpoints: folder of ``step-*.pt``; log: ``train.log``; metrics: ``metrics.json``."""

    checkpoints: Path
    log: Path
    metrics: Path


@dataclass(frozen=True)
class Callbacks:
    """Hooks for tracking (MLflow...), called on rank 0 only. images: uint8 (H, W, 3) RGB or None."""

    on_metrics: Callable[[int, dict[str, float]], None] | None = None
    on_checkpoint: Callable[[Path, int], None] | None = None
    on_eval: Callable[[int, dict[str, float], np.ndarray | None], None] | None = None


@dataclass(frozen=True)
class ShardSource:
    """Where a run's samples come from and how they become views.

    train / eval: WebDataset shards (a folder, a glob, a path or a list); eval None skips
    evaluation. data: the ``training.data`` views; geometry: sync-window timing; seed: of
    the sample order, the views and the evaluation set.
    """

    train: str | Path | list
    eval: str | Path | list | None
    data: DataSettings
    geometry: WindowGeometry
    seed: int


@dataclass(frozen=True)
class RunSetup:
    """Where and how one run executes: its files, its device / DDP context, its tracking hooks."""

    paths: RunPaths
    context: Distributed
    callbacks: Callbacks = field(default_factory=lambda: Callbacks())


@dataclass
class TrainingSummary:
    """step: reached; resumed_from: the step the run started at (0 if fresh); samples_per_rank:
    samples this call trained on each rank (expert face windows or generator windows);
    seconds / samples_per_second: this call's wall time and all-rank rate; checkpoint: the
    last one written; last_eval: the last evaluation's metrics."""

    step: int
    resumed_from: int
    samples_per_rank: list[int]
    seconds: float
    samples_per_second: float
    checkpoint: Path | None
    last_eval: dict[str, float] = field(default_factory=dict)
