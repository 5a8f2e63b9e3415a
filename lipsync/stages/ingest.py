"""Stage ``ingest``: scan, probe, validate and normalise raw videos; write the manifest.

Outputs (see :class:`lipsync.layout.Layout`): ``videos/<id>.mp4`` (25 fps H.264),
``audio/<id>.wav`` (16 kHz mono), ``records/<id>.json`` and ``manifest.parquet`` with a
status and a reason for every file found, rejected ones included.
"""

from __future__ import annotations

import functools
import logging
import time

from lipsync.config import Params, section_hash
from lipsync.ingest.normalise import normalise_video
from lipsync.ingest.scan import RawVideo, scan_raw_videos
from lipsync.layout import Layout
from lipsync.media.probe import MediaError, probe
from lipsync.stages import records as rec

log = logging.getLogger("lipsync")
STAGE = "ingest"
COLUMNS = [
    "video_id", "status", "reason", "notes", "source", "speaker", "clip", "sha256", "container",
    "duration_s", "source_fps", "variable_frame_rate", "width", "height", "audio_streams",
    "source_sample_rate", "frames", "fps", "out_width", "out_height",
]


def run(params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False) -> dict:
    """Ingest the raw videos (only ``video_ids`` if given; all otherwise). Returns a summary."""
    started = time.perf_counter()
    raw = scan_raw_videos(layout.raw_videos, params.ingest.extensions)
    by_id = _unique(raw)
    wanted = sorted(by_id) if video_ids is None else [v for v in video_ids if v in by_id]
    missing = sorted(set(video_ids or ()) - set(by_id))
    if missing:
        log.warning("ingest: %d requested video id(s) no longer under %s: %s", len(missing), layout.raw_videos, missing)
    fingerprint = section_hash(params.ingest)
    todo = [v for v in wanted if not _current(layout, by_id[v], fingerprint)]
    work = functools.partial(_ingest_job, by_id=by_id, params=params, layout=layout, fingerprint=fingerprint)
    fresh = rec.process_videos(todo, work, progress, STAGE, params.ingest.workers)
    for folder, suffix in (("records", ".json"), ("videos", ".mp4"), ("audio", ".wav")):
        rec.prune(layout.ingest / folder, set(by_id), suffix)  # files no longer under the raw folder
    records = [r for r in (rec.read_record(layout.ingest_record(v)) for v in sorted(by_id)) if r]
    manifest = rec.rebuild_manifest(records, layout.ingest_manifest, COLUMNS)
    selected = manifest[manifest.video_id.isin(wanted)]
    seconds = time.perf_counter() - started
    return {
        "stage": STAGE,
        "videos": len(wanted),
        "processed": len(fresh),
        "up_to_date": len(wanted) - len(fresh),
        "ok": int((selected.status == rec.OK).sum()),
        "rejected": int((selected.status == rec.REJECTED).sum()),
        "rejections": {r.source: r.reason for r in selected.itertuples() if r.status == rec.REJECTED},
        "notes": {r.source: r.notes for r in selected.itertuples() if r.notes},
        "seconds": round(seconds, 3),
        "video_seconds": float(selected.loc[selected.status == rec.OK, "frames"].sum() / params.ingest.fps),
        "data_version": rec.data_version(records),
        "manifest": str(layout.ingest_manifest),
    }


def _unique(raw: list[RawVideo]) -> dict[str, RawVideo]:
    by_id: dict[str, RawVideo] = {}
    for video in raw:
        if video.video_id in by_id:
            log.warning("ingest: %s has the same content as %s; ingested once", video.relative,
                        by_id[video.video_id].relative)
            continue
        by_id[video.video_id] = video
    return by_id


def _current(layout: Layout, video: RawVideo, fingerprint: str) -> bool:
    record = rec.read_record(layout.ingest_record(video.video_id))
    outputs = [layout.normalised_video(video.video_id), layout.normalised_audio(video.video_id)]
    if record and record.get("status") == rec.REJECTED:
        outputs = []
    return rec.is_current(record, fingerprint, outputs) and record.get("source") == video.relative


def _ingest_job(video_id: str, by_id: dict, params: Params, layout: Layout, fingerprint: str) -> dict:
    record = ingest_one(by_id[video_id], params, layout)
    record["fingerprint"] = fingerprint
    rec.save_record(layout.ingest_record(video_id), record)
    return record


def ingest_one(video: RawVideo, params: Params, layout: Layout) -> dict:
    """Probe, validate and normalise one file; never raises for a bad file (status says)."""
    record = {"video_id": video.video_id, "source": video.relative, "speaker": video.speaker,
              "clip": video.clip, "sha256": video.sha256, "notes": [], "reason": ""}
    if video.escapes_root:
        return {**record, "status": rec.REJECTED, "reason": "path escapes the data root (refused, not read)"}
    try:
        info = probe(video.path)
    except MediaError as exc:
        return {**record, "status": rec.REJECTED, "reason": str(exc)}
    record.update(container=info.container.split(",")[0], duration_s=info.duration_s, source_fps=info.fps,
                  variable_frame_rate=info.variable_frame_rate, width=info.width, height=info.height,
                  audio_streams=info.audio_streams, source_sample_rate=info.sample_rate)
    reason = _validate(info, params)
    if reason:
        return {**record, "status": rec.REJECTED, "reason": reason}
    try:
        out = normalise_video(video.path, layout.normalised_video(video.video_id),
                              layout.normalised_audio(video.video_id), info, params.ingest)
    except MediaError as exc:
        return {**record, "status": rec.REJECTED, "reason": str(exc)}
    return {**record, "status": rec.OK, "notes": list(out.notes), "frames": out.frames, "fps": params.ingest.fps,
            "out_width": out.width, "out_height": out.height}


def _validate(info, params: Params) -> str:
    if not info.has_video:
        return "no video stream (audio only)"
    if not info.has_audio:
        return "no audio stream (video only)"
    if not info.frames:
        return "video stream has no frames"
    frames = info.frames / info.fps * params.ingest.fps if info.fps else 0
    if frames < params.ingest.min_frames:
        return (f"too short: {info.frames} frames ({frames / params.ingest.fps:.2f} s), shorter than one "
                f"sync window of {params.ingest.min_frames} frames")
    return ""

