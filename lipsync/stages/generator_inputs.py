"""What the two generator stages share: the expert they train against, and the input example
their registered models are logged with."""

from __future__ import annotations

import numpy as np

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.training_stage import read_result

EXPERT_STAGE = "syncnet_expert"


def load_expert(params: Params, layout: Layout, needed_by: str):
    """(frozen SyncNet, its ModelRef dict): the version ``syncnet_expert`` registered (its
    result.json), loaded from the registry by name, version and run id."""
    from lipsync.models import SyncNet
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    produced = read_result(layout, EXPERT_STAGE, needed_by)
    ref = ModelRef.from_dict(produced["model"])
    expert = SyncNet(params.models.syncnet)
    expert.load_state_dict(load_state_dict(open_tracking(layout.mlruns), ref))
    return expert.eval().requires_grad_(False), produced["model"]


def input_example(params: Params, ours: bool) -> tuple[np.ndarray, np.ndarray]:
    """Zeros in each forward's argument order: ours (faces, mel), Wav2Lip (mel, faces).

    faces: float32 (2, 6, S, S) masked target + reference; mel: (2, 1, bands, mel frames)."""
    size = params.format.face_size
    faces = np.zeros((2, 6, size, size), np.float32)
    mel = np.zeros((2, 1, params.format.mel_bands, params.models.generator.audio.mel_frames), np.float32)
    return (faces, mel) if ours else (mel, faces)
