"""Asset ``mel``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.metadata import report_batch, report_partitions
from assets.partitions import videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages import mel as stage

FIGURES = {"mel_frames": "mel_frames", "audio_seconds": "seconds"}


@dg.asset(
    group_name="data",
    partitions_def=videos_partitions,
    deps=["ingest"],
    kinds={"librosa", "numpy", "dvc"},
    owners=OWNERS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",
    pool=WRITER_POOL,
)
def mel(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Wav2Lip-compatible log-mel spectrograms (80 bands, 80 frames/s, clipped to [-4, 4])
    of each ingested video's 16 kHz audio."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout, video_ids=list(context.partition_keys))
    report_partitions(context, project.layout, summary["manifest"], FIGURES)
    report_batch(context, summary, "audio_seconds")
    return dg.MaterializeResult()
