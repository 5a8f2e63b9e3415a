"""Stage ``syncnet_evaluator``: train the LSE evaluator (syncnet_python's network at the width
``models.syncnet_evaluator`` sets) on the train shards with its own seed, score it on the
held-out speakers, register it as ``syncnet-evaluator``.

It judges the generators and is never their loss. It is trained once per distinct params,
code and data (:meth:`TrainingStage.finished`): rerunning the pipeline reuses the registered
version, so two generator versions are compared by the same evaluator.
"""

from __future__ import annotations

import numpy as np

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.training_stage import TrainingStage
from lipsync.stages.writer_lock import writes_data

STAGE = "syncnet_evaluator"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    import torch

    from lipsync.evaluation.mfcc import WINDOW_FRAMES
    from lipsync.evaluation.syncnet_v2 import SyncNetV2
    from lipsync.training.evaluator import train_evaluator

    stage = TrainingStage(STAGE, params, layout)
    if stage.finished() is not None:
        return stage.result
    settings = params.training.syncnet_evaluator
    torch.manual_seed(settings.seed)
    net = SyncNetV2(params.models.syncnet_evaluator)
    candidates = params.shards.segment_frames - WINDOW_FRAMES
    with stage:
        summary = train_evaluator(net, settings, stage.source, stage.setup, candidates)
        stage.register(summary, net.cpu().eval(), input_example(params))
    return stage.result


def input_example(params: Params) -> tuple[np.ndarray, np.ndarray]:
    """(MFCC (2, 1, 13, 20), faces (2, 3, 5, S, S)) zeros, float32: the forward's arguments."""
    size = params.models.syncnet_evaluator.face_size
    return np.zeros((2, 1, 13, 20), np.float32), np.zeros((2, 3, 5, size, size), np.float32)
