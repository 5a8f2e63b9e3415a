"""Stage runners: the one implementation of each pipeline stage.

Each module has ``run(params, layout, ...) -> dict`` doing the file I/O and returning a
small JSON-able summary; the CLI (hence ``dvc.yaml``) and the Dagster assets both call it.
"""

from __future__ import annotations

import importlib

STAGES = ("corpus", "ingest", "faces", "mel", "shards", "syncnet_expert", "generator", "wav2lip_baseline")
PER_VIDEO = ("ingest", "faces", "mel")


def runner(stage: str):
    """The ``run`` function of ``stage`` (imported lazily: torch is only loaded when needed)."""
    if stage not in STAGES:
        raise KeyError(f"unknown stage '{stage}' (stages: {', '.join(STAGES)})")
    return importlib.import_module(f"lipsync.stages.{stage}").run
