"""Asset ``mel``."""

import dagster as dg

from assets.metadata import stage_metadata
from assets.partitions import videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages import mel as stage


@dg.asset(
    group_name="data",
    partitions_def=videos_partitions,
    deps=["ingest"],
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",
)
def mel(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Wav2Lip-compatible log-mel spectrograms (80 bands, 80 frames/s, clipped to [-4, 4])
    of each ingested video's 16 kHz audio."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout, video_ids=list(context.partition_keys))
    return dg.MaterializeResult(metadata=stage_metadata(summary, "audio_seconds"))
