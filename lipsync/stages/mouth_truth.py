"""Mouth boxes for evaluating generators: the corpus's ground truth where it exists.

The embedded corpus records the drawn lips' box per frame (``truth/<speaker>/<clip>.npz``,
video pixels). For an evaluation window this maps those boxes into the face crop the
window's frames were cut from (:func:`lipsync.faces.crop.crop_box`, resized to S pixels).
Videos without ground truth (a user's own data) fall back to boxes from the stored
mouth-corner landmarks (:class:`lipsync.training.generator_eval.LandmarkMouthBoxes`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lipsync.config import Params
from lipsync.faces.crop import crop_box
from lipsync.layout import Layout
from lipsync.stages import records as rec
from lipsync.training.generator_eval import GeneratorEvalSet, LandmarkMouthBoxes


class MouthBoxes:
    """eval set -> float32 (N, T, 4) mouth boxes in crop pixels; ``source`` says which kind."""

    def __init__(self, params: Params, layout: Layout) -> None:
        self.params, self.layout, self.source = params, layout, "none"

    def _video(self, video_id: str) -> tuple[Path, tuple[int, int]]:
        record = rec.read_record(self.layout.ingest_record(video_id)) or {}
        truth = self.layout.corpus_truth / Path(record.get("source", "?")).with_suffix(".npz")
        return truth, (int(record.get("out_width", 0)), int(record.get("out_height", 0)))

    def __call__(self, eval_set: GeneratorEvalSet) -> np.ndarray:
        videos = {v: self._video(v) for v in set(eval_set.video_ids)}
        if not all(truth.exists() for truth, _ in videos.values()):
            self.source = "landmarks"
            fallback = LandmarkMouthBoxes(
                lambda v: videos[v][1],
                self.params.faces.crop,
                self.params.format.face_size,
                self.params.training.mouth_box,
            )
            return fallback(eval_set)
        self.source = "corpus truth"
        mouths = {v: np.load(truth)["mouth_boxes"] for v, (truth, _) in videos.items()}
        out = [
            self._window(w, mouths[v], videos[v][1]) for w, v in zip(eval_set.windows, eval_set.video_ids, strict=True)
        ]
        return np.stack(out).astype(np.float32)  # (N, T, 4)

    def _window(self, window: dict, mouth: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
        size = self.params.format.face_size
        boxes = []
        for frame, face in zip(window["frames"], window["boxes"], strict=True):
            x0, y0, x1, _ = crop_box(face, frame_size[0], frame_size[1], self.params.faces.crop)
            scale = size / (x1 - x0)
            m = mouth[int(frame)]
            boxes.append([(m[0] - x0) * scale, (m[1] - y0) * scale, (m[2] - x0) * scale, (m[3] - y0) * scale])
        return np.asarray(boxes)
