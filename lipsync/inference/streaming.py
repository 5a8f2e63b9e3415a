"""Real-time lip sync: audio arrives in chunks, each frame leaves as soon as its audio is in.

The face (a still image, or a short video that loops forwards and backwards) is prepared once:
detected or tracked, decoded, cropped (:func:`prepare_face`). Then :class:`LipSyncStream` takes
16 kHz mono chunks of any length (20-200 ms in practice). Frame ``f`` needs the mel window that
starts at video frame ``f`` (0.2 s of audio ahead of the frame) and that window's last column
needs ``n_fft / 2`` more samples (the centred STFT): ``(mel_start(f) + 15) * hop + n_fft / 2``
samples in all. So frame ``f``, shown from ``f / 25`` s, can be made once the audio up to
``f / 25 + 0.2125`` s is in: that is the algorithmic delay (the last window column is centred
187.5 ms after the frame's start, and its STFT reads 25 ms past its centre). The frames are generated and pasted
exactly as in batch (:func:`.batch.dub_chunk`), from the same mel columns (:class:`.mel_stream.MelStream`),
so a stream equals the batch output up to float rounding. ``finish`` continues the audio with
zeros, as batch does, for the last frames; the frame count follows the same rule.

Processing latency of a frame: from the arrival of the chunk holding the last sample it
needs (or of the end of the stream, for the last frames) to the moment the frame is made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lipsync.audio.mel import mel_start_index
from lipsync.faces.settings import FacesSettings
from lipsync.inference.batch import dub_chunk
from lipsync.inference.face_plan import plan_face
from lipsync.inference.face_video import frames_in_order, pingpong
from lipsync.inference.generation import LowerFace
from lipsync.inference.job import InferenceConfig
from lipsync.inference.mel_stream import MelStream
from lipsync.inference.settings import InferenceSettings
from lipsync.inference.speech import frame_count, frame_windows, padded_samples


@dataclass(frozen=True)
class PreparedFace:
    """frames: uint8 (L, H, W, 3) RGB, one per 25 fps slot (a still: L = 1); boxes: float32 (L, 4);
    present: bool (L,); still: one image; notes: as batch reports them."""

    path: Path
    frames: np.ndarray
    boxes: np.ndarray
    present: np.ndarray
    still: bool
    notes: tuple[str, ...]


def prepare_face(
    path: Path, faces: FacesSettings, fps: int, settings: InferenceSettings, face_index: int | None = None
) -> PreparedFace:
    """Detect or track the face of ``path`` once; a video keeps its first ``stream.max_face_frames`` slots."""
    plan = plan_face(path, faces, fps, settings.max_side, face_index, settings.stream.max_face_frames / fps)
    if plan.still:
        return PreparedFace(plan.path, plan.image[None], plan.boxes, plan.present, True, plan.notes)
    shown = plan.slots[: settings.stream.max_face_frames]
    frames = np.stack(list(frames_in_order(plan.path, plan.size, plan.pts, shown, len(np.unique(shown)))))
    return PreparedFace(plan.path, frames, plan.boxes[shown], plan.present[shown], False, plan.notes)


@dataclass(frozen=True)
class StreamFrame:
    """index: output frame number; image: uint8 (H, W, 3) RGB; silent: made from the silence
    window; needed: samples (16 kHz) its window needs; made_at: ``time.perf_counter()`` when done."""

    index: int
    image: np.ndarray
    silent: bool
    needed: int
    made_at: float


class LipSyncStream:
    """push(chunk) -> the frames whose audio is now complete; finish() -> the rest."""

    def __init__(self, face: PreparedFace, lower: LowerFace, config: InferenceConfig) -> None:
        self.face, self.lower, self.config = face, lower, config
        self.mel, self.fps, self.window, self.settings = config.mel, config.fps, config.window_mel, config.settings
        self.mel_stream = MelStream(config.mel)
        self.columns = np.zeros((config.mel.n_mels, 0), dtype=np.float32)
        self.column0 = 0  # mel frame of self.columns[:, 0]
        self.samples = 0  # real samples received (the stream's padding zeros not counted)
        self.next_frame = 0
        self.finished = False

    def needed(self, frame: int) -> int:
        """Samples that must be in before ``frame`` can be made."""
        return self.mel_stream.ready_for(mel_start_index(frame, self.fps, self.mel) + self.window - 1)

    def push(self, audio: np.ndarray) -> list[StreamFrame]:
        """audio: float32 (n,) mono at the mel rate, in [-1, 1]."""
        if self.finished:
            raise RuntimeError("the stream is finished")
        self.samples += len(audio)
        self._take(self.mel_stream.push(audio))
        ready = self.next_frame
        while self.needed(ready) <= self.mel_stream.received:
            ready += 1
        return self._make(ready)

    def finish(self) -> list[StreamFrame]:
        """Continue the audio with zeros and make the remaining frames: ``ceil(samples x fps / rate)`` in all."""
        self.finished = True
        total = frame_count(self.samples, self.mel.sample_rate, self.fps)
        if total == 0:
            return []
        missing = padded_samples(total, self.fps, self.mel, self.window) - self.mel_stream.received
        self._take(self.mel_stream.push(np.zeros(max(0, missing), dtype=np.float32)))
        return self._make(total)

    def _take(self, columns: np.ndarray) -> None:
        keep = mel_start_index(self.next_frame, self.fps, self.mel) - self.column0  # columns still needed from here
        self.columns = np.concatenate([self.columns[:, keep:], columns], axis=1)
        self.column0 += keep

    def _make(self, stop: int) -> list[StreamFrame]:
        out: list[StreamFrame] = []
        batch = self.settings.batch
        for first in range(self.next_frame, stop, batch):
            count = min(batch, stop - first)
            windows, silent = frame_windows(
                self.columns, first, count, self.fps, self.mel, self.window, self.settings.silence, self.column0
            )
            slots = pingpong(first + count, len(self.face.frames), first)
            chunk = [self.face.frames[s] for s in slots]
            made = dub_chunk(
                chunk, self.face.boxes[slots], self.face.present[slots], windows, self.face.still, self.lower,
                self.config.faces.crop, self.settings.paste,
            )  # fmt: skip
            for k, image in enumerate(made):
                index = first + k
                out.append(StreamFrame(index, image, bool(silent[k]), self.needed(index), time.perf_counter()))
        self.next_frame = stop
        return out
