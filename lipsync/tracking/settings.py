"""The ``tracking`` section of ``params.yaml``: where the MLflow UI is, for the links other UIs
show, and which training checkpoints are copied into the MLflow store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CHECKPOINT_LOGGING = ("last", "every")


@dataclass(frozen=True)
class TrackingSettings:
    """ui_url: the MLflow UI's address (``make mlflow-ui`` serves it there); Dagster metadata and
    the reports link runs and model versions under it.

    checkpoints: which resumable checkpoints (weights and optimiser state) each training run
    copies to its ``checkpoints/`` artifacts. ``last``: only the one it ends with (a Wav2Lip
    checkpoint is 436 MB, so ``every`` costs that per ``checkpoint_every`` steps); ``every``:
    each one as it is written, for runs whose machine may not outlive them. Resuming always
    reads the local ``data/models/<stage>/checkpoints``.
    """

    ui_url: str
    checkpoints: Literal["last", "every"] = "last"

    def __post_init__(self) -> None:
        if self.checkpoints not in CHECKPOINT_LOGGING:
            raise ValueError(f"tracking.checkpoints must be one of {CHECKPOINT_LOGGING}, got {self.checkpoints!r}")
