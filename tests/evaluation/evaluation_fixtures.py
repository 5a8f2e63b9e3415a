"""Data for the evaluation tests: corpus clips rendered in memory and cut into 96 px face crops."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from lipsync.corpus.photos import read_source
from lipsync.corpus.render import render_clip
from lipsync.corpus.settings import CorpusSettings
from lipsync.faces.crop import crop_box, crop_faces
from lipsync.faces.settings import FacesSettings
from tests.builders import real_section

FRAME_SIZE = 128  # rendered frame side; the crops are the real faces.size (96 px)


@dataclass(frozen=True)
class CroppedClip:
    """faces: uint8 (T, 96, 96, 3) RGB; audio: float32 (N,) 16 kHz; photo: the speaker's photo;
    mouth_boxes: float32 (T, 4) the drawn lips in crop pixels; landmarks: float32 (T, 5, 2) crop px
    (eyes, nose, mouth corners); mouth_open: float32 (T,) the renderer's mouth opening."""

    faces: np.ndarray
    audio: np.ndarray
    photo: str
    mouth_boxes: np.ndarray
    landmarks: np.ndarray
    mouth_open: np.ndarray


@functools.lru_cache(maxsize=8)
def cropped_clip(speaker: int, seconds: float, renderer: str | None = None) -> CroppedClip:
    """Clip 0 of corpus speaker ``speaker`` (real corpus and crop params, 128 px frames), its
    mouth rendered by ``renderer`` (corpus.mouth.renderer: the params' own when None)."""
    corpus = real_section(CorpusSettings, "corpus")
    corpus = dataclasses.replace(
        corpus,
        frame_size=FRAME_SIZE,
        workers=1,
        min_seconds=seconds,
        max_seconds=seconds,
        mouth=dataclasses.replace(corpus.mouth, renderer=renderer or corpus.mouth.renderer),
    )
    faces_settings = real_section(FacesSettings, "faces")
    clip = render_clip(corpus, speaker, 0)
    truth = clip.truth
    crops = crop_faces(clip.frames, truth.face_boxes, faces_settings.size, faces_settings.crop)
    mouth = np.empty_like(truth.mouth_boxes)
    points = np.empty_like(truth.landmarks)
    for t, face_box in enumerate(truth.face_boxes):
        x0, y0, x1, _ = crop_box(face_box, FRAME_SIZE, FRAME_SIZE, faces_settings.crop)
        scale = faces_settings.size / (x1 - x0)
        mouth[t] = (truth.mouth_boxes[t] - np.array([x0, y0, x0, y0])) * scale
        points[t] = (truth.landmarks[t] - np.array([x0, y0])) * scale
    return CroppedClip(crops, clip.audio, truth.photo, mouth, points, truth.mouth_params[:, 0])


def shift_audio(audio: np.ndarray, frames: int, samples_per_frame: int = 640) -> np.ndarray:
    """Audio advanced by ``frames`` video frames (audio[t] <- audio[t + k]); negative delays it.

    The length stays the same; the samples moved in are silence.
    """
    n = frames * samples_per_frame
    silence = np.zeros(abs(n), dtype=audio.dtype)
    return np.concatenate([audio[n:], silence]) if n >= 0 else np.concatenate([silence, audio[:n]])


@functools.lru_cache(maxsize=4)
def photo_face(name: str) -> np.ndarray:
    """uint8 (96, 96, 3) RGB face crop of a shipped photo (astronaut, grace_hopper, camera),
    cut around its annotated face box with the real crop params."""
    corpus = real_section(CorpusSettings, "corpus")
    faces_settings = real_section(FacesSettings, "faces")
    photo = read_source(corpus.photos.builtin[name].source)
    box = np.float32([corpus.photos.builtin[name].face_box])
    return crop_faces(photo[None], box, faces_settings.size, faces_settings.crop)[0]
