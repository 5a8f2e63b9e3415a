"""Asset ``ingest`` and its check on the share of rejected files."""

import dagster as dg
import pandas as pd

from assets import OWNERS, WRITER_POOL
from assets.metadata import report_batch, report_partitions
from assets.partitions import videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages import ingest as stage

FIGURES = {"frames": "frames", "duration_seconds": "duration_s", "width": "width", "height": "height"}


@dg.asset(
    group_name="data",
    partitions_def=videos_partitions,
    deps=["corpus"],
    kinds={"pyav", "parquet", "dvc"},
    owners=OWNERS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",
    pool=WRITER_POOL,
)
def ingest(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Probe, validate and normalise each raw video (25 fps H.264, 16 kHz mono wav) and record
    a status and a reason per file in `manifest.parquet` (a copy, remux or re-encode of another
    file: `duplicate`, naming the original), and every raw-folder entry passed over (hidden,
    linked, unreadable) in `skipped.json`. One partition per video."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout, video_ids=list(context.partition_keys))
    for name, reason in summary["rejections"].items():
        context.log.warning(f"ingest rejected {name}: {reason}")
    for name, reason in summary["failures"].items():
        context.log.warning(f"ingest failed {name} (retried on the next run): {reason}")
    for name, reason in summary["skipped_reasons"].items():
        context.log.warning(f"ingest skipped {name}: {reason}")
    report_partitions(context, project.layout, summary["manifest"], FIGURES)
    report_batch(context, summary, "video_seconds")
    return dg.MaterializeResult()


@dg.asset_check(asset=ingest, description="The share of rejected files stays under checks.max_rejected_share.")
def ingest_rejected_share(lipsync: LipsyncProject) -> dg.AssetCheckResult:
    project = lipsync.open()
    manifest = pd.read_parquet(project.layout.ingest_manifest, columns=["status", "source"])
    share = float((manifest.status == "rejected").mean()) if len(manifest) else 0.0
    limit = project.params.checks.max_rejected_share
    return dg.AssetCheckResult(
        passed=share <= limit,
        metadata={"rejected_share": share, "limit": limit, "files": len(manifest)},
        description=f"{share:.0%} of {len(manifest)} files rejected (limit {limit:.0%})",
    )
