"""The two decode passes of the faces stage, so its memory does not grow with the clip's length.

Pass 1 (``track_video``) streams decoded frames into the tracker, which takes them in chunks of
``faces.tracker.batch`` frames, shrunk to ``faces.detector.max_side`` as they arrive. For the
whole clip it keeps only boxes, landmarks and scores (about 80 bytes a frame): all that the
whole-clip steps need (dropping tracks under ``min_track_len``, relinking, choosing the speaker,
the smoothing window, the face segments). Pass 2 (``write_crops``) decodes the clip again and
cuts each frame's crop as it arrives, appending the crops to their file ``batch`` at a time.
Peak memory: the models, one chunk of working frames and the decoder's frames in flight; a
720p frame (2.8 MB) is never held beyond its chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lipsync.atomic import write_npy_chunks
from lipsync.faces.crop import crop_face
from lipsync.faces.settings import CropSettings, DetectorSettings, TrackerSettings
from lipsync.faces.track import FaceTracks, track_faces
from lipsync.media.probe import MediaError
from lipsync.media.reader import iter_frames


def track_video(video: Path, tracker: TrackerSettings, detector: DetectorSettings) -> FaceTracks:
    """Pass 1: the main speaker's face on every frame of ``video`` (see ``track_faces``).

    Raises MediaError (no decodable frame, corrupt data), NoFaceError, AmbiguousFaceError.
    """
    return track_faces(decoded_frames(video), tracker, detector)


def write_crops(path: Path, video: Path, boxes: np.ndarray, size: int, settings: CropSettings, chunk: int) -> None:
    """Pass 2: ``path`` <- face crops uint8 (T, size, size, 3) of ``video`` around boxes float (T, 4).

    NaN boxes give black crops. Raises MediaError if this decode gives other than T frames.
    """
    shape = (len(boxes), size, size, 3)
    write_npy_chunks(path, shape, np.uint8, _crop_chunks(video, boxes, size, settings, chunk))


def decoded_frames(video: Path) -> Iterator[np.ndarray]:
    """uint8 (H, W, 3) RGB frames of ``video``, one at a time; MediaError if there is none."""
    count = 0
    for _, frame in iter_frames(video):
        count += 1
        yield frame
    if not count:
        raise MediaError("video stream has no decodable frames")


def _crop_chunks(video: Path, boxes: np.ndarray, size: int, settings: CropSettings, chunk: int) -> Iterator[np.ndarray]:
    """Crops uint8 (n <= chunk, size, size, 3), frame by frame into one reused buffer."""
    buffer = np.empty((chunk, size, size, 3), dtype=np.uint8)
    filled = done = 0
    for frame in decoded_frames(video):
        if done + filled == len(boxes):
            raise MediaError(f"the second decode gave more than the first's {len(boxes)} frames")
        buffer[filled] = crop_face(frame, boxes[done + filled], size, settings)
        filled += 1
        if filled == chunk:
            yield buffer
            done, filled = done + filled, 0
    if done + filled != len(boxes):
        raise MediaError(f"the second decode gave {done + filled} frames, the first {len(boxes)}")
    yield buffer[:filled]
