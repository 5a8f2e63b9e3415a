"""Stage runners: the one implementation of each pipeline stage.

Each module has ``run(params, layout, ...) -> dict`` doing the file I/O and returning a
small JSON-able summary; the CLI (hence ``dvc.yaml``) and the Dagster assets both call it.
The list of stages is :mod:`lipsync.stages.registry`. Shared machinery: ``per_video`` (the
runner of every per-video stage), ``training_stage`` (the MLflow-tracked training run of
every training stage), ``records`` (per-video records and manifests).
"""

from __future__ import annotations

import importlib

from lipsync.stages.registry import stage


def runner(name: str):
    """The ``run`` function of stage ``name`` (imported lazily: torch is only loaded when needed)."""
    return importlib.import_module(f"lipsync.stages.{stage(name).name}").run
