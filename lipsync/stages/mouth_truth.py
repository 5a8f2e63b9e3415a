"""The corpus's ground truth per ingested video: mouth boxes for evaluating generators, and the
true mouth parameters for the sync ceiling (:func:`mouth_params`).

Mouth boxes: the corpus's ground truth where it exists.

The embedded corpus records the drawn lips' box per frame (``truth/<speaker>/<clip>.npz``,
video pixels). :meth:`MouthBoxes.for_frames` maps those boxes into the face crops the frames
were cut from (:func:`lipsync.faces.crop.crop_box`, resized to S pixels). Videos without
ground truth (a user's own data) fall back to boxes from the stored mouth-corner landmarks
(:func:`lipsync.training.mouth.mouth_boxes_from_landmarks`). Called on a generator
evaluation set, it returns the boxes of every window (what the training stages use).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lipsync.config import Params
from lipsync.faces.crop import crop_box
from lipsync.layout import Layout
from lipsync.stages import records as rec
from lipsync.training.generator_eval import GeneratorEvalSet
from lipsync.training.mouth import mouth_boxes_from_landmarks


class MouthBoxes:
    """Crop-pixel mouth boxes; ``source`` says which kinds were used ("corpus truth",
    "landmarks", both joined by " + ", or "none" before any call)."""

    def __init__(self, params: Params, layout: Layout) -> None:
        self.params, self.layout, self.used = params, layout, set()

    @property
    def source(self) -> str:
        return " + ".join(sorted(self.used, reverse=True)) or "none"

    def _video(self, video_id: str) -> tuple[Path, tuple[int, int]]:
        record = rec.read_record(self.layout.ingest_record(video_id)) or {}
        return truth_path(self.layout, record), (int(record.get("out_width", 0)), int(record.get("out_height", 0)))

    def for_frames(
        self, video_id: str, frames: np.ndarray, face_boxes: np.ndarray, landmarks: np.ndarray
    ) -> np.ndarray:
        """float32 (N, 4) boxes of absolute video ``frames`` (N,), cut around ``face_boxes`` (N, 4)
        with ``landmarks`` (N, 5, 2), both video pixels."""
        truth, frame_size = self._video(video_id)
        if not truth.exists():
            self.used.add("landmarks")
            p = self.params
            return mouth_boxes_from_landmarks(
                landmarks, face_boxes, frame_size, p.faces.crop, p.format.face_size, p.training.mouth_box
            )
        self.used.add("corpus truth")
        mouth = np.load(truth)["mouth_boxes"]
        size, out = self.params.format.face_size, []
        for frame, face in zip(frames, face_boxes, strict=True):
            x0, y0, x1, _ = crop_box(face, frame_size[0], frame_size[1], self.params.faces.crop)
            scale = size / (x1 - x0)
            m = mouth[int(frame)]
            out.append([(m[0] - x0) * scale, (m[1] - y0) * scale, (m[2] - x0) * scale, (m[3] - y0) * scale])
        return np.asarray(out, np.float32).reshape(-1, 4)

    def __call__(self, eval_set: GeneratorEvalSet) -> np.ndarray:
        """eval set -> float32 (N, T, 4), every window's boxes."""
        boxes = [
            self.for_frames(video, window["frames"], window["boxes"], window["landmarks"])
            for window, video in zip(eval_set.windows, eval_set.video_ids, strict=True)
        ]
        return np.stack(boxes).astype(np.float32)  # (N, T, 4)


def truth_path(layout: Layout, ingest_record: dict) -> Path:
    """``truth/<speaker>/<clip>.npz`` of the corpus file an ingest record came from (it may not exist)."""
    return layout.corpus_truth / Path(ingest_record.get("source", "?")).with_suffix(".npz")


def mouth_params(layout: Layout, video_id: str, stage: str) -> np.ndarray | None:
    """float32 (T, 3) true open, width, round of every frame of ``video_id``; None for a video
    that is not from the embedded corpus (no truth file)."""
    record = rec.read_record(layout.ingest_record(video_id))
    if record is None:
        raise FileNotFoundError(f"{stage}: no ingest record for video {video_id}: run `lipsync run ingest`")
    path = truth_path(layout, record)
    if not path.exists():
        return None
    with np.load(path) as truth:
        if "mouth_params" not in truth:
            raise ValueError(f"{stage}: {path} has no mouth_params: regenerate the corpus (`lipsync run corpus`)")
        return truth["mouth_params"].astype(np.float32)
