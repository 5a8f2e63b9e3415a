"""Endless, seeded, resumable batches of training views from WebDataset shards.

Each rank reads its own resampled shard stream (``wds.ResampledShards``, seeded per rank
and DataLoader worker), decodes the raw ``.npy`` members (no image codec), cuts views with
a per-rank, per-worker numpy generator, shuffles them in a seeded buffer and batches them.
Streams are cut into data epochs of ``epoch_batches`` batches (``with_epoch``), so every
rank sees the same count; each epoch re-seeds everything from ``(seed, epoch)``.

``WebDataset(resampled=True)`` seeds its shard sampler from the clock and the process id,
so the pipeline is composed from its stages here with a fixed seed instead. A position
``(epoch, batch)`` therefore names a batch exactly: resuming rebuilds that epoch and skips
``batch`` batches (at most one epoch of loading is replayed).
"""

from __future__ import annotations

import functools
import glob
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import webdataset as wds

from lipsync.data.shards import Sample, decode_sample
from lipsync.training.distributed import rank_and_world
from lipsync.training.settings import DataSettings

View = Callable[[Sample, np.random.Generator], list[dict]]
Collate = Callable[[list[dict]], dict[str, torch.Tensor]]


class ShardError(RuntimeError):
    """A shard is missing, truncated or holds an undecodable sample."""


@dataclass(frozen=True)
class DataPosition:
    """Where a rank's stream stands: ``batch`` batches of data epoch ``epoch`` consumed."""

    epoch: int
    batch: int


def shard_urls(shards: str | Path | list[str | Path]) -> list[str]:
    """Sorted shard paths from a glob pattern, a folder (its ``*.tar``) or an explicit list.

    Raises ShardError naming the pattern when nothing matches, or the first missing file.
    """
    if isinstance(shards, (str, Path)):
        pattern = str(Path(shards) / "*.tar") if Path(shards).is_dir() else str(shards)
        urls = sorted(glob.glob(pattern))
        if not urls:
            raise ShardError(f"no shards match {pattern}; run the shards stage first")
        return urls
    urls = [str(u) for u in shards]
    missing = [u for u in urls if not Path(u).is_file()]
    if missing or not urls:
        raise ShardError(f"shard {missing[0] if missing else '(none given)'} does not exist; run the shards stage")
    return urls


def raise_shard_error(error: Exception) -> bool:
    """WebDataset exception handler: raise ShardError naming the shard being read.

    Inner tar stages call it before the shard's url is attached to the error; it re-raises
    the error unchanged then, and the outer stage calls it again with the url.
    """
    where = [a for a in getattr(error, "args", ()) if isinstance(a, str) and a.endswith(".tar")]
    if not where:
        raise error
    reason = f"{type(error).__name__}: {error.args[0]}" if error.args else type(error).__name__
    raise ShardError(f"shard {where[-1]} is unreadable ({reason}); rebuild it with the shards stage") from error


def decode(raw: dict) -> Sample:
    """Decode a raw tar sample, naming its shard and key on failure."""
    try:
        return decode_sample(raw)
    except Exception as error:
        shard, key = raw.get("__url__", "(unknown shard)"), raw.get("__key__")
        raise ShardError(f"shard {shard}: sample {key} cannot be decoded ({error}); rebuild it") from error


def view_seed(seed: int, epoch: int) -> list[int]:
    """Entropy of one (rank, worker) view generator: distinct per rank, worker and epoch."""
    rank, _ = rank_and_world()
    info = torch.utils.data.get_worker_info()
    return [seed, epoch, rank, info.id if info else 0]


def views(source: Iterator[dict], view: View, seed: int, epoch: int, buffer: int) -> Iterator[dict]:
    """Pipeline stage: raw samples -> decoded -> views, mixed in a seeded shuffle buffer."""
    rng = np.random.default_rng(view_seed(seed, epoch))
    pool: list[dict] = []
    for raw in source:
        pool.extend(view(decode(raw), rng))
        while len(pool) > buffer:
            yield pool.pop(int(rng.integers(len(pool))))
    while pool:
        yield pool.pop(int(rng.integers(len(pool))))


class BatchStream:
    """Endless batches of ``view`` outputs for this rank.

    urls: shard paths; view(sample, rng) -> list of view dicts; collate(list) -> batch of tensors.
    """

    def __init__(self, urls: list[str], view: View, collate: Collate, batch: int, data: DataSettings, seed: int):
        self.urls, self.view, self.collate, self.batch, self.data, self.seed = urls, view, collate, batch, data, seed

    def epoch_pipeline(self, epoch: int) -> wds.DataPipeline:
        """The batches of one data epoch: ``epoch_batches / max(1, workers)`` per worker."""
        per_worker = self.data.epoch_batches // max(1, self.data.dataloader_workers)
        return wds.DataPipeline(
            wds.ResampledShards(self.urls, seed=self.seed * 100_003 + epoch, deterministic=True),
            wds.split_by_node,  # resampled streams differ per rank already; kept so any shard list splits
            wds.split_by_worker,
            wds.tarfile_to_samples(handler=raise_shard_error),
            functools.partial(views, view=self.view, seed=self.seed, epoch=epoch, buffer=self.data.shuffle_buffer),
            wds.batched(self.batch, collation_fn=self.collate, partial=False),
        ).with_epoch(per_worker)

    def batches(self, start: DataPosition) -> Iterator[tuple[dict[str, torch.Tensor], DataPosition]]:
        """Yield (batch, position after it) from ``start`` on, forever."""
        epoch, skip = start.epoch, start.batch
        while True:
            loader = torch.utils.data.DataLoader(
                self.epoch_pipeline(epoch), batch_size=None, num_workers=self.data.dataloader_workers
            )
            for index, batch in enumerate(loader):
                if index >= skip:
                    yield batch, DataPosition(epoch, index + 1)
            epoch, skip = epoch + 1, 0


def collate_expert(pairs: list[dict]) -> dict[str, torch.Tensor]:
    """Expert pairs or groups -> {'faces': float (B, 15, S/2, S) in [0, 1], 'mel': float
    (B, 1, 80, 16) for pairs or (B, 1+K, 1, 80, 16) for groups, 'label': float (B,) or
    (B, 1+K), 1 in sync / 0 off-sync}."""
    return {
        "faces": torch.from_numpy(np.stack([p["faces"] for p in pairs])).float().div_(255.0),
        "mel": torch.from_numpy(np.stack([p["mel"] for p in pairs])),
        "label": torch.from_numpy(np.stack([p["label"] for p in pairs])),
    }


def faces_tensor(frames: np.ndarray) -> torch.Tensor:
    """uint8 (B, T, S, S, 3) RGB -> float (B, 3, T, S, S) in [0, 1], contiguous.

    Contiguous matters beyond speed: permuted (channels-last-like) strides crashed the CPU
    convolution backward of torch 2.14 with heap corruption for narrow layers.
    """
    return torch.from_numpy(frames).permute(0, 4, 1, 2, 3).contiguous().float().div_(255.0)


def collate_generator(windows: list[dict]) -> dict[str, torch.Tensor]:
    """Generator windows -> {'target', 'reference': float (B, 3, 5, S, S) RGB in [0, 1];
    'mel': (B, 5, 1, 80, 16); 'sync_mel': (B, 1, 80, 16); 'boxes': (B, 5, 4);
    'landmarks': (B, 5, 5, 2), video pixels}."""

    def stacked(name: str) -> np.ndarray:
        return np.stack([w[name] for w in windows])

    return {
        "target": faces_tensor(stacked("target")),
        "reference": faces_tensor(stacked("reference")),
        **{name: torch.from_numpy(stacked(name)) for name in ("mel", "sync_mel", "boxes", "landmarks")},
    }
