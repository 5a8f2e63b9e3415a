"""The ``videos`` dynamic partitions: one per raw video, keyed by its content id."""

from __future__ import annotations

import dagster as dg

from lipsync.ingest.scan import scan_raw_videos
from lipsync.project import Project

videos_partitions = dg.DynamicPartitionsDefinition(name="videos")


def new_video_ids(project: Project, known: set[str]) -> list[str]:
    """Ids of raw videos not yet partitions, in scan order (so they form one key range)."""
    found = scan_raw_videos(project.layout.raw_videos, project.params.ingest.extensions)
    seen, out = set(known), []
    for video in found:
        if video.video_id not in seen:
            seen.add(video.video_id)
            out.append(video.video_id)
    return out


def range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags selecting the contiguous partition range ``keys[0] .. keys[-1]``."""
    return {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
