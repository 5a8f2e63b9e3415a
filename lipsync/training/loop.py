"""The training loop shared by the expert, our generator and the Wav2Lip baseline.

A :class:`Task` owns its models, optimisers and losses; the loop owns everything around
them: the step budget, the learning-rate schedule (:func:`lr_factor`), device and DDP,
bfloat16 autocast on CUDA, the loss guard, checkpoints (every ``checkpoint_every`` steps
and at the end, rank 0, atomic), resuming from the newest checkpoint that loads (a damaged newer one is
skipped and logged), evaluation, logs and callbacks.

A task's ``terms(batch, step)`` is a generator of :class:`LossTerm`: the loop takes one
term, checks it (averaged over ranks, so every rank decides alike), back-propagates it and
steps its optimiser, then asks for the next. A GAN's discriminator term can so be computed
after the generator's update, from the same forward pass.

Exact resume: weights, optimiser moments, RNG states, the guard and the data position
``(epoch, batch)`` are all in the checkpoint, and the data stream is a pure function of
(seed, epoch, rank, worker); in one CPU process a run stopped and resumed ends with
bit-identical weights to an uninterrupted one.

The types a task deals in (:class:`LossTerm`, :class:`Task`, :class:`RunPaths`,
:class:`Callbacks`, :class:`TrainingSummary`) live in :mod:`lipsync.training.task` and are
re-exported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time

import torch
from torch import Tensor

from lipsync.training.data import BatchStream, DataPosition
from lipsync.training.distributed import Distributed, gathered, mean_across
from lipsync.training.guard import LossGuard, TrainingDiverged
from lipsync.training.logs import MetricInterval, TrainLog
from lipsync.training.settings import LoopSettings
from lipsync.training.state import (
    checkpoint_path,
    prune_checkpoints,
    resume_newest_readable,
    save_training_state,
)
from lipsync.training.task import Callbacks, LossTerm, RunPaths, Task, TrainingSummary

_log = logging.getLogger("lipsync")

__all__ = ["Callbacks", "LossTerm", "RunPaths", "Task", "TrainingSummary", "autocast", "lr_factor", "run_step", "train"]


def autocast(context: Distributed, settings: LoopSettings) -> contextlib.AbstractContextManager:
    """bfloat16 autocast on CUDA when enabled (no loss scaling needed); float32 elsewhere."""
    if context.device.type == "cuda" and settings.mixed_precision:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def lr_factor(step: int, settings: LoopSettings) -> float:
    """Learning-rate multiplier of the update that makes step ``step + 1``: a half-cosine from
    1 at step 0 down to ``final_lr`` at the last step. A pure function of the step, so a
    resumed run follows the same schedule."""
    progress = min(step / max(settings.steps - 1, 1), 1.0)
    return settings.final_lr + (1.0 - settings.final_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def set_learning_rates(optimizers: dict[str, torch.optim.Optimizer], factor: float) -> None:
    """Scale every parameter group's own base rate (kept as ``initial_lr``, as torch's
    schedulers do; saved with the optimiser state) by ``factor``."""
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
            group["lr"] = group["initial_lr"] * factor


def run_step(task: Task, batch: dict[str, Tensor], step: int, guard: LossGuard, amp, last_good: str) -> dict:
    """One optimisation step of every term; raises TrainingDiverged before a bad update."""
    metrics: dict[str, float] = {}
    terms = task.terms(batch, step)
    while True:
        with amp:
            term = next(terms, None)
        if term is None:
            return metrics
        value = float(mean_across(term.loss.detach().float().reshape(1)))
        problem = guard.problem(term.guard or term.optimizer, value)
        if problem:
            raise TrainingDiverged(
                f"training stopped at step {step + 1}: {problem}; this update was not applied, last good checkpoint "
                f"{last_good} kept. Lower the learning rate or check the data, then resume."
            )
        optimizer = task.optimizers[term.optimizer]
        optimizer.zero_grad(set_to_none=True)
        term.loss.backward()
        optimizer.step()
        metrics.update(term.metrics)


def train(
    task: Task,
    stream: BatchStream,
    settings: LoopSettings,
    paths: RunPaths,
    context: Distributed,
    callbacks: Callbacks | None = None,
) -> TrainingSummary:
    """Train ``task`` to ``settings.steps`` steps, resuming from the newest checkpoint in
    ``paths.checkpoints`` when there is one. Raises TrainingDiverged (nothing saved past the
    last good checkpoint), ShardError, or CheckpointError (a checkpoint of another model).

    Samples are counted in the stream's units: expert face windows (each with 1 + K audio
    windows) or generator windows of 5 frames.
    """
    run = _Run(task, settings, paths, context, callbacks or Callbacks())
    batches = stream.batches(run.start())
    while run.step < settings.steps:
        batch, position = next(batches)
        run.train_step({k: v.to(context.device, non_blocking=True) for k, v in batch.items()})
        final = run.step == settings.steps
        if run.step % settings.log_every == 0 or final:
            run.log_metrics()
        if run.step % settings.checkpoint_every == 0 or final:
            run.checkpoint(position)
        if (run.step % settings.eval_every == 0 or final) and context.main:
            run.evaluate()
    if settings.steps == 0 and context.main:  # nothing trained: the starting weights are the result
        run.evaluate()
    return run.finish()


class _Run:
    """The state of one call of :func:`train` around the task: step, guard, logs, summary."""

    def __init__(self, task: Task, settings: LoopSettings, paths: RunPaths, context: Distributed, callbacks):
        self.task, self.settings, self.paths, self.context, self.callbacks = task, settings, paths, context, callbacks
        self.guard = LossGuard(settings.explode_factor, settings.explode_window)
        self.step, self.samples, self.interval = 0, 0, MetricInterval()
        self.amp = autocast(context, settings)
        self.summary = TrainingSummary(0, 0, [], 0.0, 0.0, None)

    def start(self) -> DataPosition:
        """Restore the newest checkpoint that loads, if any; open the logs; return the data position."""
        resumed, damaged = resume_newest_readable(
            self.paths.checkpoints, self.task.modules, self.task.optimizers, self.context.rank
        )
        position, latest = DataPosition(0, 0), None
        if resumed is not None:
            self.step, position, latest = resumed.step, resumed.position, resumed.path
            self.guard.load_state_dict(resumed.guard)
        self.last_good, self.summary.checkpoint = str(latest or "none"), latest
        self.summary.step = self.summary.resumed_from = self.step
        self.log = TrainLog(self.paths.log, self.paths.metrics, self.context.main, self.step)
        for path, reason in damaged:
            fallback = latest or "none (starting from step 0)"
            self.log.event("unreadable_checkpoint", self.step, path=path, fallback=fallback, reason=reason)
            if self.context.main:
                _log.warning("training: checkpoint %s is unreadable (%s); resuming from %s", path, reason, fallback)
        kind = "resumed" if latest else "started"
        self.log.event(kind, self.step, checkpoint=latest or "none", world=self.context.world)
        self.task.distribute(self.context)
        self.started = time.perf_counter()
        return position

    def train_step(self, batch: dict[str, Tensor]) -> None:
        try:
            set_learning_rates(self.task.optimizers, lr_factor(self.step, self.settings))
            metrics = run_step(self.task, batch, self.step, self.guard, self.amp, self.last_good)
        except TrainingDiverged as error:
            self.log.event("diverged", self.step + 1, message=str(error))
            raise
        size = len(next(iter(batch.values())))
        self.step, self.samples = self.step + 1, self.samples + size
        self.interval.add(metrics, size)

    def log_metrics(self) -> None:
        values = self.interval.flush(self.context.world)
        self.log.metrics("train", self.step, values)
        if self.context.main and self.callbacks.on_metrics:
            self.callbacks.on_metrics(self.step, values)

    def checkpoint(self, position: DataPosition) -> None:
        """Collective; rank 0 writes, prunes old files and reports."""
        task, target = self.task, checkpoint_path(self.paths.checkpoints, self.step)
        path = save_training_state(target, task.modules, task.optimizers, self.step, position, self.guard.state_dict())
        if path is None:
            return
        self.last_good, self.summary.checkpoint = str(path), path
        prune_checkpoints(self.paths.checkpoints, self.settings.keep_checkpoints)
        self.log.event("checkpoint", self.step, path=path)
        if self.callbacks.on_checkpoint:
            self.callbacks.on_checkpoint(path, self.step)

    def evaluate(self) -> None:
        values, images = self.task.evaluate(self.step)
        self.log.metrics("eval", self.step, values)
        self.summary.last_eval = values
        if self.callbacks.on_eval:
            self.callbacks.on_eval(self.step, values, images)

    def finish(self) -> TrainingSummary:
        summary = self.summary
        summary.step, summary.seconds = self.step, time.perf_counter() - self.started
        summary.samples_per_rank = [int(n) for n in gathered(self.samples)]
        summary.samples_per_second = sum(summary.samples_per_rank) / max(summary.seconds, 1e-9)
        record = {k: v for k, v in dataclasses.asdict(summary).items() if k != "last_eval"}
        self.log.summary({**record, "checkpoint": str(summary.checkpoint), "seconds": round(summary.seconds, 3)})
        return summary
