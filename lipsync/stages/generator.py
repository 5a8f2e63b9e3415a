"""Stage ``generator``: train our lip-sync generator (L1 + the frozen expert's sync loss),
evaluate it on the held-out speakers, register it as ``lipsync-generator``."""

from __future__ import annotations

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.models import LipSyncGenerator
from lipsync.stages.generator_training import run_generator_stage

STAGE = "generator"
REGISTERED = "lipsync-generator"


def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    model = LipSyncGenerator(params.models.generator)
    tracked = {"models": {"generator": params.models.generator}}
    return run_generator_stage(STAGE, REGISTERED, model, params.training.generator, params, layout, tracked)
