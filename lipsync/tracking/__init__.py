"""Experiment tracking: MLflow runs for training, registered models passed by identity.

Everything is stored under one ``mlruns/`` folder (``mlflow.db`` + ``artifacts/``); browse
it with ``make mlflow-ui``. Models move between stages as :class:`ModelRef` (name,
version, run id), never as "the latest".

| module | what |
|---|---|
| ``store`` | :func:`open_tracking`, :func:`ensure_experiment` (tagged), :func:`tracking_uri`, :func:`artifact_root` |
| ``run`` | :class:`TrainingRun` (params, tags, metrics, images, checkpoints) and its :class:`TrainingHooks` |
| ``logged_model`` | :func:`log_pytorch_model` (pt2 + state dict, registered, described), :func:`load_state_dict` |
| ``model_ref`` | :class:`ModelRef`, the serialisable identity of a registered version |
| ``registry`` | :func:`set_alias`, :func:`get_alias`, :func:`compare_versions` |
| ``flat_params`` | :func:`flatten_params`: nested settings -> ``"a.b.c"`` params |
| ``provenance`` | :func:`git_commit` |
| ``ui_links`` | :func:`experiment_url`, :func:`run_url`, :func:`model_version_url`: links into ``make mlflow-ui`` |
"""

import os

# Before MLflow is first imported: its telemetry client is set up at import time.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from lipsync.tracking.flat_params import flatten_params  # noqa: E402
from lipsync.tracking.logged_model import ModelFacts, load_state_dict, log_pytorch_model  # noqa: E402
from lipsync.tracking.model_ref import ModelRef  # noqa: E402
from lipsync.tracking.provenance import git_commit  # noqa: E402
from lipsync.tracking.registry import compare_versions, get_alias, set_alias  # noqa: E402
from lipsync.tracking.run import TrainingHooks, TrainingRun  # noqa: E402
from lipsync.tracking.store import artifact_root, ensure_experiment, open_tracking, tracking_uri  # noqa: E402
from lipsync.tracking.ui_links import experiment_url, model_version_url, registered_models_url, run_url  # noqa: E402

__all__ = [
    "ModelFacts",
    "ModelRef",
    "TrainingHooks",
    "TrainingRun",
    "artifact_root",
    "compare_versions",
    "ensure_experiment",
    "experiment_url",
    "flatten_params",
    "get_alias",
    "git_commit",
    "load_state_dict",
    "log_pytorch_model",
    "model_version_url",
    "open_tracking",
    "registered_models_url",
    "run_url",
    "set_alias",
    "tracking_uri",
]
