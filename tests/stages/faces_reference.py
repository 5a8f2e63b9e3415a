"""What the faces stage wrote before it streamed (a module of its own: pinned workers import it)."""

from __future__ import annotations

import io

import numpy as np

from lipsync.faces.crop import crop_faces
from lipsync.faces.track import present_runs, track_faces
from lipsync.media.reader import read_frames


def whole_clip_reference(video, params) -> tuple[bytes, dict]:
    """What the stage wrote before it streamed: every frame in memory, tracked, then cropped.

    Returns the crops file's bytes (as ``np.save`` writes them) and the track's arrays.
    """
    frames = read_frames(video)  # (T, H, W, 3)
    tracks = track_faces(frames, params.faces.tracker, params.faces.detector)
    runs = present_runs(tracks.present, params.format.sync_window)
    keep = np.zeros(len(frames), bool)
    for a, b in runs:
        keep[a:b] = True
    crops = crop_faces(
        frames, np.where(keep[:, None], tracks.boxes, np.nan), params.format.face_size, params.faces.crop
    )
    saved = io.BytesIO()
    np.save(saved, crops)
    arrays = {"boxes": tracks.boxes, "landmarks": tracks.landmarks, "scores": tracks.scores, "present": keep}
    return saved.getvalue(), arrays | {"segments": np.asarray(runs, np.int64).reshape(-1, 2)}
