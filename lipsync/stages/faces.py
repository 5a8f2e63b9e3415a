"""Stage ``faces``: track the main speaker's face in every ingested video and crop it.

Outputs per video: ``crops/<id>.npy`` uint8 (T, S, S, 3) RGB (zeros where no face),
``tracks/<id>.npz`` (boxes float32 (T, 4) x0, y0, x1, y1 and landmarks (T, 5, 2) in
normalised-video pixels, scores (T,), present bool (T,), segments int (K, 2) [start, stop)),
``records/<id>.json``; plus ``manifest.parquet`` and a contact sheet of crops. Frames are
streamed (decoded twice: to track, then to crop), never held for the whole clip.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import cv2
import numpy as np

from lipsync.atomic import atomic_path, write_npz
from lipsync.config import Params, section_hash
from lipsync.faces.track import AmbiguousFaceError, NoFaceError, present_runs
from lipsync.faults import machine_fault
from lipsync.layout import Layout
from lipsync.media.probe import MediaError
from lipsync.stages import records as rec
from lipsync.stages.faces_passes import track_video, write_crops
from lipsync.stages.per_video import PerVideoStage, ingested_sources, run_per_video
from lipsync.stages.writer_lock import writes_data

STAGE = "faces"
COLUMNS = ("frames", "face_frames", "segments", "other_faces", "detections_run", "seconds")


@writes_data
def run(params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False) -> dict:
    return run_per_video(FACES, params, layout, video_ids, progress)


def _fingerprint(params: Params, source: dict) -> str:
    settings = dataclasses.replace(params.faces, workers=1)  # how many run at once changes no byte
    return section_hash((settings, params.format.sync_window, source.get("sha256"), source.get("fingerprint")))


def _process(video_id: str, source: dict, params: Params, layout: Layout) -> dict:
    return faces_one(video_id, params, layout)


def _extras(fresh: list[dict], params: Params) -> dict:
    frames = sum(r.get("frames") or 0 for r in fresh)
    seconds = sum(r.get("seconds") or 0 for r in fresh)
    return {"frames": frames, "frames_per_second": round(frames / max(seconds, 1e-9), 1)}


def _contact_sheet(params: Params, layout: Layout, ok_ids: list[str]) -> None:
    write_contact_sheet(layout, ok_ids)


FACES = PerVideoStage(
    name=STAGE,
    columns=COLUMNS,
    sources=ingested_sources,
    fingerprint=_fingerprint,
    process=_process,
    workers=lambda params: params.faces.workers,
    finish=_contact_sheet,
    extras=_extras,
)


def faces_one(video_id: str, params: Params, layout: Layout) -> dict:
    """Track, split at face gaps, crop and save one ingested video; returns the record fields."""
    return faces_video(
        layout.normalised_video(video_id), layout.face_crops(video_id), layout.face_track(video_id), params
    )


def faces_video(video: Path, crops_path: Path, track_path: Path, params: Params) -> dict:
    """Track, split at face gaps, crop and save ``video``; returns the record fields.

    Two decode passes (``faces_passes``): tracking, then cropping, so memory stays bounded
    whatever the clip's length.
    """
    started = time.perf_counter()
    try:
        tracks = track_video(video, params.faces.tracker, params.faces.detector)
        window = params.format.sync_window
        segments, keep, notes = _face_segments(tracks.present, window)
        if not segments:
            return {
                "status": rec.REJECTED,
                "reason": f"no face run of at least {window} frames (one sync window)",
                "notes": notes,
            }
        kept_boxes = np.where(keep[:, None], tracks.boxes, np.nan)  # NaN box -> black crop
        size, batch = params.format.face_size, params.faces.tracker.batch
        write_crops(crops_path, video, kept_boxes, size, params.faces.crop, batch)
    except (NoFaceError, AmbiguousFaceError, MediaError) as exc:
        if machine_fault(exc):  # out of memory while decoding: the runner records it as failed
            raise
        return {"status": rec.REJECTED, "reason": str(exc)}
    write_npz(
        track_path,
        boxes=tracks.boxes,
        landmarks=tracks.landmarks,
        scores=tracks.scores,
        present=keep,
        segments=np.asarray(segments, np.int64).reshape(-1, 2),
    )
    if tracks.other_faces:
        notes.append(f"{tracks.other_faces} other face track(s) ignored (not the main speaker)")
    return {
        "status": rec.OK,
        "notes": notes,
        "frames": len(keep),
        "face_frames": int(keep.sum()),
        "segments": [list(s) for s in segments],
        "other_faces": int(tracks.other_faces),
        "detections_run": int(tracks.detections_run),
        "seconds": time.perf_counter() - started,
    }


def _face_segments(present: np.ndarray, window: int) -> tuple[list[tuple[int, int]], np.ndarray, list[str]]:
    """The runs of ``present`` (bool (T,)) at least ``window`` frames long, their mask bool (T,), and
    notes on the gaps and the pieces dropped."""
    runs = present_runs(present, 1)
    segments = [(a, b) for a, b in runs if b - a >= window]
    keep = np.zeros(len(present), bool)
    for a, b in segments:
        keep[a:b] = True
    return segments, keep, _gap_notes(runs, segments, len(present), window)


def _gap_notes(runs: list[tuple[int, int]], segments: list[tuple[int, int]], frames: int, window: int) -> list[str]:
    if runs == [(0, frames)]:
        return []
    missing = frames - sum(b - a for a, b in runs)
    notes = [f"face absent in {missing} of {frames} frames; clip split into {len(runs)} piece(s) at the gaps"]
    if len(segments) < len(runs):
        notes.append(f"dropped {len(runs) - len(segments)} piece(s) shorter than {window} frames")
    return notes


def write_contact_sheet(layout: Layout, video_ids: list[str], columns: int = 8, limit: int = 64) -> None:
    """A PNG grid with the middle face crop of up to ``limit`` videos."""
    tiles = []
    for video_id in video_ids[:limit]:
        crops = np.load(layout.face_crops(video_id), mmap_mode="r")
        present = np.load(layout.face_track(video_id))["present"]
        tiles.append(np.asarray(crops[np.flatnonzero(present)[len(np.flatnonzero(present)) // 2]]))
    if not tiles:
        return
    size = tiles[0].shape[0]
    rows = -(-len(tiles) // columns)
    sheet = np.zeros((rows * size, min(columns, len(tiles)) * size, 3), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        sheet[r * size : (r + 1) * size, c * size : (c + 1) * size] = tile
    with atomic_path(layout.faces_contact_sheet) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
