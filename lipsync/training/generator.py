"""Train a lip-sync generator: ours (:class:`LipSyncGenerator`) or the Wav2Lip baseline.

Per step, on B windows of 5 frames (RGB, [0, 1]):

    loss = L1(face, target)                                   # whole crop, per pixel
         + sync_weight * expert_sync(face, sync_mel)          # from step sync_start; 0 before
         + mask_prior_weight * L1(mask, prior)                # ours: see generator_adapters
         + adversarial.weight * BCE(D(face), real)            # optional critic, from adversarial.start
         + perceptual.weight * VGG-L1(face, target)           # only with real weights given by path

The expert is frozen (eval mode, no gradients to its weights) and judges the lower halves
of the 5 output frames against the window's audio. Before ``sync_start`` its loss is still
computed, without gradients, and logged. With the adversarial term on, a second term
updates the discriminator (our PatchGAN for ours, the published ``Wav2Lip_disc_qual`` for
the baseline) on real frames against the just-generated ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import Tensor, nn

from lipsync.models import SyncNet
from lipsync.training.data import BatchStream, collate_generator, shard_urls
from lipsync.training.distributed import Distributed, wrap
from lipsync.training.evalsets import read_split
from lipsync.training.generator_adapters import adapter_for, critic_bce, expert_sync_loss, is_published_critic
from lipsync.training.generator_eval import GeneratorEvalSet, evaluate_generator, frames_of, generator_eval_set
from lipsync.training.loop import train
from lipsync.training.perceptual import build_perceptual
from lipsync.training.settings import GeneratorTrainingSettings
from lipsync.training.task import LossTerm, RunSetup, ShardSource, TrainingSummary
from lipsync.training.windows import generator_view

MouthBoxes = Callable[[GeneratorEvalSet], np.ndarray]  # eval set -> (N, 5, 4) crop pixels


def _adam(module: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    return torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=lr, betas=betas)


class GeneratorTask:
    """The loop's task: 'generator' (and 'discriminator' when given) modules and optimisers."""

    def __init__(
        self,
        generator: nn.Module,
        expert: SyncNet,
        settings: GeneratorTrainingSettings,
        discriminator: nn.Module | None = None,
        evaluation: tuple[GeneratorEvalSet, np.ndarray] | None = None,
    ) -> None:
        self.generator, self.expert, self.settings, self.discriminator = generator, expert, settings, discriminator
        self.adapter, self.evaluation = adapter_for(generator), evaluation
        self.expert.eval().requires_grad_(False)
        self.perceptual = build_perceptual(settings.perceptual)
        loop = settings.loop
        self.modules: dict[str, nn.Module] = {"generator": generator}
        self.optimizers = {"generator": _adam(generator, loop.lr, loop.betas)}
        if discriminator is not None:
            self.modules["discriminator"] = discriminator
            self.optimizers["discriminator"] = _adam(discriminator, settings.adversarial.lr, settings.adversarial.betas)
        self.model, self.critic = generator, discriminator
        self.published_critic = is_published_critic(discriminator)
        self.device = torch.device("cpu")

    def distribute(self, context: Distributed) -> None:
        self.device = context.device
        self.model = wrap(self.generator, context)
        self.critic = wrap(self.discriminator, context) if self.discriminator is not None else None
        for frozen in (self.expert, self.perceptual):
            if frozen is not None:
                frozen.to(context.device)

    def terms(self, batch: dict[str, Tensor], step: int) -> Iterator[LossTerm]:
        s = self.settings
        target, reference = batch["target"], batch["reference"]  # (B, 3, 5, S, S)
        face, mask = self.adapter(self.model, target, reference, batch["mel"])  # (B, 3, 5, S, S)
        l1 = (face - target).abs().mean()
        sync_weight = s.sync_weight if step >= s.sync_start else 0.0
        with torch.set_grad_enabled(sync_weight > 0):
            sync = expert_sync_loss(self.expert, face, batch["sync_mel"])
        loss = l1 + sync_weight * sync
        metrics = {"l1": float(l1.detach()), "sync": float(sync.detach())}
        if mask is not None and s.mask_prior_weight > 0:
            prior = (mask - self.adapter.mask_prior(self.generator, mask)).abs().mean()
            loss, metrics["mask_prior"] = loss + s.mask_prior_weight * prior, float(prior.detach())
        if self.perceptual is not None and s.perceptual.weight > 0:
            perceptual = self.perceptual(frames_of(face), frames_of(target))
            loss, metrics["perceptual"] = loss + s.perceptual.weight * perceptual, float(perceptual.detach())
        adversarial = self.discriminator is not None and step >= s.adversarial.start
        if adversarial:
            self.discriminator.requires_grad_(False)  # raw module: no DDP hooks, no grads to the critic
            generated = frames_of(face)  # (B*T, 3, S, S)
            fooled = critic_bce(
                self.discriminator,
                generated,
                torch.ones(len(generated), device=generated.device),
                self.published_critic,
            )
            self.discriminator.requires_grad_(True)
            loss, metrics["adversarial"] = loss + s.adversarial.weight * fooled, float(fooled.detach())
        metrics["loss"] = float(loss.detach())
        phase = "generator" + ("+sync" if sync_weight else "") + ("+adversarial" if adversarial else "")
        yield LossTerm("generator", loss, metrics, guard=phase)  # a new running mean when a term switches on
        if adversarial:
            frames = torch.cat([frames_of(target), frames_of(face.detach())])  # one forward: DDP-friendly
            labels = torch.zeros(len(frames), device=frames.device)
            labels[: len(frames) // 2] = 1.0  # real first, then generated
            critic = critic_bce(self.critic, frames, labels, self.published_critic)
            yield LossTerm("discriminator", critic, {"discriminator": float(critic.detach())})

    def generate(self, target: Tensor, reference: Tensor, mel: Tensor) -> Tensor:
        return self.adapter(self.generator, target, reference, mel)[0]

    def evaluate(self, step: int) -> tuple[dict[str, float], np.ndarray | None]:
        if self.evaluation is None:
            return {}, None
        eval_set, boxes = self.evaluation
        was_training = self.generator.training
        self.generator.eval()
        s = self.settings
        metrics, grid = evaluate_generator(
            self.generate, self.expert, eval_set, boxes, s.loop.batch, s.grid_windows, self.device
        )
        self.generator.train(was_training)
        return metrics, grid


def train_generator(
    generator: nn.Module,
    expert: SyncNet,
    settings: GeneratorTrainingSettings,
    source: ShardSource,
    setup: RunSetup,
    mouth_boxes: MouthBoxes | None = None,
    discriminator: nn.Module | None = None,
) -> TrainingSummary:
    """Train ``generator`` (ours or Wav2Lip) against the frozen ``expert``.

    mouth_boxes: eval set -> (N, 5, 4) crop-pixel boxes (corpus truth or
    :class:`~lipsync.training.generator_eval.LandmarkMouthBoxes`), needed when ``source.eval``
    is set. discriminator: required when ``settings.adversarial.enabled``, and only then.
    """
    if settings.adversarial.enabled != (discriminator is not None):
        raise ValueError("training adversarial.enabled needs a discriminator, and a discriminator needs it")
    view = functools.partial(generator_view, geometry=source.geometry, data=source.data)
    batch = settings.loop.batch
    stream = BatchStream(shard_urls(source.train), view, collate_generator, batch, source.data, source.seed)
    evaluation = None
    if source.eval is not None and setup.context.main:
        if mouth_boxes is None:
            raise ValueError("generator evaluation needs mouth_boxes (corpus truth or LandmarkMouthBoxes)")
        split = read_split(source.eval)
        eval_set = generator_eval_set(split, source.geometry, source.data, settings.eval_windows, source.seed)
        evaluation = (eval_set, mouth_boxes(eval_set))
    task = GeneratorTask(generator, expert, settings, discriminator, evaluation)
    return train(task, stream, settings.loop, setup.paths, setup.context, setup.callbacks)
