"""Where MLflow keeps runs, models and the registry: one SQLite file and one artifact folder.

Everything lives under one ``mlruns/`` folder (the project's, or a temporary one in tests):
``mlruns/mlflow.db`` holds runs, metrics, params, logged models and the registry;
``mlruns/artifacts/<experiment>/`` holds files. MLflow 3.17 would otherwise put its
database in the current directory and refuses a ``./mlruns`` file store, so both locations
are always given explicitly. :class:`~mlflow.MlflowClient` objects built here carry their
URIs, so library code never depends on the process-wide "current" store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
from mlflow import MlflowClient

DATABASE_NAME = "mlflow.db"
ARTIFACTS_DIR = "artifacts"
# What an experiment is for, as the MLflow 3 UI reads it ("genai_development" is the other kind).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_TRAINING = "custom_model_development"

# Telemetry would try to reach the network; progress bars would break one-line-per-event logs.
_QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


def tracking_uri(mlruns_dir: Path) -> str:
    """The SQLite URI of the store in ``mlruns_dir`` (absolute: ``sqlite:////abs/mlruns/mlflow.db``)."""
    return f"sqlite:///{Path(mlruns_dir).resolve() / DATABASE_NAME}"


def artifact_root(mlruns_dir: Path) -> str:
    """The file URI of ``<mlruns_dir>/artifacts``, the parent of every experiment's artifacts."""
    return (Path(mlruns_dir).resolve() / ARTIFACTS_DIR).as_uri()


def open_tracking(mlruns_dir: Path) -> MlflowClient:
    """Create ``mlruns_dir`` if needed and return a client for its store (tracking and registry).

    Also points MLflow's process-wide tracking and registry URIs (and their environment
    variables, inherited by subprocesses such as ``mlflow ui``) at this store, and turns
    telemetry off. The first open of a new store creates its tables (about 2 s).
    """
    mlruns_dir = Path(mlruns_dir)
    mlruns_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(_QUIET_ENV)
    uri = tracking_uri(mlruns_dir)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(client: MlflowClient, name: str, mlruns_dir: Path) -> str:
    """Return the id of experiment ``name``, creating it with artifacts in ``mlruns/artifacts/<name>``.

    The experiment is tagged as model training (``mlflow.experimentKind``), also when it
    already existed untagged. An experiment deleted earlier (in the UI) is restored rather
    than recreated, since its name stays taken. ``name`` becomes a folder name, so it must
    not contain path separators.
    """
    if not name or name in {".", ".."} or Path(name).name != name:
        raise ValueError(f"experiment name {name!r} must be a plain folder name (no '/', not '.' or '..')")
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = (Path(mlruns_dir).resolve() / ARTIFACTS_DIR / name).as_uri()
        return client.create_experiment(name, artifact_location=location, tags={EXPERIMENT_KIND_TAG: MODEL_TRAINING})
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    if experiment.tags.get(EXPERIMENT_KIND_TAG) != MODEL_TRAINING:
        client.set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING)
    return experiment.experiment_id


@contextmanager
def fluent_store(client: MlflowClient) -> Iterator[None]:
    """Point MLflow's process-wide tracking URI at ``client``'s store for the block, then restore it.

    Needed only around MLflow functions that take no client (``mlflow.pytorch.log_model``).
    """
    previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    previous_env = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(client.tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)
        if previous_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous_env
