"""Asset ``faces``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.metadata import image_metadata, report_batch, report_partitions
from assets.partitions import videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages import faces as stage

FIGURES = {
    "frames": "frames",
    "face_frames": "face_frames",
    "other_faces": "other_faces",
    "detections_run": "detections_run",
    "processing_seconds": "seconds",
}


@dg.asset(
    group_name="data",
    partitions_def=videos_partitions,
    deps=["ingest"],
    kinds={"pytorch", "numpy", "dvc"},
    owners=OWNERS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",
    pool=WRITER_POOL,
)
def faces(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """MTCNN (PyTorch port of the `mtcnn` wheel's weights) every k-th frame, O-Net refinement
    and landmarks on every frame, main-speaker track, square crops with chin padding; boxes
    and landmarks kept for re-cropping at other sizes. The run's contact sheet of crops is
    `contact_sheet.png` in the stage folder."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout, video_ids=list(context.partition_keys))
    for name, reason in summary["rejections"].items():
        context.log.warning(f"faces rejected {name}: {reason}")
    report_partitions(context, project.layout, summary["manifest"], FIGURES)
    sheet = project.layout.faces_contact_sheet
    report_batch(context, summary, "frames", image_metadata("contact_sheet", sheet) if sheet.exists() else {})
    return dg.MaterializeResult()
