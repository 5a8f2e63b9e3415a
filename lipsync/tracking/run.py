"""Record one training run in MLflow: params, tags, per-step metrics, images, checkpoints, models.

:class:`TrainingRun` is a context manager around one MLflow run. Entering creates the run
with flattened params and provenance tags; leaving marks it FINISHED, or FAILED (KILLED
on Ctrl-C) with the error kept in the ``failure`` tag when the block raised. Training
loops do not import MLflow: they take the three callbacks of :meth:`TrainingRun.hooks`.

    with TrainingRun(client, experiment_id, "syncnet-w64", params, tags) as run:
        train_expert(..., callbacks=Callbacks(**run.hooks().as_kwargs()))
        ref = run.log_model(syncnet, (mel, lower_faces), "syncnet-expert")  # numpy examples
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT

from lipsync.tracking.flat_params import flatten_params
from lipsync.tracking.logged_model import InputExample, log_pytorch_model
from lipsync.tracking.model_ref import ModelRef

if TYPE_CHECKING:
    from torch import nn

log = logging.getLogger(__name__)

REQUIRED_TAGS = ("data_version", "git_commit", "model_kind")
CHECKPOINTS_DIR = "checkpoints"
_PARAMS_PER_BATCH = 100  # MLflow's limit for one log_batch call
_FAILURE_TEXT_LIMIT = 5000


EvalImages = np.ndarray | Mapping[str, np.ndarray] | None


@dataclass(frozen=True)
class TrainingHooks:
    """The callbacks a training loop calls (``lipsync.training.loop.Callbacks``); all return None.

    ``on_metrics(step, {name: float})``: logged as ``train/<name>``.
    ``on_checkpoint(path, step)``: the file goes to ``checkpoints/``.
    ``on_eval(step, {name: float}, images)``: metrics logged as ``eval/<name>`` (training and
    evaluation both report a ``loss``); ``images`` is one uint8 (H, W, 3) RGB sample grid
    (series ``samples``), a ``{series: grid}`` mapping, or None.
    """

    on_metrics: Callable[[int, Mapping[str, float]], None]
    on_checkpoint: Callable[[Path, int], None]
    on_eval: Callable[[int, Mapping[str, float], EvalImages], None]

    def as_kwargs(self) -> dict[str, Callable[..., None]]:
        """``{"on_metrics": ..., "on_checkpoint": ..., "on_eval": ...}`` for ``train(**hooks)``."""
        return {"on_metrics": self.on_metrics, "on_checkpoint": self.on_checkpoint, "on_eval": self.on_eval}


class TrainingRun:
    """One MLflow run in experiment ``experiment_id`` (from :func:`ensure_experiment`).

    ``params``: nested mapping or dataclass, logged as flat ``"a.b.c"`` keys. ``tags`` must
    hold ``data_version`` (the shard manifest hash), ``git_commit`` (None outside git: then
    not logged) and ``model_kind``; further tags are logged as given.
    """

    def __init__(
        self,
        client: MlflowClient,
        experiment_id: str,
        run_name: str,
        params: Mapping[str, Any] | Any,
        tags: Mapping[str, str | None],
    ) -> None:
        missing = [key for key in REQUIRED_TAGS if key not in tags]
        if missing:
            raise ValueError(f"run {run_name!r}: tags {missing} are missing (required: {list(REQUIRED_TAGS)})")
        self.client = client
        self.experiment_id = experiment_id
        self.run_name = run_name
        self.params = flatten_params(params)
        self.tags = {key: str(value) for key, value in tags.items() if value is not None}
        if "git_commit" in self.tags:
            self.tags[MLFLOW_GIT_COMMIT] = self.tags["git_commit"]  # shown as "Git commit" in the UI
        self._run_id: str | None = None

    @property
    def run_id(self) -> str:
        if self._run_id is None:
            raise RuntimeError(f"run {self.run_name!r} is not started: use it as `with TrainingRun(...) as run:`")
        return self._run_id

    def __enter__(self) -> TrainingRun:
        run = self.client.create_run(self.experiment_id, run_name=self.run_name, tags=self.tags)
        self._run_id = run.info.run_id
        items = [Param(key, value) for key, value in self.params.items()]
        for start in range(0, len(items), _PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start : start + _PARAMS_PER_BATCH])
        log.info("run %s (%s) started in experiment %s", self.run_name, self.run_id, self.experiment_id)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            status = "FINISHED"
        else:
            status = "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED"
            failure = f"{exc_type.__name__}: {exc}"[:_FAILURE_TEXT_LIMIT]
            self.client.log_batch(self.run_id, tags=[RunTag("failure", failure)])
        self.client.set_terminated(self.run_id, status)
        log.info("run %s (%s) %s", self.run_name, self.run_id, status)

    def log_metrics(self, step: int, metrics: Mapping[str, float]) -> None:
        """Log ``{name: value}`` at ``step``; tensors and numpy scalars are converted with float()."""
        timestamp = int(time.time() * 1000)
        batch = [Metric(key, float(value), timestamp, int(step)) for key, value in metrics.items()]
        self.client.log_batch(self.run_id, metrics=batch)

    def log_checkpoint(self, path: Path) -> str:
        """Copy checkpoint file ``path`` to ``checkpoints/<file name>``; returns that artifact path."""
        return self.log_file(path, CHECKPOINTS_DIR)

    def log_image(self, step: int, name: str, image: np.ndarray) -> None:
        """Log a sample grid ``image`` (uint8 (H, W, 3) RGB) as step-``step`` entry of series ``name``.

        Stored under ``images/`` as PNG; the UI shows each series with a step slider.
        """
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image {name!r} must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
        self.client.log_image(self.run_id, image, key=name, step=int(step))

    def log_file(self, path: Path, artifact_path: str | None = None) -> str:
        """Copy file ``path`` into the run's artifacts under ``artifact_path``; returns its artifact path."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"run {self.run_name!r}: cannot log {path}, it is not a file")
        self.client.log_artifact(self.run_id, str(path), artifact_path)
        return f"{artifact_path}/{path.name}" if artifact_path else path.name

    def log_model(self, model: nn.Module, input_example: InputExample, registered_name: str) -> ModelRef:
        """Log ``model`` and register it as a new version of ``registered_name``.

        See :func:`~lipsync.tracking.logged_model.log_pytorch_model` for the example's form.
        """
        return log_pytorch_model(self.client, self.run_id, model, input_example, registered_name)

    def hooks(self) -> TrainingHooks:
        """The training loop's callbacks, writing to this run."""

        def on_metrics(step: int, metrics: Mapping[str, float]) -> None:
            self.log_metrics(step, _prefixed("train", metrics))

        def on_checkpoint(path: Path, step: int) -> None:
            self.log_checkpoint(path)
            self.client.set_tag(self.run_id, "last_checkpoint_step", str(step))

        def on_eval(step: int, metrics: Mapping[str, float], images: EvalImages) -> None:
            self.log_metrics(step, _prefixed("eval", metrics))
            if isinstance(images, np.ndarray):
                images = {"samples": images}
            for name, image in (images or {}).items():
                self.log_image(step, name, image)

        return TrainingHooks(on_metrics=on_metrics, on_checkpoint=on_checkpoint, on_eval=on_eval)


def _prefixed(prefix: str, metrics: Mapping[str, float]) -> dict[str, float]:
    """``{"loss": x}`` -> ``{"train/loss": x}``; keys already under ``prefix/`` are kept."""
    return {key if key.startswith(f"{prefix}/") else f"{prefix}/{key}": value for key, value in metrics.items()}
