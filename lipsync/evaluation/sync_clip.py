"""Run a SyncNet evaluator over one clip: face crops and audio in, :class:`SyncScores` out.

Crops are prepared the way syncnet_python feeds its network: every frame resized to the
evaluator's square input (224 px for the official file; an evaluator trained here with
``face_crop_top`` > 0 sees the mouth-centred square below that line instead of the whole
crop), pixel values 0..255 as floats, not normalised, in the evaluator's colour order (BGR
for the official file, whose frames were read by OpenCV). Our crops are the faces stage's
square crops (``faces.crop``), not the public pipeline's S3FD boxes with a 0.4 margin, so
official-file figures are close to but not the same protocol as published ones. Generated
faces are 96 px; give real frames at the same size so both are upsampled alike.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
import torch
from torch import Tensor, nn

from lipsync.evaluation.mfcc import SAMPLES_PER_FRAME, WINDOW_FRAMES, mfcc, mfcc_windows, window_count
from lipsync.evaluation.settings import SyncSettings
from lipsync.evaluation.sync import SyncScores, sync_scores


class SyncEvaluator(Protocol):
    """What :func:`score_clip` needs; :class:`lipsync.evaluation.syncnet_v2.SyncNetV2` is one."""

    @property
    def face_size(self) -> int: ...

    @property
    def channel_order(self) -> str: ...

    @property
    def face_crop_top(self) -> float: ...

    def embed_audio(self, mfcc: Tensor) -> Tensor: ...  # (B, 1, 13, 20) -> (B, D)

    def embed_faces(self, faces: Tensor) -> Tensor: ...  # (B, 3, 5, S, S) -> (B, D)


def evaluator_input(faces: np.ndarray, size: int, crop_top: float) -> np.ndarray:
    """uint8 (T, H, W, 3) square crops -> uint8 (T, size, size, 3): the square below ``crop_top``
    x H, centred left to right (all of it at 0), resized to ``size``. ``faces`` itself (no copy)
    when it is already that square."""
    if crop_top > 0:
        top = int(round(crop_top * faces.shape[1]))
        side = min(faces.shape[1] - top, faces.shape[2])
        left = (faces.shape[2] - side) // 2
        faces = faces[:, top : top + side, left : left + side]
    if faces.shape[1:3] == (size, size):
        return faces
    out = np.empty((len(faces), size, size, 3), dtype=np.uint8)
    for t, face in enumerate(faces):
        method = cv2.INTER_AREA if face.shape[0] > size else cv2.INTER_LINEAR
        out[t] = cv2.resize(face, (size, size), interpolation=method)
    return out


def evaluator_frames(faces: np.ndarray, size: int, channel_order: str, crop_top: float) -> Tensor:
    """uint8 (T, H, W, 3) RGB crops -> float32 (3, T, size, size), values 0..255 in
    ``channel_order``, cropped as :func:`evaluator_input`."""
    out = evaluator_input(faces, size, crop_top)
    if channel_order == "bgr":
        out = out[..., ::-1]
    return torch.from_numpy(np.ascontiguousarray(out.transpose(3, 0, 1, 2))).float()  # (3, T, S, S)


def check_clip(faces: np.ndarray, audio: np.ndarray, clip_id: str) -> int:
    """The clip's window count; ValueError naming ``clip_id`` for bad arrays or a clip too short."""
    if faces.ndim != 4 or faces.shape[-1] != 3 or faces.dtype != np.uint8 or audio.ndim != 1:
        raise ValueError(
            f"clip {clip_id}: expected uint8 faces (T, H, W, 3) and mono audio (N,), "
            f"got {faces.dtype} {faces.shape} and {audio.shape}"
        )
    windows = window_count(len(faces), len(audio))
    if windows < 1:
        raise ValueError(
            f"clip {clip_id} is too short for a sync window: {len(faces)} frames and "
            f"{len(audio) / SAMPLES_PER_FRAME:.1f} frames of audio; the protocol needs at least "
            f"{WINDOW_FRAMES + 1} of both (0.24 s at 25 fps)"
        )
    return windows


def face_embeddings(model: SyncEvaluator, faces: np.ndarray, windows: int, batch_size: int) -> Tensor:
    """float (W, D) embeddings of the first ``windows`` 5-frame windows of uint8 (T, H, W, 3) crops."""
    if isinstance(model, nn.Module):
        model.eval()
    device, out = _device(model), []
    with torch.inference_mode():
        for first in range(0, windows, batch_size):
            last = min(windows, first + batch_size)
            chunk = faces[first : last - 1 + WINDOW_FRAMES]
            frames = evaluator_frames(chunk, model.face_size, model.channel_order, model.face_crop_top)
            clips = frames.unfold(1, WINDOW_FRAMES, 1).permute(1, 0, 4, 2, 3)  # (B, 3, 5, S, S)
            out.append(model.embed_faces(clips.contiguous().to(device)).cpu())
    return torch.cat(out)


def audio_embeddings(model: SyncEvaluator, audio: np.ndarray, windows: int, batch_size: int) -> Tensor:
    """float (W, D) embeddings of the first ``windows`` MFCC windows of float32 (N,) 16 kHz audio."""
    if isinstance(model, nn.Module):
        model.eval()
    device, features, out = _device(model), mfcc(audio), []
    with torch.inference_mode():
        for first in range(0, windows, batch_size):
            starts = np.arange(first, min(windows, first + batch_size))  # (B,)
            out.append(model.embed_audio(torch.from_numpy(mfcc_windows(features, starts)).to(device)).cpu())
    return torch.cat(out)


def score_clip(
    model: SyncEvaluator, faces: np.ndarray, audio: np.ndarray, clip_id: str, settings: SyncSettings
) -> SyncScores:
    """LSE-D, LSE-C, offset and per-offset curve of one clip (see :mod:`lipsync.evaluation.sync`).

    faces: uint8 (T, H, W, 3) RGB square face crops at 25 fps; audio: float32 (N,) mono 16 kHz
    in [-1, 1]; clip_id names the clip in errors. Windows are scored ``settings.batch_size`` at
    a time under ``torch.inference_mode``; an ``nn.Module`` is switched to ``eval()`` first.
    Raises ValueError naming ``clip_id`` when the clip holds no complete sync window.
    """
    windows = check_clip(faces, audio, clip_id)
    video = face_embeddings(model, faces, windows, settings.batch_size)
    sound = audio_embeddings(model, audio, windows, settings.batch_size)
    return sync_scores(video, sound, settings.max_offset)


def _device(model: object) -> torch.device:
    parameter = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    return parameter.device if parameter is not None else torch.device("cpu")
