"""Sensors: new raw videos become partitions and are processed, in one run per batch."""

import dagster as dg

from assets.partitions import range_tags, videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages.ingest import new_video_ids
from pipelines.jobs import data_job


@dg.sensor(job=data_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def new_raw_videos(context: dg.SensorEvaluationContext, lipsync: LipsyncProject) -> dg.SensorResult:
    """Add a ``videos`` partition for each new file under ``paths.raw_videos`` and run the data job on them."""
    known = set(context.instance.get_dynamic_partitions(videos_partitions.name))
    project = lipsync.open()
    try:
        new = new_video_ids(project.params, project.layout, known)
    except FileNotFoundError as exc:  # the raw folder does not exist yet (e.g. before `corpus` ran)
        return dg.SensorResult(skip_reason=str(exc))
    if not new:
        return dg.SensorResult(skip_reason="no new raw videos")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"videos-{new[0]}-{new[-1]}-{len(new)}", tags=range_tags(new))],
        dynamic_partitions_requests=[videos_partitions.build_add_request(new)],
    )
