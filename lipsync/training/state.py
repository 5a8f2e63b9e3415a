"""Training checkpoints: everything an exact resume needs, in a Wav2Lip-compatible dict.

A file ``<checkpoints>/step-00001000.pt`` holds

- ``state_dict``, ``optimizer``, ``global_step``, ``global_epoch``: the primary model (the
  expert, or the generator) in the Wav2Lip format, so
  :func:`lipsync.models.load_checkpoint` reads it for inference;
- ``architecture``: the primary model's class name;
- ``modules`` / ``optimizers``: the other trained modules (the discriminator) by name;
- ``data_position``: [data epoch, batches consumed in it];
- ``guard``: the loss guard's running means; ``rng``: every rank's torch RNG state.

Files are written atomically (temporary name, then rename) and only hold tensors and
plain containers, so they load with ``weights_only=True``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lipsync.atomic import atomic_path
from lipsync.models import CheckpointError, UnreadableCheckpoint, load_checkpoint
from lipsync.training.data import DataPosition
from lipsync.training.distributed import gathered, unwrapped

PATTERN = "step-*.pt"


@dataclass(frozen=True)
class Resumed:
    """What a checkpoint restores besides weights: step, data position, guard state."""

    path: Path
    step: int
    position: DataPosition
    guard: dict


def checkpoint_path(directory: Path, step: int) -> Path:
    return Path(directory) / f"step-{step:08d}.pt"


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def save_training_state(
    path: Path,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    step: int,
    position: DataPosition,
    guard: dict,
) -> Path | None:
    """Collective: every rank must call it (RNG states are gathered); rank 0 writes ``path``.

    ``modules``/``optimizers`` share their keys; the first entry is the primary model.
    Returns the path on rank 0, None elsewhere.
    """
    states = gathered(rng_state())
    if torch.distributed.is_initialized() and torch.distributed.get_rank() != 0:
        return None
    names = list(modules)
    primary = names[0]
    payload = {
        "state_dict": unwrapped(modules[primary]).state_dict(),
        "optimizer": optimizers[primary].state_dict(),
        "global_step": int(step),
        "global_epoch": int(position.epoch),
        "architecture": type(unwrapped(modules[primary])).__name__,
        "modules": {n: unwrapped(modules[n]).state_dict() for n in names[1:]},
        "optimizers": {n: optimizers[n].state_dict() for n in names[1:]},
        "data_position": [position.epoch, position.batch],
        "guard": guard,
        "rng": states,
    }
    with atomic_path(Path(path)) as temporary, temporary.open("wb") as stream:
        torch.save(payload, stream)
        stream.flush()
        os.fsync(stream.fileno())
    return Path(path)


def load_training_state(
    path: Path, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], rank: int
) -> Resumed:
    """Restore weights, optimisers and this rank's RNG from ``path`` (strictly).

    Raises CheckpointError naming the file when it is missing, unreadable, not a training
    checkpoint, or written for another architecture or other settings.
    """
    names = list(modules)
    load_checkpoint(unwrapped(modules[names[0]]), path)  # strict, names the file and every bad key
    payload = torch.load(path, map_location="cpu", weights_only=True)
    needed = {"optimizer", "modules", "optimizers", "data_position", "guard", "rng"}
    if not needed <= set(payload):
        raise CheckpointError(
            f"checkpoint {path} holds weights only (no {sorted(needed - set(payload))}); it cannot "
            "resume a run. Start a fresh run directory, or use it as initial weights."
        )
    try:
        optimizers[names[0]].load_state_dict(payload["optimizer"])
        for name in names[1:]:
            unwrapped(modules[name]).load_state_dict(payload["modules"][name], strict=True)
            optimizers[name].load_state_dict(payload["optimizers"][name])
    except (KeyError, RuntimeError, ValueError) as error:
        raise CheckpointError(f"checkpoint {path} does not fit this run's {names}: {error}") from error
    states = payload["rng"]
    state = states[rank] if rank < len(states) else states[0]
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])
    epoch, batch = payload["data_position"]
    return Resumed(Path(path), int(payload["global_step"]), DataPosition(int(epoch), int(batch)), payload["guard"])


def resume_newest_readable(
    directory: Path, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], rank: int
) -> tuple[Resumed | None, list[tuple[Path, str]]]:
    """Restore the newest checkpoint of ``directory`` that can be read, going back past damaged
    files (a truncated newest one beside an intact older one, say). Returns (what was restored,
    or None when no checkpoint loads; the damaged files passed over, newest first, with the
    reason). Damaged files are left in place: the resumed run writes its own under their names.
    A checkpoint that reads but does not fit the model is still an error (CheckpointError)."""
    files = sorted(Path(directory).glob(PATTERN), reverse=True) if Path(directory).is_dir() else []
    damaged: list[tuple[Path, str]] = []
    for path in files:
        try:
            return load_training_state(path, modules, optimizers, rank), damaged
        except UnreadableCheckpoint as error:
            damaged.append((path, str(error)))
    return None, damaged


def prune_checkpoints(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints; returns the deleted paths."""
    files = sorted(Path(directory).glob(PATTERN))
    doomed = files[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
