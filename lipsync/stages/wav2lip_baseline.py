"""Stage ``wav2lip_baseline``: the published Wav2Lip generator trained here from scratch on
the same shards, with the same trainer and about the same wall-clock budget as ours (its
step count is calibrated for that in params), and its published visual-quality
discriminator when ``training.wav2lip_baseline.adversarial.enabled``; registered as
``wav2lip-baseline``."""

from __future__ import annotations

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.generator_inputs import input_example, load_expert, load_start, warm_start
from lipsync.stages.mouth_truth import MouthBoxes
from lipsync.stages.training_stage import FILTERED_STAGES, TrainingStage
from lipsync.stages.writer_lock import writes_data

STAGE = "wav2lip_baseline"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    import torch

    from lipsync.models import Wav2Lip, Wav2LipDiscQual
    from lipsync.training.generator import train_generator

    settings = params.training.wav2lip_baseline
    expert, expert_ref = load_expert(params, layout, STAGE)
    init = warm_start(settings.warm_start, layout, STAGE)
    inputs = {"expert": expert_ref} | ({"init": init} if init else {})  # the starting weights, when not scratch
    stage = TrainingStage(STAGE, params, layout, inputs=inputs, filtered=STAGE in FILTERED_STAGES)
    if stage.finished() is not None:  # the same training is done and registered
        return stage.result
    torch.manual_seed(params.training.seed)
    model = Wav2Lip()
    load_start(model, init, layout)  # a resumed run then continues from its own checkpoint
    critic = Wav2LipDiscQual() if settings.adversarial.enabled else None
    mouth_boxes = MouthBoxes(params, layout)
    with stage:
        summary = train_generator(model, expert, settings, stage.source, stage.setup, mouth_boxes, critic)
        stage.register(summary, model.cpu().eval(), input_example(params, ours=False), mouth_boxes=mouth_boxes.source)
    return stage.result
