"""The ``shards`` section of ``params.yaml``: segments, splits and the shard count.

``segment_frames`` must be a multiple of the sync window (``format.sync_window``); the loader
checks it (:mod:`lipsync.config`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SplitSettings:
    """val / test: speaker-id globs (test wins over val); speakers matching none go to test
    or val by a stable hash of their id with these fractions, and to train otherwise."""

    val: tuple[str, ...]
    test: tuple[str, ...]
    val_fraction: float
    test_fraction: float


@dataclass(frozen=True)
class ShardsSettings:
    """segment_frames: frames per sample. samples_per_shard: target shard size.
    readers: training processes x data-loader workers per process that will read a split at
    once; each split gets at least that many shards with equal sample counts (WebDataset
    hands whole shards to readers). mtime: the fixed tar member time (byte-identical shards).
    verify_sha256: training stages check each shard's sha256 against the manifest before the
    first step (its size is always checked)."""

    segment_frames: int
    samples_per_shard: int
    reader_processes: int
    reader_workers: int
    mtime: int
    verify_sha256: bool
    split: SplitSettings

    @property
    def readers(self) -> int:
        return self.reader_processes * max(1, self.reader_workers)
