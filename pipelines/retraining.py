"""The retraining loop's triggers: a schedule (``retraining.cron``, weekly by default) and a sensor
on new usable clips (``retraining.min_new_clips``), both launching ``retraining_job`` and both on
by default (``make ui`` runs the Dagster daemon with the webserver).

The schedule skips, saying why, when the data, params and code of every promoted model equal
its champion's or its challenger's (a retraining would reproduce a version already judged). The
sensor counts the clips in the shards that the champion was not trained on; the
``new_raw_videos`` sensor turns new raw files into shards first. Each launches at most one run
per data version (its run key). What they decide on is :mod:`lipsync.stages.retraining`.
"""

import dagster as dg

from assets.resources import PROJECT_ROOT, LipsyncProject
from lipsync.project import open_project
from lipsync.stages import retraining
from pipelines.jobs import retraining_job

SETTINGS = open_project(PROJECT_ROOT).params.retraining  # the cron is part of the definitions


def _client(project):
    from lipsync.tracking import open_tracking

    return open_tracking(project.layout.mlruns)


@dg.schedule(job=retraining_job, cron_schedule=SETTINGS.cron, execution_timezone=SETTINGS.timezone,
             default_status=dg.DefaultScheduleStatus.RUNNING)  # fmt: skip
def retraining_schedule(context: dg.ScheduleEvaluationContext, lipsync: LipsyncProject):
    """Retrain, evaluate and decide on a promotion every `retraining.cron` tick, unless the data,
    params and code of every promoted model are its champion's or its challenger's (already judged)."""
    project = lipsync.open()
    try:
        changes = retraining.changes_since_champion(project.params, project.layout, _client(project))
    except FileNotFoundError as exc:
        return dg.SkipReason(f"nothing to retrain on yet: {exc}")
    changed = {stage: lines for stage, lines in changes.items() if lines}
    if not changed:
        return dg.SkipReason("nothing changed since the champion (or the challenger, already judged): same data "
                             "version, params and code for " + ", ".join(changes))  # fmt: skip
    what = "; ".join(f"{stage}: {', '.join(lines)}" for stage, lines in changed.items())
    stamp = context.scheduled_execution_time.isoformat()  # the tick's time: one run per tick
    return dg.RunRequest(run_key=f"scheduled-{stamp}", tags={"lipsync/trigger": "schedule",
                                                              "lipsync/changes": what[:4000]})  # fmt: skip


@dg.sensor(job=retraining_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_clips_since_champion(context: dg.SensorEvaluationContext, lipsync: LipsyncProject):
    """Retrain once `retraining.min_new_clips` usable clips (in the shards) are not in the champion's
    training data."""
    project = lipsync.open()
    try:
        found = retraining.new_clips_since_champion(project.params, project.layout, _client(project))
    except FileNotFoundError as exc:
        return dg.SkipReason(str(exc))
    threshold = project.params.retraining.min_new_clips
    counted = f"{found['new']} usable new clip(s) of {found['clips']} since {found['against']}"
    if found["new"] < threshold:
        return dg.SkipReason(f"{counted}; a retraining starts at {threshold}")
    return dg.RunRequest(run_key=f"new-clips-{found['data_version']}",
                         tags={"lipsync/trigger": "new clips", "lipsync/new_clips": counted[:4000]})  # fmt: skip
