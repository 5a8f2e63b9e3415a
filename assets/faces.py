"""Asset ``faces``."""

import dagster as dg

from assets.metadata import image_metadata, stage_metadata
from assets.partitions import videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages import faces as stage


@dg.asset(
    group_name="data",
    partitions_def=videos_partitions,
    deps=["ingest"],
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",
)
def faces(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """MTCNN (PyTorch port of the `mtcnn` wheel's weights) every k-th frame, O-Net refinement
    and landmarks on every frame, main-speaker track, square crops with chin padding; boxes
    and landmarks kept for re-cropping at other sizes."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout, video_ids=list(context.partition_keys))
    for name, reason in summary["rejections"].items():
        context.log.warning(f"faces rejected {name}: {reason}")
    meta = stage_metadata(summary, "frames")
    if project.layout.faces_contact_sheet.exists():
        meta["contact_sheet"] = image_metadata(project.layout.faces_contact_sheet)
    return dg.MaterializeResult(metadata=meta)
