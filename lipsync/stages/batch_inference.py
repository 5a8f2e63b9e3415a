"""Runner of the ``batch_inference`` job (not a pipeline stage): dubbing jobs with the project's
params and models. ``lipsync infer`` (one job or a job list) and the Dagster job
``batch_inference`` both call it; it is the one place that turns ``params.yaml`` and the layout
into an :class:`~lipsync.inference.job.InferenceConfig`."""

from __future__ import annotations

from pathlib import Path

from lipsync.config import Params
from lipsync.inference.job import InferenceConfig, InferenceJob, JobResult
from lipsync.layout import Layout

GENERATOR_STAGE = "generator"  # its result.json names the default model until a champion alias is set


def inference_config(params: Params, layout: Layout) -> InferenceConfig:
    """The settings and paths a job reads, as plain values (they travel to worker processes)."""
    return InferenceConfig(
        settings=params.inference,
        faces=params.faces,
        mel=params.mel,
        generator=params.models.generator,
        fps=params.format.fps,
        window_frames=params.format.sync_window,
        window_mel=params.models.generator.audio.mel_frames,
        mlruns=layout.mlruns,
        generator_result=layout.model_result(GENERATOR_STAGE),
        log_file=layout.inference_log,
    )


def run(
    params: Params,
    layout: Layout,
    jobs: list[InferenceJob | JobResult],
    workers: int | None = None,
    progress: bool = False,
) -> dict:
    """Run ``jobs`` (from :func:`read_jobs`, or built by the caller) with ``workers`` processes
    (default ``inference.workers``). Returns {"results": [JobResult], "table": Markdown, "ok",
    "failed", "success"}; every job is also a line of ``logs/inference/processing.log``."""
    from lipsync.inference.jobs import outcome_table, run_jobs

    config = inference_config(params, layout)
    results = run_jobs(jobs, config, params.inference.workers if workers is None else workers, progress)
    failed = sum(not r.ok for r in results)
    return {
        "results": results,
        "table": outcome_table(results),
        "ok": len(results) - failed,
        "failed": failed,
        "success": failed == 0,
        "log": str(layout.inference_log),
    }


def read_jobs(path: Path, overwrite: bool = False) -> list[InferenceJob | JobResult]:
    """The rows of a job list (CSV: face, audio, out, optional model and face_index)."""
    from lipsync.inference.jobs import read_job_list

    return read_job_list(path, overwrite)
