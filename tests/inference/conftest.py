"""Tiny inputs for the inference tests: a real face photo, a short face video, speech with
silences, a project with the real params, and generator checkpoints written here."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from lipsync.faces.synthetic import moving_face_clip
from lipsync.media.writer import write_mp4, write_wav
from tests.builders import make_project
from tests.faces.images import ASTRONAUT_FACE, astronaut

RATE = 16000


def speech_like(seconds: float, speech: tuple[float, float], rate: int = RATE, seed: int = 0) -> np.ndarray:
    """float32 (N,): silence with a syllable-like burst train (noise through a 4 Hz envelope) over ``speech`` (s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    envelope = np.where((t >= speech[0]) & (t < speech[1]), 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t), 0.0)
    voiced = 0.3 * np.sin(2 * np.pi * 180 * t) + 0.1 * rng.normal(size=len(t))
    return (envelope * voiced).astype(np.float32)


def write_media(folder) -> dict:
    """Paths: photo (astronaut, 512x512 PNG), video (the face moving, 256x256, 30 frames at 25 fps),
    speech (1.6 s: silent, 0.4-1.2 s of bursts, silent; 16 kHz wav)."""
    photo = folder / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR))
    frames, _ = moving_face_clip(astronaut(), ASTRONAUT_FACE, 30, 256, 0.45)
    video = folder / "face.mp4"
    write_mp4(video, frames, 25, None, RATE, crf=12, threads=1, preset="ultrafast")
    speech = folder / "speech.wav"
    write_wav(speech, speech_like(1.6, (0.4, 1.2)), RATE)
    return {"photo": photo, "video": video, "speech": speech, "folder": folder}


def write_ours_checkpoint(path):
    """Our generator, untrained but with a decoder that changes the mouth, in the Wav2Lip dict format."""
    from lipsync.models import LipSyncGenerator, save_checkpoint
    from tests.builders import loaded_params

    torch.manual_seed(0)
    model = LipSyncGenerator(loaded_params().models.generator)
    with torch.no_grad():
        model.lip_decoder.to_rgb.weight.normal_(0.0, 0.05)
    return save_checkpoint(path, model, None, 7, 1)


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    return write_media(tmp_path_factory.mktemp("inference_media"))


@pytest.fixture(scope="session")
def ours_checkpoint(tmp_path_factory):
    return write_ours_checkpoint(tmp_path_factory.mktemp("models") / "ours.pt")


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", {"inference": {"workers": 1}})


def config_of(project):
    from lipsync.stages.batch_inference import inference_config

    return inference_config(project.params, project.layout)


def frame_count_of(path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def read_video(path) -> np.ndarray:
    from lipsync.media.reader import read_frames

    return read_frames(path)
