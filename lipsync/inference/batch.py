"""Batch inference: one face input + one speech file -> one lip-synced H.264 + AAC mp4.

    decode/track the face (once) -> per chunk of ``batch`` output frames: decode the frames it
    shows, crop at the model's size, generate from each frame's mel window, paste back -> x264

Output frames follow the audio (``ceil(samples x 25 / rate)``, :func:`.speech.frame_count`); a
face video shorter than that plays forwards then backwards. Frames stream from the decoder to
the encoder a chunk at a time, so peak memory depends on the frame size and ``batch``, not on
the length. The file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

import numpy as np

from lipsync.faces.crop import crop_box, crop_faces
from lipsync.faces.settings import CropSettings
from lipsync.inference.face_plan import FacePlan, plan_face
from lipsync.inference.face_video import frames_in_order
from lipsync.inference.generation import LowerFace
from lipsync.inference.job import InferenceConfig, InferenceJob
from lipsync.inference.model_source import LoadedGenerator
from lipsync.inference.paste import blend_mask, colour_matched, paste
from lipsync.inference.settings import PasteSettings
from lipsync.inference.speech import frame_windows, read_speech, speech_mel
from lipsync.media.writer import write_mp4


class OutputError(ValueError):
    """The output path cannot be written; the message says why and what to do."""


def check_output(out: Path, overwrite: bool) -> None:
    """Refuse an existing output (unless ``overwrite``), a missing folder, or another suffix than .mp4."""
    out = Path(out)
    if out.suffix.lower() != ".mp4":
        raise OutputError(f"output {out}: must end in .mp4 (H.264 + AAC)")
    if not out.parent.is_dir():
        raise OutputError(f"output {out}: folder {out.parent} does not exist; create it first")
    if out.exists() and not overwrite:
        raise OutputError(f"output {out} exists; pass --overwrite to replace it")


def dub(job: InferenceJob, config: InferenceConfig, generator: LoadedGenerator, progress: bool = False) -> dict:
    """Write ``job.out``; returns {frames, face_frames, silent_frames, seconds, notes}.

    Raises OutputError, SpeechError or FaceInputError (each naming the file) before anything is written.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    check_output(job.out, job.overwrite)
    speech = read_speech(job.audio, config.mel, config.fps, config.window_frames)
    frames = speech.frames(config.fps)
    plan = plan_face(job.face, config.faces, config.fps, config.settings.max_side, job.face_index, frames / config.fps)
    counts = {"face_frames": 0, "silent_frames": 0}
    video = dubbed_frames(plan, LowerFace(generator.model), speech.mel_audio, frames, config, counts)
    bar = tqdm(video, total=frames, unit="frame", desc=Path(job.out).name, disable=not progress)
    encoder = config.settings.encoder
    write_mp4(
        job.out, bar, config.fps, speech.track, speech.track_rate, crf=encoder.crf, threads=encoder.threads,
        preset=encoder.preset, metadata={"comment": f"lipsync model {generator.identity}"},
    )  # fmt: skip
    silent = counts["silent_frames"] == frames
    notes = plan.notes + (("the audio is silent throughout: the mouth stays closed",) if silent else ())
    return {"frames": frames, **counts, "seconds": time.perf_counter() - started, "notes": notes}


def dubbed_frames(
    plan: FacePlan, lower: LowerFace, audio: np.ndarray, frames: int, config: InferenceConfig, counts: dict
) -> Iterator[np.ndarray]:
    """The ``frames`` output frames, uint8 (H, W, 3) RGB, made a chunk of ``batch`` at a time.

    audio: float32 (M,) at the mel rate; counts: ``face_frames`` and ``silent_frames`` are added to.
    """
    s = config.settings
    mel = speech_mel(audio, frames, config.fps, config.mel, config.window_mel)  # (80, C): ~1.5 MB per minute
    schedule = plan.schedule(frames)
    source = _source_frames(plan, schedule, s.batch, s.loop_cache_mb)
    for first in range(0, frames, s.batch):
        shown = schedule[first : first + s.batch]
        chunk = [next(source) for _ in shown]
        windows, silent = frame_windows(mel, first, len(shown), config.fps, config.mel, config.window_mel, s.silence)
        present = plan.present[shown]
        counts["silent_frames"] += int(silent.sum())
        counts["face_frames"] += int(present.sum())
        yield from dub_chunk(chunk, plan.boxes[shown], present, windows, plan.still, lower, config.faces.crop, s.paste)


def _source_frames(plan: FacePlan, schedule: np.ndarray, batch: int, cache_mb: int) -> Iterator[np.ndarray]:
    """The face frame each output frame shows, in output order (a still: the image every time)."""
    if plan.still:
        return repeat(plan.image)
    width, height = plan.size
    cache_frames = max(batch, (cache_mb << 20) // (width * height * 3))
    return frames_in_order(plan.path, plan.size, plan.pts, schedule, cache_frames)


def dub_chunk(
    chunk: list[np.ndarray],
    boxes: np.ndarray,
    present: np.ndarray,
    windows: np.ndarray,
    still: bool,
    lower: LowerFace,
    crop: CropSettings,
    settings: PasteSettings,
) -> Iterator[np.ndarray]:
    """Generate and paste one chunk (batch and streaming both come here).

    chunk: n uint8 (H, W, 3) frames; boxes: float32 (n, 4); present: bool (n,); windows: float32
    (n, 80, 16). Yields n new frames; the inputs are never modified (a frame without a face is
    yielded as it is).
    """
    size = lower.size
    if still:
        crops = crop_faces(chunk[0][None], boxes[:1], size, crop)  # (1, S, S, 3)
        generated, masks = lower.generate_still(crops[0], windows)
        crops, picks = np.broadcast_to(crops, (len(chunk), *crops.shape[1:])), np.arange(len(chunk))
    else:
        crops = crop_faces(np.stack(chunk), boxes, size, crop)  # (n, S, S, 3); black where absent
        generated, masks = lower.generate(crops[present], windows[present]) if present.any() else (None, None)
        picks = np.cumsum(present) - 1  # row of each present frame in ``generated``
    for k, frame in enumerate(chunk):
        if not present[k]:
            yield frame
            continue
        mask = blend_mask(masks[picks[k]] if masks is not None else None, size, settings)
        face = generated[picks[k]]
        if settings.colour_match:
            face = colour_matched(face, crops[k] / np.float32(255), mask)
        out = frame.copy()
        height, width = frame.shape[:2]
        paste(out, crop_box(boxes[k], width, height, crop), face, mask)
        yield out
