"""Job lists: many dubbing jobs through a pool of worker processes, an outcome for each.

A job list is a CSV with the columns ``face``, ``audio``, ``out`` and optionally ``model`` and
``face_index``; relative paths are taken from the CSV's folder. A row that cannot be read, or
a job that fails (no face, corrupt audio, an existing output...), is reported with its reason
and never stops the others. Every job, done or failed, adds one line to
``logs/inference/processing.log`` (inputs, model, frames, seconds, frames/s, outcome).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from lipsync.inference.job import InferenceConfig, InferenceJob, JobResult

REQUIRED = ("face", "audio", "out")
OPTIONAL = ("model", "face_index")
_LOADED: dict = {}  # model spec -> LoadedGenerator, per process


class JobListError(ValueError):
    """The job list as a whole cannot be read (missing file or columns)."""


def read_job_list(path: Path, overwrite: bool = False) -> list[InferenceJob | JobResult]:
    """One entry per data row: an :class:`InferenceJob`, or a failed :class:`JobResult` saying
    why the row cannot be a job. Raises JobListError when the file or its header is unusable."""
    path = Path(path)
    try:
        with path.open(newline="") as stream:
            rows = list(csv.DictReader(stream))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise JobListError(f"job list {path}: cannot be read ({error})") from None
    missing = [c for c in REQUIRED if c not in header]
    if not rows or missing:
        raise JobListError(f"job list {path}: needs a header with columns {', '.join(REQUIRED)} and at least one row")
    return [_job(path, number, row, overwrite) for number, row in enumerate(rows, start=2)]


def _job(path: Path, line: int, row: dict, overwrite: bool) -> InferenceJob | JobResult:
    values = {key: (row.get(key) or "").strip() for key in (*REQUIRED, *OPTIONAL)}
    where = lambda value: (path.parent / value) if value else Path()  # noqa: E731
    job = InferenceJob(where(values["face"]), where(values["audio"]), where(values["out"]), overwrite=overwrite)
    empty = [key for key in REQUIRED if not values[key]]
    if empty:
        return JobResult(job, "failed", f"job list {path} line {line}: empty {', '.join(empty)}")
    index = values["face_index"]
    if index and not index.isdigit():
        return JobResult(job, "failed", f"job list {path} line {line}: face_index {index!r} is not a whole number")
    model = values["model"] or None
    if model and not model.startswith("models:/"):
        model = str(where(model))
    return InferenceJob(job.face, job.audio, job.out, model, int(index) if index else None, overwrite)


def run_job(job: InferenceJob, config: InferenceConfig, progress: bool = False) -> JobResult:
    """Run one job; any failure becomes a failed :class:`JobResult` with its reason."""
    from lipsync.inference.batch import dub

    started = time.perf_counter()
    identity = ""
    try:
        loaded = _generator(job.model, config)
        identity = loaded.identity
        done = dub(job, config, loaded, progress)
    except Exception as error:  # a failed job never stops the others: it is reported instead
        reason = str(error) if isinstance(error, ValueError | OSError) else f"{type(error).__name__}: {error}"
        return JobResult(job, "failed", reason, identity, seconds=time.perf_counter() - started)
    return JobResult(
        job, "ok", "", identity, done["frames"], done["face_frames"], done["silent_frames"], done["seconds"],
        tuple(done["notes"]),
    )  # fmt: skip


def _generator(spec: str | None, config: InferenceConfig):
    from lipsync.inference.model_source import load_generator

    if spec not in _LOADED:
        _LOADED[spec] = load_generator(spec, config.generator, config.mlruns, config.generator_result)
    return _LOADED[spec]


def run_jobs(
    entries: list[InferenceJob | JobResult], config: InferenceConfig, workers: int, progress: bool = False
) -> list[JobResult]:
    """Every job of a list, ``workers`` at a time (1: in this process); results in list order, each logged."""
    jobs = [(i, e) for i, e in enumerate(entries) if isinstance(e, InferenceJob)]
    results: dict[int, JobResult] = {i: e for i, e in enumerate(entries) if isinstance(e, JobResult)}
    for result in results.values():
        log_result(config.log_file, result)
    if workers <= 1 or len(jobs) <= 1:
        for i, job in jobs:
            results[i] = run_job(job, config, progress)
            log_result(config.log_file, results[i])
        return [results[i] for i in range(len(entries))]
    count = min(workers, len(jobs))
    threads = max(1, (os.cpu_count() or 1) // count)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context, initializer=_worker_setup, initargs=(threads,)) as pool:
        futures = {pool.submit(run_job, job, config): i for i, job in jobs}
        for future in as_completed(futures):
            results[futures[future]] = result = future.result()
            log_result(config.log_file, result)
            if progress:
                print(
                    f"{result.outcome}: {result.job.out} ({result.frames} frames, {result.seconds:.1f} s)", flush=True
                )
    return [results[i] for i in range(len(entries))]


def _worker_setup(threads: int) -> None:
    import cv2
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(1)


def log_result(path: Path, result: JobResult) -> None:
    """Append one line for ``result`` to ``path`` (the processing log)."""
    job = result.job
    fields = {
        "outcome": result.outcome, "face": str(job.face), "audio": str(job.audio), "out": str(job.out),
        "model": result.model, "frames": result.frames, "face_frames": result.face_frames,
        "silent_frames": result.silent_frames, "seconds": round(result.seconds, 2),
        "fps": round(result.frames_per_second, 1), "reason": result.reason, "notes": "; ".join(result.notes),
    }  # fmt: skip
    words = [f"{key}={_quoted(value) if isinstance(value, str) else value}" for key, value in fields.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as stream:
        stream.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + " ".join(words) + "\n")


def _quoted(value: str) -> str:
    """A log value as is when it is one plain word, else JSON-quoted (spaces, quotes, empty)."""
    return value if re.fullmatch(r"[\w./:@+-]+", value) else json.dumps(value)


def outcome_table(results: list[JobResult]) -> str:
    """A Markdown table: one row per job with its outcome, frames, frames/s and reason or notes."""
    lines = [
        "| # | face | audio | out | outcome | frames | frames/s | reason / notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(results, start=1):
        said = (r.reason or "; ".join(r.notes)).replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {number} | {r.job.face.name} | {r.job.audio.name} | {r.job.out} | {r.outcome} | {r.frames} | "
            f"{r.frames_per_second:.1f} | {said} |"
        )
    return "\n".join(lines)
