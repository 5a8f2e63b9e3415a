"""The ``videos`` dynamic partitions: one per raw video, keyed by its content id."""

from __future__ import annotations

import dagster as dg

videos_partitions = dg.DynamicPartitionsDefinition(name="videos")


def range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags selecting the contiguous partition range ``keys[0] .. keys[-1]``."""
    return {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
