"""Stage ``syncnet_expert``: train the lip-sync expert on the train shards, evaluate it on
the held-out speakers (off-sync accuracy), register it as ``syncnet-expert``.

Beside the expert's accuracy it reports the sync ceiling (:mod:`lipsync.training.ceiling`):
the same held-out pairs judged by a classifier given the corpus's true mouth parameters, read
from the corpus truth files of the shards' videos. In ``result.json`` as ``ceiling`` and on
the expert's MLflow run as ``ceiling/*`` metrics; left out (with a log line) when a video has
no corpus truth (a user's own videos).
"""

from __future__ import annotations

import logging

import numpy as np

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.training_stage import TrainingStage
from lipsync.stages.writer_lock import writes_data

STAGE = "syncnet_expert"
log = logging.getLogger("lipsync")


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
        ceiling = ceiling_figures(params, layout, stage.source)
        if ceiling:
            gap = {"expert_gap": ceiling["accuracy"] - summary.last_eval["accuracy"]} if summary.last_eval else {}
            stage.run.log_metrics(summary.step, {f"ceiling/{key}": value for key, value in (ceiling | gap).items()})
        stage.register(summary, syncnet.cpu().eval(), input_example(params), ceiling=ceiling or None)
    return stage.result


def ceiling_figures(params: Params, layout: Layout, source) -> dict[str, float]:
    """The sync ceiling on the expert's pairs (:func:`lipsync.training.ceiling.sync_ceiling`):
    {accuracy, auc, pairs, train_accuracy, train_auc}; {} when a video has no corpus truth."""
    from lipsync.stages.mouth_truth import mouth_params
    from lipsync.training.ceiling import MouthSegments, read_audio_segments, sync_ceiling

    truths: dict[str, np.ndarray | None] = {}
    splits = {}
    for split, shards in (("train", source.train), ("held_out", source.eval)):
        segments, mouths = read_audio_segments(shards), []
        for segment in segments:
            video, start, count = segment.meta["video_id"], segment.meta["start_frame"], segment.meta["frames"]
            if video not in truths:
                try:
                    truths[video] = mouth_params(layout, video, STAGE)
                except FileNotFoundError as missing:  # shards made elsewhere: no ingest record here
                    log.info("%s: no sync ceiling: %s", STAGE, missing)
                    return {}
            if truths[video] is None:
                log.info("%s: no sync ceiling: video %s has no corpus truth file", STAGE, video)
                return {}
            if len(truths[video]) < start + count:
                raise ValueError(f"{STAGE}: the corpus truth of {video} has {len(truths[video])} frames, the shards "
                                 f"read {start + count}: regenerate the corpus and rebuild the shards")  # fmt: skip
            mouths.append(truths[video][start : start + count])
        splits[split] = MouthSegments(segments, mouths)
    expert = params.training.syncnet_expert
    return sync_ceiling(splits["train"], splits["held_out"], source.geometry, source.data, expert.ceiling,
                        expert.eval_pairs, source.seed)  # fmt: skip


def input_example(params: Params) -> tuple[np.ndarray, np.ndarray]:
    """(mel (2, 1, bands, mel frames), lower faces (2, 3 x window, S/2, S)) zeros, float32."""
    size, window = params.format.face_size, params.format.sync_window
    mel = np.zeros((2, 1, params.format.mel_bands, params.models.generator.audio.mel_frames), np.float32)
    return mel, np.zeros((2, 3 * window, size // 2, size), np.float32)
