"""The ``tracking`` section of ``params.yaml``: where the MLflow UI is, for the links other UIs show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackingSettings:
    """ui_url: the MLflow UI's address (``make mlflow-ui`` serves it there); Dagster metadata and
    the reports link runs and model versions under it."""

    ui_url: str
