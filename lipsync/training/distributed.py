"""Data-parallel training across processes (``torchrun``), and the single-process fallback.

Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) the process group is initialised
from the environment: NCCL on CUDA, gloo on CPU. Models are wrapped in
``DistributedDataParallel``; only rank 0 writes checkpoints and logs. Outside torchrun
every helper degrades to the one-process answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Distributed:
    """rank / world: this process and the number of processes; device: where it trains."""

    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of this process: from the process group, else the environment, else (0, 1)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def setup(device: str | None = None) -> Distributed:
    """Join the process group when launched by torchrun; pick the device.

    device: 'cpu', 'cuda' or None (CUDA when available). With several CUDA processes each
    takes GPU ``LOCAL_RANK``.
    """
    use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", init_method="env://")
    rank, world = rank_and_world()
    if use_cuda:
        index = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(index)
        return Distributed(rank, world, torch.device("cuda", index))
    return Distributed(rank, world, torch.device("cpu"))


def teardown() -> None:
    """Leave the process group, if one was joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap(module: nn.Module, context: Distributed) -> nn.Module:
    """``module`` on the context's device, in DistributedDataParallel when world > 1."""
    module = module.to(context.device)
    if context.world == 1:
        return module
    ids = [context.device.index] if context.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)


def mean_across(values: torch.Tensor) -> torch.Tensor:
    """Average a float tensor over ranks (identity in one process); every rank gets the result."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / dist.get_world_size()


def gathered(value: Any) -> list[Any]:
    """``value`` from every rank, in rank order (``[value]`` in one process)."""
    if not (dist.is_available() and dist.is_initialized()):
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def unwrapped(module: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the module itself)."""
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module
