"""Per-video records: the status, reason, notes and fingerprint of one video in one stage.

Every per-video stage (``ingest``, ``faces``, ``mel``) writes ``records/<video_id>.json``
beside its outputs and rebuilds its Parquet manifest from the records. A record whose
fingerprint (stage params + input identity) still matches means the video is up to date,
which is what makes the stages incremental under both Dagster and DVC. Statuses: ``ok``;
``rejected`` (the file is bad: kept, not retried while its fingerprint holds); ``skipped``
(its upstream record is not ok); ``failed`` (the machine was at fault, e.g. out of memory:
never up to date, so the next run processes the video again); ``duplicate`` (ingest only: the
same content as another file, named in ``duplicate_of``; not used downstream).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from lipsync.atomic import atomic_path, write_json
from lipsync.corpus.baseline_cpu import pinned_pool

log = logging.getLogger("lipsync")

OK = "ok"
REJECTED = "rejected"
SKIPPED = "skipped"
FAILED = "failed"
DUPLICATE = "duplicate"


def read_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except json.JSONDecodeError:
        log.warning("record %s is unreadable; the video will be processed again", path)
        return None


def is_current(record: dict | None, fingerprint: str, outputs: Iterable[Path] = ()) -> bool:
    """Whether ``record`` holds ``fingerprint`` and its ``outputs`` exist; a failed one never is."""
    if not record or record.get("status") == FAILED:
        return False
    return record.get("fingerprint") == fingerprint and all(p.exists() for p in outputs)


def data_version(records: Iterable[dict]) -> str:
    """Identity of a stage's outputs: a hash over (video id, fingerprint, status) of its records.

    A fingerprint is derived from the stage params and the input's content hash, and every
    stage is deterministic, so equal versions mean equal data.
    """
    import hashlib

    keys = sorted(f"{r['video_id']}:{r.get('fingerprint')}:{r['status']}" for r in records)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


def save_record(path: Path, record: dict) -> None:
    write_json(path, record)


def rebuild_manifest(records: list[dict], manifest: Path, columns: list[str]) -> pd.DataFrame:
    """Write the Parquet manifest of a stage from its records (sorted by video id)."""
    rows = sorted(records, key=lambda r: r["video_id"])
    frame = pd.DataFrame([{c: _cell(r.get(c)) for c in columns} for r in rows], columns=columns)
    with atomic_path(manifest) as tmp:
        frame.to_parquet(tmp, index=False)
    return frame


def _cell(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value


def prune(folder: Path, keep: set[str], suffix: str) -> int:
    """Remove per-video files of videos no longer in the input (returns how many)."""
    removed = 0
    if folder.exists():
        for path in folder.glob(f"*{suffix}"):
            if path.name[: -len(suffix)] not in keep:
                path.unlink()
                removed += 1
    return removed


def process_videos(
    video_ids: list[str], work: Callable[[str], dict], progress: bool, desc: str, workers: int = 1
) -> list[dict]:
    """Run ``work`` on each id in ``workers`` pinned processes (:func:`video_pool`) with a
    progress bar.

    ``work`` must be picklable (a module-level function or a ``functools.partial`` of one)
    and returns the video's record; one log line is written per finished video.
    """
    from tqdm import tqdm

    out = []
    with video_pool(min(workers, len(video_ids))) as pool:
        results = pool.map(work, video_ids) if pool else map(work, video_ids)
        for record in tqdm(results, total=len(video_ids), desc=desc, unit="video", disable=not progress):
            level = logging.INFO if record["status"] == OK else logging.WARNING
            log.log(level, "%s %s %s%s", desc, record["video_id"], record["status"], _reason(record))
            out.append(record)
    return out


def video_pool(workers: int) -> contextlib.AbstractContextManager[ProcessPoolExecutor | None]:
    """Where per-video work runs: ``workers`` spawned processes whose libraries are pinned to
    the x86-64 baseline with one thread each (:func:`lipsync.corpus.baseline_cpu.pinned_pool`),
    even for one video, so a stage's output bytes depend neither on the CPU nor on the worker
    count; None (this process) when there is nothing to do. OpenCV's AVX2 kernels and torch's
    thread count move MTCNN's boxes, FFmpeg's AAC decoder DSP the WAV samples, numpy's and
    OpenBLAS's kernels the mel features."""
    return pinned_pool(workers) if workers > 0 else contextlib.nullcontext()


def _reason(record: dict) -> str:
    return f": {record['reason']}" if record.get("reason") else ""
