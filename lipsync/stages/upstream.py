"""What the per-video stages after ``ingest`` share: which videos to work on, and the summary."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from lipsync.layout import Layout
from lipsync.stages import records as rec

log = logging.getLogger("lipsync")


def all_video_ids(layout: Layout) -> list[str]:
    """Every video id in the ingest manifest (the raw folder as last scanned)."""
    if not layout.ingest_manifest.exists():
        raise FileNotFoundError(f"{layout.ingest_manifest} is missing: run `lipsync run ingest` first")
    import pandas as pd

    return pd.read_parquet(layout.ingest_manifest, columns=["video_id"]).video_id.tolist()


def selected_videos(layout: Layout, video_ids: list[str] | None) -> dict[str, dict]:
    """Ingest records of ``video_ids`` (all ingested videos when None), keyed by id.

    Ids no longer in the ingest manifest (their file was removed) are skipped with a warning.
    Raises FileNotFoundError naming the stage to run when ``ingest`` has not run yet.
    """
    ids = all_video_ids(layout)
    if video_ids is not None:
        unknown = sorted(set(video_ids) - set(ids))
        if unknown:
            log.warning("video id(s) not in the ingest manifest %s, skipped: %s", layout.ingest_manifest, unknown)
        ids = [v for v in ids if v in set(video_ids)]
    return {v: rec.read_record(layout.ingest_record(v)) or {"status": rec.REJECTED, "reason": "no ingest record"}
            for v in ids}


def prune_outputs(layout: Layout, folder: Path, outputs: tuple[tuple[str, str], ...]) -> None:
    """Delete per-video outputs (subfolder, suffix) of videos no longer in the ingest manifest."""
    keep = set(all_video_ids(layout))
    for sub, suffix in outputs:
        rec.prune(folder / sub, keep, suffix)


def summarise(stage: str, manifest: Path, records_dir: Path, columns: list[str], upstream: dict,
              fresh: list[dict], started: float) -> dict:
    """Rebuild the stage manifest from all records and summarise the selected videos."""
    all_records = [r for r in (rec.read_record(p) for p in sorted(records_dir.glob("*.json"))) if r]
    frame = rec.rebuild_manifest(all_records, manifest, columns)
    selected = frame[frame.video_id.isin(list(upstream))]
    return {
        "stage": stage,
        "videos": len(upstream),
        "processed": len(fresh),
        "up_to_date": len(upstream) - len(fresh),
        "ok": int((selected.status == rec.OK).sum()),
        "rejected": int((selected.status == rec.REJECTED).sum()),
        "skipped": int((selected.status == rec.SKIPPED).sum()),
        "rejections": {r.video_id: r.reason for r in selected.itertuples() if r.status == rec.REJECTED},
        "seconds": round(time.perf_counter() - started, 3),
        "data_version": rec.data_version(all_records),
        "manifest": str(manifest),
    }
