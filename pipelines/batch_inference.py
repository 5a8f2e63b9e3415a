"""The Dagster job ``batch_inference``: a job list, given by config, dubbed row by row.

Each row is its own step (``dub_row``, mapped over the rows) with its own result and metadata
(outcome, frames, frames/s, model, output path); a failed row never stops the others. The last
step shows the outcome table and fails the run, after every row has run, when a row failed.

Launchpad config::

    ops:
      job_rows:
        config: {jobs: path/to/jobs.csv, overwrite: false}   # relative to the project root
"""

from pathlib import Path

import dagster as dg

from assets.resources import LipsyncProject
from lipsync.stages import batch_inference as runner


class JobListConfig(dg.Config):
    """jobs: the CSV job list (columns face, audio, out, optional model and face_index), absolute
    or relative to the project root; overwrite: replace outputs that exist."""

    jobs: str
    overwrite: bool = False


@dg.op(out=dg.DynamicOut(), tags={"kind": "csv"})
def job_rows(config: JobListConfig, lipsync: LipsyncProject):
    """One output per row of the job list (a row that cannot be read is passed on as its failure)."""
    project = lipsync.open()
    path = Path(config.jobs) if Path(config.jobs).is_absolute() else project.root / config.jobs
    for number, entry in enumerate(runner.read_jobs(path, config.overwrite), start=1):
        yield dg.DynamicOutput(entry, mapping_key=f"row_{number}")


@dg.op(tags={"kind": "pytorch"})
def dub_row(context: dg.OpExecutionContext, lipsync: LipsyncProject, entry) -> dg.Output:
    """Lip-sync one row (face + audio -> out.mp4); its outcome is this step's result."""
    project = lipsync.open()
    result = runner.run(project.params, project.layout, [entry], workers=1)["results"][0]
    if not result.ok:
        context.log.error(f"{result.job.out}: failed: {result.reason}")
    for note in result.notes:
        context.log.warning(f"{result.job.out}: {note}")
    return dg.Output(result, metadata={
        "outcome": dg.MetadataValue.text(result.outcome),
        "reason": dg.MetadataValue.text(result.reason or "-"),
        "out": dg.MetadataValue.path(str(result.job.out)),
        "model": dg.MetadataValue.text(result.model or "-"),
        "frames": dg.MetadataValue.int(result.frames),
        "frames_per_second": dg.MetadataValue.float(round(result.frames_per_second, 2)),
        "seconds": dg.MetadataValue.float(round(result.seconds, 2)),
    })  # fmt: skip


@dg.op
def job_outcomes(context: dg.OpExecutionContext, results: list) -> dg.Output:
    """The outcome table; fails the run (after every row ran) when a row failed."""
    from lipsync.inference.jobs import outcome_table

    table = outcome_table(results)
    failed = [r for r in results if not r.ok]
    metadata = {"outcomes": dg.MetadataValue.md(table), "ok": len(results) - len(failed), "failed": len(failed)}
    if failed:
        raise dg.Failure(description=f"{len(failed)} of {len(results)} rows failed", metadata=metadata)
    return dg.Output(len(results), metadata=metadata)


@dg.job(executor_def=dg.in_process_executor, tags={"lipsync/kind": "inference"})
def batch_inference():
    """Lip-sync every row of a job list (config ``ops.job_rows.config.jobs``): one step per row, then the
    outcome table; rows that fail are reported and never stop the others."""
    job_outcomes(job_rows().map(dub_row).collect())
