"""Training a generator (ours or the Wav2Lip baseline) against the trained expert.

Both generator stages call :func:`run_generator_stage`: the same trainer, data, budget
rules and evaluation, so their figures compare like for like. The expert is the version
that ``syncnet_expert`` registered (read from its result.json), loaded from the registry.
"""

from __future__ import annotations

import numpy as np
import torch

from lipsync.atomic import write_json
from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.models import SyncNet, Wav2Lip
from lipsync.stages.mouth_truth import MouthBoxes
from lipsync.stages.training_run import device_context, geometry, read_result, tracked_training
from lipsync.training.generator import train_generator

EXPERT_STAGE = "syncnet_expert"


def load_expert(params: Params, layout: Layout, stage: str) -> tuple[SyncNet, dict]:
    """The expert ``syncnet_expert`` produced, by its registered name and version."""
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    produced = read_result(layout, EXPERT_STAGE, stage)
    ref = ModelRef.from_dict(produced["model"])
    expert = SyncNet(params.models.syncnet)
    expert.load_state_dict(load_state_dict(open_tracking(layout.mlruns), ref))
    return expert.eval().requires_grad_(False), produced["model"]


def run_generator_stage(stage: str, registered: str, generator: torch.nn.Module, settings, params: Params,
                        layout: Layout, tracked_sections: dict) -> dict:
    """Train ``generator`` with ``settings`` (a GeneratorTrainingSettings) and register it."""
    torch.manual_seed(params.training.seed)
    expert, expert_ref = load_expert(params, layout, stage)
    mouth_boxes = MouthBoxes(params, layout)
    t = params.training
    tracked = tracked_sections | {"training": {stage: settings, "data": t.data}, "seed": t.seed}

    def train(paths, callbacks):
        summary = train_generator(generator, expert, settings, t.data, geometry(params), t.seed,
                                  layout.shard_dir("train"), layout.shard_dir("test"), mouth_boxes, paths,
                                  device_context(), callbacks)
        size = params.faces.size
        faces = np.zeros((2, 6, size, size), np.float32)  # masked target + reference
        mel = np.zeros((2, 1, params.mel.n_mels, params.models.generator.audio.mel_frames), np.float32)
        example = (mel, faces) if isinstance(generator, Wav2Lip) else (faces, mel)  # each forward's order
        return summary, generator.cpu().eval(), example

    result = tracked_training(stage, params, layout, registered, tracked, train, {"expert": expert_ref})
    result["mouth_boxes"] = mouth_boxes.source  # known once the evaluation set was built
    write_json(layout.model_result(stage), result)
    return result
