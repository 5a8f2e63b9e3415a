"""Stage ``wav2lip_baseline``: the published Wav2Lip generator trained here from scratch on
the same shards, with the same trainer and about the same wall-clock budget as ours (its
step count is calibrated for that in params), registered as ``wav2lip-baseline``."""

from __future__ import annotations

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.models import Wav2Lip
from lipsync.stages.generator_training import run_generator_stage

STAGE = "wav2lip_baseline"
REGISTERED = "wav2lip-baseline"


def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    return run_generator_stage(STAGE, REGISTERED, Wav2Lip(), params.training.wav2lip, params, layout, {})
