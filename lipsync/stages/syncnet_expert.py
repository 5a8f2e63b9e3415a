"""Stage ``syncnet_expert``: train the lip-sync expert on the train shards, evaluate it on
the held-out speakers (off-sync accuracy), register it as ``syncnet-expert``."""

from __future__ import annotations

import numpy as np

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.models import SyncNet
from lipsync.stages.training_run import device_context, geometry, tracked_training
from lipsync.training.expert import train_expert

STAGE = "syncnet_expert"
REGISTERED = "syncnet-expert"


def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    torch_seed(params)
    syncnet = SyncNet(params.models.syncnet)
    t = params.training
    tracked = {"models": {"syncnet": params.models.syncnet}, "training": {"expert": t.expert, "data": t.data},
               "seed": t.seed}

    def train(paths, callbacks):
        summary = train_expert(syncnet, t.expert, t.data, geometry(params), t.seed, layout.shard_dir("train"),
                               layout.shard_dir("test"), paths, device_context(), callbacks)
        half = params.faces.size // 2
        example = (np.zeros((2, 1, params.mel.n_mels, params.models.generator.audio.mel_frames), np.float32),
                   np.zeros((2, 3 * params.models.syncnet.window_frames, half, params.faces.size), np.float32))
        return summary, syncnet.cpu().eval(), example

    return tracked_training(STAGE, params, layout, REGISTERED, tracked, train)


def torch_seed(params: Params) -> None:
    import torch

    torch.manual_seed(params.training.seed)
