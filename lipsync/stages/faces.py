"""Stage ``faces``: track the main speaker's face in every ingested video and crop it.

Outputs per video: ``crops/<id>.npy`` uint8 (T, S, S, 3) RGB (zeros where no face),
``tracks/<id>.npz`` (boxes float32 (T, 4) x0, y0, x1, y1 and landmarks (T, 5, 2) in
normalised-video pixels, scores (T,), present bool (T,), segments int (K, 2) [start, stop)),
``records/<id>.json``; plus ``manifest.parquet`` and a contact sheet of crops.
"""

from __future__ import annotations

import functools
import time

import cv2
import numpy as np

from lipsync.atomic import atomic_path, write_npy, write_npz
from lipsync.config import Params, section_hash
from lipsync.faces.crop import crop_faces
from lipsync.faces.track import AmbiguousFaceError, NoFaceError, present_runs, track_faces
from lipsync.layout import Layout
from lipsync.media.probe import MediaError
from lipsync.media.reader import read_frames
from lipsync.stages import records as rec
from lipsync.stages.upstream import prune_outputs, selected_videos, summarise

STAGE = "faces"
WINDOW = 5  # frames in one sync window: shorter face runs are dropped
COLUMNS = ["video_id", "status", "reason", "notes", "frames", "face_frames", "segments", "other_faces",
           "detections_run", "seconds"]


def run(params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False) -> dict:
    started = time.perf_counter()
    upstream = selected_videos(layout, video_ids)
    fingerprints = {v: section_hash((params.faces, r.get("sha256"), r.get("fingerprint"))) for v, r in upstream.items()}
    todo = [v for v in upstream if not _current(layout, v, fingerprints[v])]
    work = functools.partial(_faces_job, upstream=upstream, fingerprints=fingerprints, params=params, layout=layout)
    fresh = rec.process_videos(todo, work, progress, STAGE)
    prune_outputs(layout, layout.faces, (("records", ".json"), ("tracks", ".npz"), ("crops", ".npy")))
    write_contact_sheet(layout, [v for v in upstream if (r := rec.read_record(layout.face_record(v))) and
                                 r["status"] == rec.OK])
    frames = sum(r.get("frames", 0) for r in fresh)
    return summarise(STAGE, layout.faces_manifest, layout.faces / "records", COLUMNS, upstream, fresh, started) | {
        "frames": frames,
        "frames_per_second": round(frames / max(sum(r.get("seconds", 0) for r in fresh), 1e-9), 1),
        "notes": {r["video_id"]: "; ".join(r["notes"]) for r in fresh if r.get("notes")},
    }


def _current(layout: Layout, video_id: str, fingerprint: str) -> bool:
    record = rec.read_record(layout.face_record(video_id))
    ok = record and record.get("status") == rec.OK
    outputs = [layout.face_track(video_id), layout.face_crops(video_id)] if ok else []
    return rec.is_current(record, fingerprint, outputs)


def _faces_job(video_id: str, upstream: dict, fingerprints: dict, params: Params, layout: Layout) -> dict:
    source = upstream[video_id]
    record = {"video_id": video_id, "fingerprint": fingerprints[video_id], "reason": "", "notes": []}
    if source["status"] != rec.OK:
        record |= {"status": rec.SKIPPED, "reason": f"not ingested: {source['reason']}"}
    else:
        record |= faces_one(video_id, params, layout)
    rec.save_record(layout.face_record(video_id), record)
    return record


def faces_one(video_id: str, params: Params, layout: Layout) -> dict:
    """Track, split at face gaps, crop and save one video; returns the record fields."""
    started = time.perf_counter()
    try:
        frames = read_frames(layout.normalised_video(video_id))  # (T, H, W, 3)
        tracks = track_faces(frames, params.faces.tracker, params.faces.detector)
    except (NoFaceError, AmbiguousFaceError, MediaError) as exc:
        return {"status": rec.REJECTED, "reason": str(exc)}
    runs = present_runs(tracks.present, 1)
    segments = [(a, b) for a, b in runs if b - a >= WINDOW]
    notes = _gap_notes(runs, segments, len(frames))
    if not segments:
        return {"status": rec.REJECTED, "reason": f"no face run of at least {WINDOW} frames (one sync window)",
                "notes": notes}
    keep = np.zeros(len(frames), bool)
    for a, b in segments:
        keep[a:b] = True
    kept_boxes = np.where(keep[:, None], tracks.boxes, np.nan)  # NaN box -> black crop (no frame copy)
    crops = crop_faces(frames, kept_boxes, params.faces.size, params.faces.crop)
    write_npy(layout.face_crops(video_id), crops)
    write_npz(layout.face_track(video_id), boxes=tracks.boxes, landmarks=tracks.landmarks, scores=tracks.scores,
              present=keep, segments=np.asarray(segments, np.int64).reshape(-1, 2))
    if tracks.other_faces:
        notes.append(f"{tracks.other_faces} other face track(s) ignored (not the main speaker)")
    return {"status": rec.OK, "notes": notes, "frames": len(frames), "face_frames": int(keep.sum()),
            "segments": [list(s) for s in segments], "other_faces": int(tracks.other_faces),
            "detections_run": int(tracks.detections_run), "seconds": time.perf_counter() - started}


def _gap_notes(runs: list[tuple[int, int]], segments: list[tuple[int, int]], frames: int) -> list[str]:
    if runs == [(0, frames)]:
        return []
    missing = frames - sum(b - a for a, b in runs)
    notes = [f"face absent in {missing} of {frames} frames; clip split into {len(runs)} piece(s) at the gaps"]
    if len(segments) < len(runs):
        notes.append(f"dropped {len(runs) - len(segments)} piece(s) shorter than {WINDOW} frames")
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
        sheet[r * size:(r + 1) * size, c * size:(c + 1) * size] = tile
    with atomic_path(layout.faces_contact_sheet) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
