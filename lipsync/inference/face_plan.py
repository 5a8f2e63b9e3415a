"""Where the face is on every output frame: detected once on a still image, tracked through a video.

A still image gets one detection (on a copy downscaled to ``faces.detector.max_side``), so the
crop cannot move. A video is decoded once for the faces stage's tracker (sparse MTCNN, O-Net on
every frame, a centred moving average over the boxes): the frames stream through, only the
boxes and timestamps are kept. Several faces: the largest is followed, with a note, unless a
``face_index`` picks another (0 = the largest, by mean box area x frames). Frames where the face
is lost are marked absent and later pass through unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lipsync.faces.detect import detect_faces
from lipsync.faces.settings import FacesSettings
from lipsync.faces.track import NoFaceError, track_faces
from lipsync.inference.face_video import (
    FaceInputError,
    decode,
    fit,
    is_image,
    output_size,
    pingpong,
    read_image,
    slot_frames,
    video_info,
)


@dataclass(frozen=True)
class FacePlan:
    """path: the face input; size: (width, height) of the output frames; image: uint8 (H, W, 3)
    RGB of a still at that size, None for a video; pts: int64 (T,) timestamps of the decoded
    frames (a still: one); slots: int64 (L,) decoded frame on screen at each 25 fps slot;
    boxes: float32 (T, 4) face box per decoded frame (output px), NaN where absent; present:
    bool (T,); faces: faces found; notes: what a person should know (several faces, lost frames)."""

    path: Path
    size: tuple[int, int]
    image: np.ndarray | None
    pts: np.ndarray
    slots: np.ndarray
    boxes: np.ndarray
    present: np.ndarray
    faces: int
    notes: tuple[str, ...]

    @property
    def still(self) -> bool:
        return self.image is not None

    def schedule(self, frames: int) -> np.ndarray:
        """Decoded frame of each of ``frames`` output frames (int64 (frames,)): the slots in
        order, forwards then backwards when the video is shorter than the audio."""
        return self.slots[pingpong(frames, len(self.slots))]


def plan_face(
    path: Path,
    faces: FacesSettings,
    fps: int,
    max_side: int,
    face_index: int | None = None,
    seconds: float | None = None,
) -> FacePlan:
    """The :class:`FacePlan` of ``path`` (an image by its suffix, otherwise a video).

    seconds: how much of a video the output can show (None: all of it); decoding and tracking
    stop there, so dubbing a few seconds of speech onto a long video reads only its start.
    Raises FaceInputError naming the file: unreadable or corrupt input, no face, or no face
    number ``face_index``.
    """
    path = Path(path)
    if is_image(path):
        return _plan_still(path, faces, max_side, face_index)
    return _plan_video(path, faces, fps, max_side, face_index, seconds)


def _plan_still(path: Path, faces: FacesSettings, max_side: int, face_index: int | None) -> FacePlan:
    image = read_image(path)
    size = output_size(image.shape[1], image.shape[0], max_side)
    image = np.ascontiguousarray(fit(image, size))
    found = detect_faces(image[None], faces.detector)[0]
    if len(found.boxes) == 0:
        raise FaceInputError(
            f"face {path}: no face of at least {faces.detector.min_face_size} px (faces.detector.min_face_size) "
            f"in the {image.shape[1]}x{image.shape[0]} image"
        )
    areas = np.prod(found.boxes[:, 2:] - found.boxes[:, :2], axis=1)
    order = np.argsort(-areas)
    chosen = _chosen(path, len(order), face_index)
    box = found.boxes[order[chosen]][None].astype(np.float32)  # (1, 4)
    notes = _several(len(order), chosen, face_index)
    one = np.zeros(1, dtype=np.int64)
    return FacePlan(path, size, image, one, one, box, np.ones(1, bool), len(order), notes)


def _plan_video(
    path: Path, faces: FacesSettings, fps: int, max_side: int, face_index: int | None, seconds: float | None
) -> FacePlan:
    width, height, seconds_per_tick = video_info(path)
    size = output_size(width, height, max_side)
    tracker = faces.tracker
    pts: list[int] = []
    ticks = None if seconds is None else seconds / seconds_per_tick  # timestamp span the output can show
    try:
        tracks = track_faces(_recording(decode(path, size), pts, ticks), tracker, faces.detector, face_index or 0)
    except NoFaceError as error:
        if not pts:
            raise FaceInputError(f"face {path}: the video has no decodable frames") from None
        if len(pts) >= tracker.min_track_len:
            raise FaceInputError(f"face {path}: {error}") from None
        short = dataclasses.replace(tracker, min_track_len=len(pts))  # a clip shorter than one track
        pts.clear()
        try:
            tracks = track_faces(_recording(decode(path, size), pts, ticks), short, faces.detector, face_index or 0)
        except NoFaceError as again:
            raise FaceInputError(f"face {path}: {again}") from None
    stamps = np.asarray(pts, dtype=np.int64)
    lost = int((~tracks.present).sum())
    notes = _several(tracks.other_faces + 1, face_index or 0, face_index)
    if lost:
        notes += (f"face lost on {lost} of {len(stamps)} frames: they pass through unchanged",)
    slots = slot_frames(stamps * seconds_per_tick, fps)
    return FacePlan(path, size, None, stamps, slots, tracks.boxes, tracks.present, tracks.other_faces + 1, notes)


def _recording(frames, pts: list[int], ticks: float | None):
    """Frames of a ``decode`` stream, their timestamps appended to ``pts`` as they pass; it stops
    after the first frame ``ticks`` or more past the first one (None: at the end)."""
    try:
        for stamp, frame in frames:
            pts.append(int(stamp))
            yield frame
            if ticks is not None and pts[-1] - pts[0] >= ticks:
                return
    finally:
        frames.close()  # the decoder's file, when it stops early


def _chosen(path: Path, count: int, face_index: int | None) -> int:
    if face_index is None:
        return 0
    if not 0 <= face_index < count:
        raise FaceInputError(f"face {path}: face index {face_index} asked for, but {count} face(s) found (0 = largest)")
    return face_index


def _several(count: int, chosen: int, face_index: int | None) -> tuple[str, ...]:
    if count <= 1:
        return ()
    how = "as --face-index asked" if face_index is not None else "the largest; --face-index picks another"
    return (f"{count} faces found: following face {chosen} ({how})",)
