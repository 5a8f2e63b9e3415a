"""Links into the MLflow UI (``make mlflow-ui``) for runs, experiments and registered models.

The MLflow 3.17 UI keeps a "GenAI / Model training" switch (``workflowType``) in the URL
and in the browser's local storage, and it, not the experiment's ``mlflow.experimentKind``
tag, picks the pages an experiment opens on: without ``workflowType=machine_learning`` a
fresh browser lands on the GenAI overview instead of the runs. Every link here carries it.

``base``: the UI's address, e.g. ``http://127.0.0.1:5000`` (no trailing slash needed).
"""

from __future__ import annotations

from urllib.parse import quote

MODEL_TRAINING = "workflowType=machine_learning"


def experiment_url(base: str, experiment_id: str) -> str:
    """The experiment's runs table."""
    return f"{_root(base)}/#/experiments/{experiment_id}/runs?{MODEL_TRAINING}"


def run_url(base: str, experiment_id: str, run_id: str, tab: str = "") -> str:
    """A run's page; ``tab="model-metrics"`` opens its charts and image cards."""
    suffix = f"/{tab}" if tab else ""
    return f"{_root(base)}/#/experiments/{experiment_id}/runs/{run_id}{suffix}?{MODEL_TRAINING}"


def model_version_url(base: str, name: str, version: int | str) -> str:
    """One version of a registered model."""
    return f"{_root(base)}/#/models/{quote(name, safe='')}/versions/{version}"


def registered_models_url(base: str) -> str:
    return f"{_root(base)}/#/models"


def _root(base: str) -> str:
    return base.rstrip("/")
