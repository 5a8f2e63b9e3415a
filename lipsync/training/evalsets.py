"""Read a whole evaluation split into memory (its segments, in shard order).

Evaluation sets are small (the corpus test split is 42 segments, about 30 MB) and fixed,
so they are read once, without shuffling or resampling, by the process that evaluates
(rank 0): no node splitting.
"""

from __future__ import annotations

import webdataset as wds

from lipsync.data.shards import Sample
from lipsync.training.data import decode, raise_shard_error, shard_urls


def read_split(shards) -> list[Sample]:
    """All samples of ``shards`` (glob, folder or list of paths), in order; ShardError names a bad file."""
    urls = shard_urls(shards)
    dataset = wds.WebDataset(urls, shardshuffle=False, nodesplitter=None, handler=raise_shard_error, empty_check=False)
    samples = [decode(raw) for raw in dataset]
    if not samples:
        raise ValueError(f"evaluation shards {urls[0]}... hold no samples")
    return samples
