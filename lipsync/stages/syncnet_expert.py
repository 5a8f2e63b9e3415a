"""Stage ``syncnet_expert``: train the lip-sync expert on the train shards, evaluate it on
the held-out speakers (off-sync accuracy), register it as ``syncnet-expert``."""

from __future__ import annotations

import numpy as np

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.training_stage import TrainingStage
from lipsync.stages.writer_lock import writes_data

STAGE = "syncnet_expert"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    import torch

    from lipsync.models import SyncNet
    from lipsync.training.expert import train_expert

    stage = TrainingStage(STAGE, params, layout)
    if stage.finished() is not None:  # the same training is done and registered
        return stage.result
    torch.manual_seed(params.training.seed)
    syncnet = SyncNet(params.models.syncnet)
    with stage:
        summary = train_expert(syncnet, params.training.syncnet_expert, stage.source, stage.setup)
        stage.register(summary, syncnet.cpu().eval(), input_example(params))
    return stage.result


def input_example(params: Params) -> tuple[np.ndarray, np.ndarray]:
    """(mel (2, 1, bands, mel frames), lower faces (2, 3 x window, S/2, S)) zeros, float32."""
    size, window = params.format.face_size, params.format.sync_window
    mel = np.zeros((2, 1, params.format.mel_bands, params.models.generator.audio.mel_frames), np.float32)
    return mel, np.zeros((2, 3 * window, size // 2, size), np.float32)
