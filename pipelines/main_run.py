"""The main job, as ``make run`` runs it: corpus, every video partition, shards, training,
evaluation, the promotion decision and the benchmark report.

Four runs on the project's persistent instance, launched from the workspace's code
location like runs started in the UI (:mod:`pipelines.launch`), so they appear in the
Overview timeline and on the Jobs page with their materializations and metadata:
``corpus_job``; then the new raw videos become ``videos`` partitions (what the sensor does);
then ``data_job`` over the whole partition range in one run (the runners skip videos that
are already up to date); then ``training_job``: the expert and the evaluator, our generator
and the Wav2Lip baseline, each registered; then ``evaluation_job``: the evaluation, the
promotion decision and the benchmark report. The project root reaches the runs as the
``lipsync`` resource's config, so a project other than this checkout (a test's) runs the
same code.
"""

from __future__ import annotations

import logging
import time

import dagster as dg

from assets import WRITER_POOL
from assets.partitions import range_tags, videos_partitions
from lipsync.project import Project
from lipsync.stages.ingest import new_video_ids
from lipsync.stages.registry import stages_of
from pipelines.instance import free_finished_slots, project_instance
from pipelines.launch import launch, open_workspace

log = logging.getLogger("lipsync")


def run_main_job(
    project: Project,
    progress: bool = False,
    instance: dg.DagsterInstance | None = None,
    with_corpus: bool = True,
    with_training: bool = True,
) -> dict:
    instance = instance or project_instance(project.layout.dagster_home)
    run_config = {
        "resources": {"lipsync": {"config": {"root": str(project.root)}}},
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    started = time.perf_counter()
    for run_id in free_finished_slots(instance, WRITER_POOL):
        log.warning("pipeline: freed the %s pool slot left by ended run %s", WRITER_POOL, run_id)
    runs = {}
    with open_workspace(instance) as workspace:
        if with_corpus:
            runs["corpus_job"] = _execute(workspace, "corpus_job", run_config, {})
        known = instance.get_dynamic_partitions(videos_partitions.name)
        new = new_video_ids(project.params, project.layout, set(known))
        if new:
            instance.add_dynamic_partitions(videos_partitions.name, new)
            log.info("pipeline: %d new video partition(s)", len(new))
        keys = instance.get_dynamic_partitions(videos_partitions.name)
        if keys:
            runs["data_job"] = _execute(workspace, "data_job", run_config, range_tags(keys))
        if with_training and runs.get("data_job", {}).get("success"):
            runs["training_job"] = _execute(workspace, "training_job", run_config, {})
            if runs["training_job"]["success"]:
                runs["evaluation_job"] = _execute(workspace, "evaluation_job", run_config, {})
    return {
        "success": all(r["success"] for r in runs.values()),
        "runs": runs,
        "partitions": len(keys),
        "new_partitions": len(new),
        "seconds": round(time.perf_counter() - started, 1),
        **_results(project),
        "dagster_home": str(project.layout.dagster_home),
    }


def _results(project: Project) -> dict:
    """What the data now holds: files accepted/rejected, and the shards per split."""
    import json

    import pandas as pd

    out = {}
    if project.layout.ingest_manifest.exists():
        status = pd.read_parquet(project.layout.ingest_manifest, columns=["status"]).status
        out["videos"] = {k: int((status == k).sum()) for k in ("ok", "rejected", "failed", "duplicate")}
    models = {}
    for stage in stages_of(kind="training"):
        path = project.layout.model_result(stage.name)
        if path.exists():
            result = json.loads(path.read_text())
            models[stage.name] = {
                "model": f"{result['model']['name']} v{result['model']['version']}",
                "run_id": result["model"]["run_id"],
                "metrics": result["metrics"],
            }
    if models:
        out["models"] = models
    report = project.layout.benchmark / "benchmark.md"
    if report.exists():
        out["report"] = str(project.layout.benchmark / "benchmark.html")
    if project.layout.shards_manifest.exists():
        manifest = json.loads(project.layout.shards_manifest.read_text())
        out["shards"] = {
            "manifest": str(project.layout.shards_manifest),
            "data_version": manifest["data_version"],
            "samples": {s: v["samples"] for s, v in manifest["splits"].items()},
        }
    return out


def _execute(workspace, job_name: str, run_config: dict, tags: dict) -> dict:
    run = launch(workspace, job_name, run_config, tags)
    checks = workspace.instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000
    ).records
    failed_checks = [
        r.event_log_entry.dagster_event.asset_check_evaluation_data.check_name
        for r in checks
        if not r.event_log_entry.dagster_event.asset_check_evaluation_data.passed
    ]
    for check in failed_checks:
        log.warning("pipeline: asset check %s failed", check)
    return {"run_id": run.run_id, "success": run.status == dg.DagsterRunStatus.SUCCESS, "failed_checks": failed_checks}
