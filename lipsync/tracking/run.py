"""Record one training run in MLflow: params, tags, per-step metrics, images, checkpoints, models.

:class:`TrainingRun` is a context manager around one MLflow run. Entering creates the run
with flattened params, provenance tags and the process that runs it (``process.pid``,
``process.host``); leaving logs the latest sample grids as image series and marks the run
FINISHED, or FAILED (KILLED on Ctrl-C or SIGTERM) with the error kept in the ``failure`` tag
when the block raised. While the run is open SIGTERM ends it as KILLED, then reaches the
handler that was there before (see :mod:`lipsync.tracking.run_process`). Given
``resume_run_id``, entering reopens that run (RUNNING again) so a resumed training continues
its metrics on one run. Training loops do not import MLflow: they take the three callbacks
of :meth:`TrainingRun.hooks`.

    with TrainingRun(client, experiment_id, "syncnet-w64", params, tags) as run:
        train_expert(..., callbacks=Callbacks(**run.hooks(constants={"pairs"}).as_kwargs()))
        ref = run.log_model(syncnet, (mel, lower_faces), "syncnet-expert", facts)  # numpy examples

What the MLflow UI makes of it:

- ``train/elapsed_seconds`` is logged at every step that logs metrics (train or eval), so a
  chart can use it as its x axis and compare runs at equal wall-clock time.
- Evaluation values that cannot change during a run (the size of the evaluation set, the
  copy baseline, the expert's loss on real clips: ``constants``) are logged once as params
  ``eval.<name>``, not as flat metric charts.
- Each evaluation's grid is kept as ``sample_grids/step_<step>.png`` in the artifacts; the
  last one is logged once, when the run ends, as image series ``eval/<series>``. The UI's
  image card opens at step 0 unless a series has a single step, so a one-step series
  shows the latest grid without moving its slider.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, Run, RunTag
from mlflow.exceptions import MlflowException
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT

from lipsync.tracking.flat_params import flatten_params
from lipsync.tracking.logged_model import InputExample, ModelFacts, log_pytorch_model
from lipsync.tracking.model_ref import ModelRef
from lipsync.tracking.run_process import FAILURE_TAG, SigtermAsException, Terminated, process_tags

if TYPE_CHECKING:
    from torch import nn

log = logging.getLogger(__name__)

REQUIRED_TAGS = ("data_version", "git_commit", "model_kind")
CHECKPOINTS_DIR = "checkpoints"
GRIDS_DIR = "sample_grids"
ELAPSED = "train/elapsed_seconds"
_PARAMS_PER_BATCH = 100  # MLflow's limit for one log_batch call
_FAILURE_TEXT_LIMIT = 5000


EvalImages = np.ndarray | Mapping[str, np.ndarray] | None


@dataclass(frozen=True)
class TrainingHooks:
    """The callbacks a training loop calls (``lipsync.training.loop.Callbacks``); all return None.

    ``on_metrics(step, {name: float})``: logged as ``train/<name>``.
    ``on_checkpoint(path, step)``: tag ``last_checkpoint_step``; with ``every_checkpoint`` the
    file also goes to ``checkpoints/`` (otherwise the stage logs only the last one).
    ``on_eval(step, {name: float}, images)``: metrics logged as ``eval/<name>`` (training and
    evaluation both report a ``loss``), constants as params ``eval.<name>``; ``images`` is one
    uint8 (H, W, 3) RGB sample grid (series ``sample_grid``), a ``{series: grid}`` mapping, or None.
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
    not logged) and ``model_kind``; further tags are logged as given. ``resume_run_id``: a
    run of this experiment to continue (:attr:`resumed` says whether it could be); when it is
    no longer in the store a new run starts, and the log says so.
    """

    def __init__(
        self,
        client: MlflowClient,
        experiment_id: str,
        run_name: str,
        params: Mapping[str, Any] | Any,
        tags: Mapping[str, str | None],
        resume_run_id: str | None = None,
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
        self.resume_run_id = resume_run_id
        self.resumed = False
        self._run_id: str | None = None
        self._sigterm = SigtermAsException(f"run {run_name!r}")
        self._started = time.perf_counter()
        self._elapsed_before = 0.0  # seconds the reopened run had logged before
        self._stamped: set[int] = set()  # steps that have their elapsed seconds
        self._constants_logged: set[str] = set()
        self._latest_images: dict[str, tuple[int, np.ndarray]] = {}

    @property
    def run_id(self) -> str:
        if self._run_id is None:
            raise RuntimeError(f"run {self.run_name!r} is not started: use it as `with TrainingRun(...) as run:`")
        return self._run_id

    def __enter__(self) -> TrainingRun:
        tags = self.tags | process_tags()
        logged: Mapping[str, str] = {}
        if self.resume_run_id is not None and (previous := self._reopen(self.resume_run_id)) is not None:
            self._run_id, self.resumed, logged = previous.info.run_id, True, previous.data.params
            self.client.log_batch(self.run_id, tags=[RunTag(key, value) for key, value in tags.items()])
        else:
            self._run_id = self.client.create_run(self.experiment_id, run_name=self.run_name, tags=tags).info.run_id
        items = [Param(key, value) for key, value in self.params.items() if key not in logged]
        for start in range(0, len(items), _PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start : start + _PARAMS_PER_BATCH])
        self._constants_logged |= set(logged)
        self._sigterm = SigtermAsException(f"run {self.run_name!r}").install()  # fresh for each entry
        kind = "resumed" if self.resumed else "started"
        log.info("run %s (%s) %s in experiment %s", self.run_name, self.run_id, kind, self.experiment_id)
        return self

    def _reopen(self, run_id: str) -> Run | None:
        """The run ``run_id`` set RUNNING again, its ``failure`` tag moved to ``previous_failure``;
        None when it is gone (deleted, or in another experiment)."""
        try:
            run = self.client.get_run(run_id)
        except MlflowException as error:
            log.warning("run %s: cannot resume MLflow run %s (%s); starting a new run", self.run_name, run_id, error)
            return None
        if run.info.lifecycle_stage != "active" or run.info.experiment_id != self.experiment_id:
            log.warning("run %s: MLflow run %s to resume is deleted or in another experiment; starting a new run",
                        self.run_name, run_id)  # fmt: skip
            return None
        self.client.update_run(run_id, status="RUNNING")
        if FAILURE_TAG in run.data.tags:
            self.client.set_tag(run_id, "previous_failure", run.data.tags[FAILURE_TAG])
            self.client.delete_tag(run_id, FAILURE_TAG)
        self._elapsed_before = float(run.data.metrics.get(ELAPSED, 0.0))
        return run

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._sigterm.hold()  # a SIGTERM now waits until the run is closed
        try:
            self._log_latest_images()
            if exc_type is None:
                status = "FINISHED"
            else:
                status = "KILLED" if issubclass(exc_type, (KeyboardInterrupt, Terminated)) else "FAILED"
                failure = f"{exc_type.__name__}: {exc}"[:_FAILURE_TEXT_LIMIT]
                self.client.log_batch(self.run_id, tags=[RunTag(FAILURE_TAG, failure)])
            self.client.set_terminated(self.run_id, status)
            log.info("run %s (%s) %s", self.run_name, self.run_id, status)
        finally:
            self._sigterm.restore()
        self._sigterm.redeliver()  # the previous handler decides: the default one ends the process

    def log_metrics(self, step: int, metrics: Mapping[str, float]) -> None:
        """Log ``{name: value}`` at ``step``; tensors and numpy scalars are converted with float()."""
        timestamp = int(time.time() * 1000)
        batch = [Metric(key, float(value), timestamp, int(step)) for key, value in metrics.items()]
        with self._sigterm.shielded():  # a SIGTERM mid-write would leave the store's lock held
            self.client.log_batch(self.run_id, metrics=batch)

    def log_checkpoint(self, path: Path) -> str:
        """Copy checkpoint file ``path`` to ``checkpoints/<file name>``; returns that artifact path."""
        return self.log_file(path, CHECKPOINTS_DIR)

    def log_image(self, step: int, name: str, image: np.ndarray) -> None:
        """Log a sample grid ``image`` (uint8 (H, W, 3) RGB) as step-``step`` entry of series ``name``.

        Stored under ``images/`` as PNG with a 256-px WebP thumbnail that the run page's
        image card shows (a series with several steps opens at step 0; see the module doc).
        """
        _check_image(name, image)
        self.client.log_image(self.run_id, image, key=name, step=int(step))

    def keep_grid(self, step: int, name: str, image: np.ndarray) -> str:
        """Store ``image`` as ``sample_grids/[<name>_]step_<step>.png`` and remember it as the
        latest of series ``eval/<name>`` (logged when the run ends). Returns the artifact path."""
        _check_image(name, image)
        prefix = "" if name == "sample_grid" else f"{name}_"
        path = f"{GRIDS_DIR}/{prefix}step_{int(step):06d}.png"
        self.client.log_image(self.run_id, image, artifact_file=path)
        self._latest_images[name] = (int(step), image)
        return path

    def log_params_once(self, params: Mapping[str, float | str]) -> None:
        """Log params not logged yet by this method (MLflow params cannot change value)."""
        new = {key: value for key, value in params.items() if key not in self._constants_logged}
        if new:
            self.client.log_batch(self.run_id, params=[Param(key, str(value)) for key, value in new.items()])
            self._constants_logged |= set(new)

    def log_elapsed(self, step: int) -> None:
        """``train/elapsed_seconds`` at ``step`` (once per step): seconds since the hooks were made,
        plus those a reopened run had logged before."""
        if step not in self._stamped:
            self._stamped.add(step)
            self.log_metrics(step, {ELAPSED: self._elapsed_before + time.perf_counter() - self._started})

    def log_file(self, path: Path, artifact_path: str | None = None) -> str:
        """Copy file ``path`` into the run's artifacts under ``artifact_path``; returns its artifact path."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"run {self.run_name!r}: cannot log {path}, it is not a file")
        self.client.log_artifact(self.run_id, str(path), artifact_path)
        return f"{artifact_path}/{path.name}" if artifact_path else path.name

    def log_model(
        self,
        model: nn.Module,
        input_example: InputExample,
        registered_name: str,
        facts: Mapping[str, float | int] | None = None,
    ) -> ModelRef:
        """Log ``model`` and register it as a new version of ``registered_name``.

        ``facts``: the figures a reader of the registry wants on the version (steps, seconds,
        final evaluation metrics); they become version tags and its description, next to the
        run's data version, git commit and stage. See
        :func:`~lipsync.tracking.logged_model.log_pytorch_model` for the example's form.
        """
        about = ModelFacts(
            stage=self.tags["model_kind"],
            run_name=self.run_name,
            data_version=self.tags["data_version"],
            git_commit=self.tags.get("git_commit"),
            figures=dict(facts or {}),
        )
        return log_pytorch_model(self.client, self.run_id, model, input_example, registered_name, about)

    def hooks(self, constants: Collection[str] = (), every_checkpoint: bool = False) -> TrainingHooks:
        """The training loop's callbacks, writing to this run; the elapsed-time clock starts here.

        constants: names of evaluation values that stay the same all run (logged once as params).
        every_checkpoint: copy each checkpoint to the artifacts as it is written (``tracking.checkpoints: every``).
        """
        self._started = time.perf_counter()

        def on_metrics(step: int, metrics: Mapping[str, float]) -> None:
            self.log_metrics(step, _prefixed("train", metrics))
            self.log_elapsed(step)

        def on_checkpoint(path: Path, step: int) -> None:
            if every_checkpoint:
                self.log_checkpoint(path)
            self.client.set_tag(self.run_id, "last_checkpoint_step", str(step))

        def on_eval(step: int, metrics: Mapping[str, float], images: EvalImages) -> None:
            fixed = {f"eval.{key}": _plain(value) for key, value in metrics.items() if key in constants}
            self.log_params_once(fixed)
            self.log_metrics(step, _prefixed("eval", {k: v for k, v in metrics.items() if k not in constants}))
            self.log_elapsed(step)
            if isinstance(images, np.ndarray):
                images = {"sample_grid": images}
            for name, image in (images or {}).items():
                self.keep_grid(step, name, image)

        return TrainingHooks(on_metrics=on_metrics, on_checkpoint=on_checkpoint, on_eval=on_eval)

    def _log_latest_images(self) -> None:
        """Each kept series' latest grid as image series ``eval/<name>`` (a single step)."""
        for name, (step, image) in self._latest_images.items():
            try:
                self.log_image(step, f"eval/{name}", image)
            except (MlflowException, OSError) as error:  # never hide the run's own outcome
                log.warning("run %s: could not log image eval/%s: %s", self.run_name, name, error)
        self._latest_images.clear()


def _check_image(name: str, image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image {name!r} must be uint8 (H, W, 3), got {image.dtype} {image.shape}")


def _plain(value: float) -> float | int:
    """Counts logged as ``16``, not ``16.0``."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _prefixed(prefix: str, metrics: Mapping[str, float]) -> dict[str, float]:
    """``{"loss": x}`` -> ``{"train/loss": x}``; keys already under ``prefix/`` are kept."""
    return {key if key.startswith(f"{prefix}/") else f"{prefix}/{key}": value for key, value in metrics.items()}
