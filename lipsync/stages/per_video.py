"""The one runner of every per-video stage (``ingest``, ``faces``, ``mel``).

A per-video stage says what is particular to it in a :class:`PerVideoStage`: where its
videos come from (``sources``), what makes a result stale (``fingerprint``), and how one
video is processed (``process``). :func:`run_per_video` does the rest the same way for all:

- picks the videos (all known, or the ids asked for; unknown ids are logged and skipped),
- skips videos whose record holds the same fingerprint and whose outputs exist (a
  ``failed`` record never counts as done, nor a ``skipped`` one whose upstream is now ok),
- records a video whose upstream was not ok as ``skipped`` with the upstream reason,
- records a video whose processing hit a machine fault (out of memory, disk full, too many
  open files: :mod:`lipsync.faults`) as ``failed`` with the error, and goes on,
- processes the rest in ``workers`` processes pinned to the x86-64 baseline (the bytes do not
  depend on the CPU: :func:`records.video_pool`), one record and one log line per video,
- removes outputs of videos that are gone, rebuilds the Parquet manifest from the records,
- returns one summary: counts, rejections and notes by source file, seconds, data version.

Records carry the source file, speaker and clip of their video, so every rejection names
the file a user knows, and the Dagster partition events can name speaker and clip.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lipsync.atomic import remove_stale_temporaries
from lipsync.config import Params, section_hash
from lipsync.faults import describe, machine_fault
from lipsync.layout import PER_VIDEO_OUTPUTS, Layout
from lipsync.stages import records as rec

log = logging.getLogger("lipsync")

BASE_COLUMNS = ("video_id", "status", "reason", "notes", "source", "speaker", "clip")
IDENTITY = ("source", "speaker", "clip")
# Part of every fingerprint: how the outputs are computed. Records written before the pinned
# workers (:func:`records.video_pool`) hold CPU-dependent bytes, so they are stale.
RUNNER = "pinned x86-64 baseline workers"

Process = Callable[[str, dict, Params, Layout], dict]


@dataclass(frozen=True)
class PerVideoStage:
    """What one per-video stage adds to the shared runner.

    name: the stage. columns: manifest columns after :data:`BASE_COLUMNS`.
    sources: (params, layout) -> {video_id: source}, every video the stage knows about; a
        source is the upstream record (a dict with ``source``, ``speaker``, ``clip`` and, past
        ingest, ``status``, ``reason`` and ``fingerprint``).
    fingerprint: (params, source) -> str; a record with another fingerprint is stale.
    process: (video_id, source, params, layout) -> record fields (``status``, ``reason``,
        ``notes``, stage columns); a module-level function (it may run in another process);
        never raises for a bad input: the status says.
    workers: (params) -> processes to use (pinned ones: :func:`records.video_pool`).
        finish: (params, layout, ok ids) -> None, run after the records (e.g. a contact
        sheet). extras: (fresh records, params) -> more summary fields.
    """

    name: str
    columns: tuple[str, ...]
    sources: Callable[[Params, Layout], dict[str, dict]]
    fingerprint: Callable[[Params, dict], str]
    process: Process
    workers: Callable[[Params], int] | None = None
    finish: Callable[[Params, Layout, list[str]], None] | None = None
    extras: Callable[[list[dict], Params], dict] | None = None


def run_per_video(
    stage: PerVideoStage, params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False
) -> dict:
    """Run ``stage`` over ``video_ids`` (all known videos when None). Returns the summary."""
    started = time.perf_counter()
    remove_stale_temporaries(layout.stage_folder(stage.name), stage.name, recursive=True)  # a killed run's
    sources = stage.sources(params, layout)
    wanted = _wanted(stage.name, sources, video_ids)
    fingerprints = {v: section_hash((RUNNER, stage.fingerprint(params, sources[v]))) for v in wanted}
    todo = [v for v in wanted if not _current(stage.name, layout, v, fingerprints[v], sources[v])]
    job = functools.partial(_job, stage.name, stage.process, sources, fingerprints, params, layout)
    workers = stage.workers(params) if stage.workers else 1
    fresh = rec.process_videos(todo, job, progress, stage.name, workers)
    for kind, suffix in {"records": ".json", **PER_VIDEO_OUTPUTS[stage.name]}.items():
        rec.prune(layout.stage_folder(stage.name) / kind, set(sources), suffix)  # videos no longer known
    records = [r for r in (rec.read_record(layout.record(stage.name, v)) for v in sorted(sources)) if r]
    manifest = rec.rebuild_manifest(records, layout.manifest(stage.name), [*BASE_COLUMNS, *stage.columns])
    if stage.finish:
        stage.finish(
            params, layout, [r["video_id"] for r in records if r["status"] == rec.OK and r["video_id"] in wanted]
        )
    selected = manifest[manifest.video_id.isin(wanted)]
    summary = {
        "stage": stage.name,
        "videos": len(wanted),
        "processed": len(fresh),
        "up_to_date": len(wanted) - len(fresh),
        "ok": int((selected.status == rec.OK).sum()),
        "rejected": int((selected.status == rec.REJECTED).sum()),
        "skipped": int((selected.status == rec.SKIPPED).sum()),
        "failed": int((selected.status == rec.FAILED).sum()),
        "duplicates": int((selected.status == rec.DUPLICATE).sum()),
        "success": not (selected.status == rec.FAILED).any(),  # the CLI exits 1, so `dvc repro` retries
        "rejections": {_label(r): r.reason for r in selected.itertuples() if r.status == rec.REJECTED},
        "failures": {_label(r): r.reason for r in selected.itertuples() if r.status == rec.FAILED},
        "notes": {_label(r): r.notes for r in selected.itertuples() if r.notes},
        "seconds": round(time.perf_counter() - started, 3),
        "data_version": rec.data_version(records),
        "manifest": str(layout.manifest(stage.name)),
    }
    return summary | (stage.extras(fresh, params) if stage.extras else {})


def ingested_sources(params: Params, layout: Layout) -> dict[str, dict]:
    """Sources of the stages after ``ingest``: every ingest record, by video id (a missing
    record counts as rejected). Raises FileNotFoundError naming the stage to run first."""
    if not layout.ingest_manifest.exists():
        raise FileNotFoundError(f"{layout.ingest_manifest} is missing: run `lipsync run ingest` first")
    import pandas as pd

    ids = pd.read_parquet(layout.ingest_manifest, columns=["video_id"]).video_id.tolist()
    missing = {"status": rec.REJECTED, "reason": "no ingest record"}
    return {v: rec.read_record(layout.ingest_record(v)) or {"video_id": v, **missing} for v in ids}


def _wanted(name: str, sources: dict[str, dict], video_ids: list[str] | None) -> list[str]:
    if video_ids is None:
        return sorted(sources)
    unknown = sorted(set(video_ids) - set(sources))
    if unknown:
        log.warning("%s: %d requested video id(s) are not known (file removed?), skipped: %s", name, len(unknown),
                    unknown)  # fmt: skip
    return sorted(set(video_ids) & set(sources))


def _current(name: str, layout: Layout, video_id: str, fingerprint: str, source: dict) -> bool:
    record = rec.read_record(layout.record(name, video_id))
    if record and record["status"] == rec.SKIPPED and source.get("status", rec.OK) == rec.OK:
        return False  # its upstream failed before and is ok now (the upstream fingerprint is the same)
    outputs: tuple[Path, ...] = (
        layout.per_video_outputs(name, video_id) if record and record["status"] == rec.OK else ()
    )
    return rec.is_current(record, fingerprint, outputs)


def _job(name: str, process: Process, sources: dict, fingerprints: dict, params: Params, layout: Layout,
         video_id: str) -> dict:  # fmt: skip
    """Process one video and save its record (runs in a worker process when workers > 1)."""
    source = sources[video_id]
    record = {"video_id": video_id, "fingerprint": fingerprints[video_id], "reason": "", "notes": []}
    record |= {key: source.get(key) for key in IDENTITY}
    if source.get("status", rec.OK) != rec.OK:
        record |= {"status": rec.SKIPPED, "reason": f"not ingested: {source.get('reason', '')}"}
    else:
        record |= _process_or_fail(name, process, video_id, source, params, layout)
    rec.save_record(layout.record(name, video_id), record)
    return record


def _process_or_fail(name: str, process: Process, video_id: str, source: dict, params: Params,
                     layout: Layout) -> dict:  # fmt: skip
    """``process``'s record fields, or a ``failed`` record when the machine was at fault
    (any other exception is a bug and propagates)."""
    try:
        return process(video_id, source, params, layout)
    except Exception as exc:
        fault = machine_fault(exc)
        if fault is None:
            raise
        reason = f"{name} failed on {source.get('source') or video_id}, retried on the next run: {describe(fault)}"
        return {"status": rec.FAILED, "reason": reason}


def _label(row) -> str:
    """How a rejection or note names its video: the source file when known."""
    return row.source if isinstance(row.source, str) and row.source else row.video_id
