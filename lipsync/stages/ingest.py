"""Stage ``ingest``: scan, probe, validate and normalise raw videos; write the manifest.

Outputs (see :class:`lipsync.layout.Layout`): ``videos/<id>.mp4`` (25 fps H.264),
``audio/<id>.wav`` (16 kHz mono), ``records/<id>.json`` and ``manifest.parquet`` with a
status and a reason for every file found, rejected and duplicate ones included, and
``skipped.json``: every entry of the raw folder the scan passed over
(:mod:`lipsync.ingest.scan`), with its reason. A file holding another's content (a byte copy,
a remux, a re-encode: :mod:`lipsync.stages.ingest_duplicates`) is recorded as ``duplicate``
with ``duplicate_of`` naming the original, and is not normalised nor used downstream.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, replace
from pathlib import Path

from lipsync.atomic import write_json
from lipsync.config import Params, section_hash, to_mapping
from lipsync.faults import machine_fault
from lipsync.ingest.alignment import LengthMismatch
from lipsync.ingest.normalise import normalise_video
from lipsync.ingest.scan import ID_DIGITS, RawVideo, SkippedEntry, scan_raw_videos
from lipsync.layout import Layout
from lipsync.media.probe import MediaError, probe
from lipsync.stages import records as rec
from lipsync.stages.ingest_duplicates import mark_duplicates
from lipsync.stages.per_video import PerVideoStage, run_per_video
from lipsync.stages.writer_lock import writes_data

log = logging.getLogger("lipsync")
STAGE = "ingest"
COLUMNS = (
    "sha256", "container", "duration_s", "source_fps", "variable_frame_rate", "width", "height", "audio_streams",
    "source_sample_rate", "frames", "fps", "out_width", "out_height", "duplicate_of",
)  # fmt: skip
DUPLICATE_SETTINGS = ("ignore_names", "duplicate_frames", "duplicate_max_bits", "duplicate_max_audio_db")


@writes_data
def run(params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False) -> dict:
    """Ingest the raw videos (only ``video_ids`` if given; all otherwise) and write the list of
    skipped entries (the whole scan's). Returns a summary."""
    sources, skipped, other_files = scan_sources(params, layout)
    mark_duplicates(sources, params, layout)
    summary = run_per_video(replace(INGEST, sources=lambda *_: sources), params, layout, video_ids, progress)
    return summary | _write_skipped(skipped, layout) | {"other_files": other_files}


def raw_sources(params: Params, layout: Layout) -> dict[str, dict]:
    """Every file under ``paths.raw_videos`` with a video extension, by content id."""
    return scan_sources(params, layout)[0]


def scan_sources(params: Params, layout: Layout) -> tuple[dict[str, dict], list[SkippedEntry], int]:
    """The raw sources by id, every entry the scan passed over (hidden, linked, unreadable...)
    and how many files have no video extension. The id is the content id of the first path
    holding those bytes; a byte-identical copy gets an id of its bytes and path, and
    ``duplicate_of`` naming that first path."""
    scan = scan_raw_videos(layout.raw_videos, params.ingest.extensions, params.ingest.ignore_names)
    by_id: dict[str, dict] = {}
    for video in scan.videos:
        if video.video_id in by_id:
            original = by_id[video.video_id]["source"]
            video_id = hashlib.sha256(f"{video.sha256}:{video.relative}".encode()).hexdigest()[:ID_DIGITS]
            copy = replace(video, video_id=video_id)
            by_id[video_id] = _source(copy) | {"duplicate_of": original, "duplicate_reason": "a byte-identical copy"}
            continue
        by_id[video.video_id] = _source(video)
    return by_id, list(scan.skipped), scan.other_files


def _write_skipped(skipped: list[SkippedEntry], layout: Layout) -> dict:
    """Log and save (``skipped.json``) every skipped entry; their count and reasons for the summary."""
    for entry in skipped:
        log.warning("ingest: skipped %s: %s", entry.relative, entry.reason)
    write_json(layout.ingest_skipped, [{"source": e.relative, "reason": e.reason} for e in skipped])
    return {"skipped_entries": len(skipped), "skipped_reasons": {e.relative: e.reason for e in skipped}}


def new_video_ids(params: Params, layout: Layout, known: set[str]) -> list[str]:
    """Ids of raw videos not in ``known`` (e.g. not yet Dagster partitions), in scan order, so
    they form one key range. Raises FileNotFoundError when the raw folder does not exist."""
    return [v for v in raw_sources(params, layout) if v not in known]


def _source(video: RawVideo) -> dict:
    fields = asdict(video)
    fields["path"], fields["source"] = str(video.path), fields.pop("relative")
    return fields


def _fingerprint(params: Params, source: dict) -> str:
    """Ingest params and where the file is (a moved file is recorded again under its new path),
    and the original a duplicate holds the content of. ``ignore_names`` only decides what the
    scan reads and the duplicate thresholds only ``duplicate_of``, so they are left out, as is
    ``workers`` (the pinned workers write the same bytes however many run)."""
    settings = {k: v for k, v in to_mapping(params.ingest).items() if k not in {*DUPLICATE_SETTINGS, "workers"}}
    if source.get("duplicate_of"):
        return section_hash((settings, source["source"], source["duplicate_of"], source["duplicate_reason"]))
    return section_hash((settings, source["source"]))


def _process(video_id: str, source: dict, params: Params, layout: Layout) -> dict:
    return ingest_one(source, params, layout)


def _extras(fresh: list[dict], params: Params) -> dict:
    frames = sum(r.get("frames") or 0 for r in fresh if r["status"] == rec.OK)
    return {"video_seconds": round(frames / params.ingest.fps, 3)}


INGEST = PerVideoStage(
    name=STAGE,
    columns=COLUMNS,
    sources=raw_sources,
    fingerprint=_fingerprint,
    process=_process,
    workers=lambda params: params.ingest.workers,
    extras=_extras,
)


def ingest_one(source: dict, params: Params, layout: Layout) -> dict:
    """Probe, validate and normalise one file; never raises for a bad file (the status says).

    source: a raw source (:func:`raw_sources`): ``path``, ``source`` (relative), ``sha256``,
    ``escapes_root``... Returns the record fields.
    """
    video_id = source["video_id"]
    record = {"sha256": source["sha256"], "notes": [], "reason": ""}
    if source.get("duplicate_of"):
        return _duplicate(record, source, layout)
    if source["escapes_root"]:
        return {**record, "status": rec.REJECTED, "reason": "path escapes the data root (refused, not read)"}
    try:
        info = probe(Path(source["path"]))
    except MediaError as exc:
        return _rejected(record, exc)
    record.update(container=info.container.split(",")[0], duration_s=info.duration_s, source_fps=info.fps,
                  variable_frame_rate=info.variable_frame_rate, width=info.width, height=info.height,
                  audio_streams=info.audio_streams, source_sample_rate=info.sample_rate)  # fmt: skip
    reason = _validate(info, params)
    if reason:
        return {**record, "status": rec.REJECTED, "reason": reason}
    try:
        out = normalise_video(Path(source["path"]), layout.normalised_video(video_id),
                              layout.normalised_audio(video_id), info, params.ingest)  # fmt: skip
    except LengthMismatch as exc:  # names the file and the stage: the fix is the user's, not ours
        return {**record, "status": rec.REJECTED, "reason": f"{STAGE}: {source['source']}: {exc}"}
    except MediaError as exc:
        return _rejected(record, exc)
    return {**record, "status": rec.OK, "notes": list(out.notes), "frames": out.frames, "fps": params.ingest.fps,
            "out_width": out.width, "out_height": out.height}  # fmt: skip


def _duplicate(record: dict, source: dict, layout: Layout) -> dict:
    """The record of a file holding ``duplicate_of``'s content; outputs it had as an original go."""
    for path in layout.per_video_outputs(STAGE, source["video_id"]):
        path.unlink(missing_ok=True)
    reason = (
        f"same content as {source['duplicate_of']} ({source['duplicate_reason']}): not used; the content "
        f"goes to the split of {source['duplicate_of']}'s speaker only"
    )
    return {**record, "status": rec.DUPLICATE, "reason": reason, "duplicate_of": source["duplicate_of"]}


def _rejected(record: dict, exc: MediaError) -> dict:
    """The record of a bad file; an error that is a machine fault (out of memory, disk full...)
    behind the media error is raised instead, for the runner to record the video as failed."""
    if machine_fault(exc):
        raise exc
    return {**record, "status": rec.REJECTED, "reason": str(exc)}


def _validate(info, params: Params) -> str:
    if not info.has_video:
        return "no video stream (audio only)"
    if not info.has_audio:
        return "no audio stream (video only)"
    if not info.frames:
        return "video stream has no frames"
    frames = info.frames / info.fps * params.ingest.fps if info.fps else 0
    if frames < params.ingest.min_frames:
        return (
            f"too short: {info.frames} frames ({frames / params.ingest.fps:.2f} s), shorter than one "
            f"sync window of {params.ingest.min_frames} frames"
        )
    return ""
