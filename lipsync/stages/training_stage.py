"""The one runner shape of every training stage (``syncnet_expert``, ``generator``,
``wav2lip_baseline``): a context manager around one MLflow-tracked training.

    stage = TrainingStage("generator", params, layout, inputs={"expert": expert_ref})
    if stage.finished() is None:  # else: the same training is done and registered
        with stage:
            summary = train_generator(model, expert, params.training.generator, stage.source, stage.setup, ...)
            stage.register(summary, model, example)
    result = stage.result  # also written to result.json, once, when the block succeeds

The fingerprint of a training is what it depends on: the params the registry lists for the
stage, its code (the registry's ``code`` paths), the shard data version and the models it
takes as ``inputs``. :meth:`finished` returns the previous result when that fingerprint is
unchanged (nothing is trained or registered again, so the registry keeps one version per
distinct training). On entry the checkpoints are kept only when they were written for the
fingerprint (so a killed run resumes and a changed one starts afresh), runs of the stage left
RUNNING by a process that is gone are marked FAILED, and the MLflow run opens with those
params under their ``params.yaml`` names: the run the kept checkpoints were written by (its
id is in the checkpoints' ``fingerprint.json``), reopened so one training keeps one run, or
a new one. Inside the block the stage
calls its trainer one way down, with :attr:`source` (shards, views, timing, seed) and
:attr:`setup` (files, device, tracking callbacks). :meth:`register` logs the final
checkpoint, the metrics file and the model, registered under the stage's model name. On
exit the run is closed (FINISHED, or FAILED/KILLED) and,
on success, ``result.json`` names the registered version: downstream stages read that
file, so a model is always passed by identity, never as "the latest".
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from types import TracebackType

from lipsync.atomic import atomic_path, write_json
from lipsync.config import Params, section_hash, select_sections
from lipsync.layout import Layout
from lipsync.stages.registry import stage as registry_entry
from lipsync.training.distributed import setup as device_setup
from lipsync.training.state import PATTERN as CHECKPOINT_PATTERN
from lipsync.training.task import Callbacks, RunPaths, RunSetup, ShardSource, TrainingSummary
from lipsync.training.windows import WindowGeometry

log = logging.getLogger("lipsync")
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout holding lipsync/ (not the data project)


def window_geometry(params: Params) -> WindowGeometry:
    """Sync-window timing: ``format.sync_window`` frames against the mel frames they span."""
    return WindowGeometry(params.format.sync_window, params.models.generator.audio.mel_frames, params.mel)


FILTERED_STAGES = ("generator", "wav2lip_baseline")  # they train on the syncfilter stage's clips


def shard_data_version(layout: Layout) -> str:
    if not layout.shards_manifest.exists():
        raise FileNotFoundError(f"{layout.shards_manifest} is missing: run `lipsync run shards` first")
    return json.loads(layout.shards_manifest.read_text())["data_version"]


def filtered_data_version(layout: Layout, needed_by: str) -> str:
    """Data version of the sync-filtered train shards (stage ``syncfilter``; it includes the
    version of the shards they were cut from)."""
    if not layout.syncfilter_manifest.exists():
        raise FileNotFoundError(f"{needed_by}: {layout.syncfilter_manifest} is missing: run `lipsync run syncfilter`")
    return json.loads(layout.syncfilter_manifest.read_text())["data_version"]


def verify_split_shards(
    layout: Layout, splits: tuple[str, ...], check_sha256: bool, stage: str, filtered: bool = False
) -> None:
    """Check the shards a training reads against their manifest before any step runs (a
    shard cut short would otherwise train on fewer samples under the old data version).
    filtered: the train split is the syncfilter stage's (``paths.syncfilter``)."""
    from lipsync.data.shards import ShardMismatch, verify_shards

    manifest = json.loads(layout.shards_manifest.read_text())
    filtered_splits = json.loads(layout.syncfilter_manifest.read_text())["splits"] if filtered else {}

    def checked(split: str) -> int:
        if split == "train" and filtered:
            return verify_shards(layout.syncfilter_train, filtered_splits["train"]["shards"], check_sha256)
        return verify_shards(layout.shard_dir(split), manifest["splits"][split]["shards"], check_sha256)

    started = time.perf_counter()
    try:
        total = sum(checked(s) for s in splits)
    except ShardMismatch as error:
        raise ShardMismatch(f"{stage}: {error}") from None
    what = "sizes and sha256" if check_sha256 else "sizes"
    log.info("%s: shards of %s verified (%s, %.1f MB) in %.2f s", stage, "/".join(splits), what, total / 1e6,
             time.perf_counter() - started)  # fmt: skip


def read_result(layout: Layout, stage: str, needed_by: str) -> dict:
    """The identity of what ``stage`` produced (its result.json), for ``needed_by``."""
    path = layout.model_result(stage)
    if not path.exists():
        raise FileNotFoundError(f"{needed_by}: {path} is missing: run `lipsync run {stage}` first")
    return json.loads(path.read_text())


class TrainingStage:
    """One training stage's run; see the module docstring. ``inputs``: models this training
    takes by identity (``{"expert": ModelRef.to_dict()}``), part of the fingerprint and
    tagged on the run; ``result`` fields added by the stage go through :meth:`register`.
    filtered: train on the syncfilter stage's train shards (the generators), not the shards'."""

    def __init__(
        self, name: str, params: Params, layout: Layout, inputs: dict | None = None, filtered: bool = False
    ) -> None:
        self.entry = registry_entry(name)
        self.name, self.params, self.layout, self.inputs = name, params, layout, inputs or {}
        self.filtered = filtered
        self.result: dict | None = None
        self.data_version = filtered_data_version(layout, name) if filtered else shard_data_version(layout)
        self.tracked = select_sections(params, self.entry.params)
        self.code_version = code_hash(SOURCE_ROOT, self.entry.code)
        self.fingerprint = section_hash((self.tracked, self.code_version, self.data_version, self.inputs))

    def finished(self) -> dict | None:
        """The previous result when this very training (same fingerprint) is done and its
        registered version still exists; None when it must run. Sets :attr:`result`."""
        path = self.layout.model_result(self.name)
        if not path.exists():
            return None
        previous = json.loads(path.read_text())
        if previous.get("fingerprint") != self.fingerprint or not self._registered(previous["model"]):
            return None
        self.result = previous | {"up_to_date": True}
        return self.result

    def _registered(self, ref: dict) -> bool:
        from lipsync.tracking import open_tracking, registered_version_exists

        return registered_version_exists(open_tracking(self.layout.mlruns), ref)

    def __enter__(self) -> TrainingStage:
        from lipsync.tracking import TrainingRun, ensure_experiment, fail_orphaned_runs, git_commit, open_tracking

        self.started = time.perf_counter()
        verify_split_shards(self.layout, ("train", "test"), self.params.shards.verify_sha256, self.name, self.filtered)
        tracked = self.tracked
        paths, resume_run_id = self._run_paths()
        client = open_tracking(self.layout.mlruns)
        experiment = ensure_experiment(client, self.name, self.layout.mlruns)
        fail_orphaned_runs(client, experiment, f"the next start of stage {self.name}")
        tags = {"data_version": self.data_version, "git_commit": git_commit(self.layout.root), "model_kind": self.name,
                "code_version": self.code_version}  # fmt: skip
        tags |= {f"input.{key}": _describe(ref) for key, ref in self.inputs.items()}
        self.experiment = experiment
        run_name = f"{self.name}-{self.fingerprint[:8]}"
        self.run = TrainingRun(client, experiment, run_name, tracked, tags, resume_run_id).__enter__()
        marker = {"fingerprint": self.fingerprint, "run_id": self.run.run_id}
        write_json(self.layout.checkpoints_fingerprint(self.name), marker)
        every_checkpoint = self.params.tracking.checkpoints == "every"
        hooks = self.run.hooks(constants=eval_constants(), every_checkpoint=every_checkpoint).as_kwargs()
        hooks["on_eval"] = self._keeping_grid(hooks["on_eval"])
        self.source = ShardSource(
            train=self.layout.syncfilter_train if self.filtered else self.layout.shard_dir("train"),
            eval=self.layout.shard_dir("test"),
            data=self.params.training.data,
            geometry=window_geometry(self.params),
            seed=self.params.training.seed,
        )
        self.setup = RunSetup(paths, device_setup(None), Callbacks(**hooks))
        return self

    def register(self, summary: TrainingSummary, model, input_example: tuple, **fields) -> dict:
        """Log the last checkpoint, the metrics file, the shards manifest (``data/manifest.json``:
        the clips trained on) and ``model`` (registered under the stage's name); ``fields`` join
        the result. Returns the result (written on a successful exit)."""
        from lipsync.tracking import flatten_params, params_hash

        if summary.checkpoint is not None:
            self.run.log_checkpoint(Path(summary.checkpoint))
        self.run.log_file(self.setup.paths.metrics, "logs")
        self.run.log_file(self.layout.shards_manifest, "data")  # the clips it saw (the retraining sensor reads it)
        if self.filtered:
            self.run.log_file(self.layout.syncfilter_manifest, "data/syncfilter")  # which of them it trained on
        facts = {"steps": summary.step, "train_seconds": round(summary.seconds, 1), **summary.last_eval}
        ref = self.run.log_model(model, input_example, self.entry.registered_model, facts)
        checkpoint = Path(summary.checkpoint).relative_to(self.layout.root) if summary.checkpoint else None
        self.result = {
            "stage": self.name,
            "model": ref.to_dict(),
            "experiment_id": self.experiment,
            "data_version": self.data_version,
            "fingerprint": self.fingerprint,
            "code_version": self.code_version,
            "params_hash": params_hash(flatten_params(self.tracked)),
            "up_to_date": False,
            "steps": summary.step,
            "resumed_from": summary.resumed_from,
            "train_seconds": round(summary.seconds, 1),
            "samples_per_second": round(summary.samples_per_second, 1),
            "checkpoint": str(checkpoint) if checkpoint else None,
            "metrics": summary.last_eval,
            **self.inputs,
            **fields,
        }
        return self.result

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None and self.result is None:
            exc_type, exc = RuntimeError, RuntimeError(f"{self.name}: the training block ended without register()")
            self.run.__exit__(exc_type, exc, None)
            raise exc
        self.run.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.result["seconds"] = round(time.perf_counter() - self.started, 1)
            write_json(self.layout.model_result(self.name), self.result)

    def _run_paths(self) -> tuple[RunPaths, str | None]:
        """Checkpoint and log paths, and the MLflow run id the kept checkpoints were written by
        (None when there are none); checkpoints written for another fingerprint are cleared."""
        folder, marker = self.layout.checkpoints(self.name), self.layout.checkpoints_fingerprint(self.name)
        written_for = json.loads(marker.read_text()) if marker.exists() else {}
        if folder.exists() and written_for.get("fingerprint") != self.fingerprint:
            shutil.rmtree(folder)
            written_for = {}
        folder.mkdir(parents=True, exist_ok=True)
        write_json(marker, written_for | {"fingerprint": self.fingerprint})
        self.layout.training_logs(self.name).mkdir(parents=True, exist_ok=True)
        paths = RunPaths(folder, self.layout.training_log(self.name), self.layout.training_metrics(self.name))
        resumable = any(folder.glob(CHECKPOINT_PATTERN))
        return paths, written_for.get("run_id") if resumable else None

    def _keeping_grid(self, on_eval):
        """Also keep the latest sample grid as a PNG on disk (the Dagster asset shows it)."""
        path = self.layout.sample_grid(self.name)

        def hook(step: int, metrics: dict, image) -> None:
            on_eval(step, metrics, image)
            if image is not None:
                import cv2

                with atomic_path(path) as tmp:
                    cv2.imwrite(str(tmp), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))

        return hook


def eval_constants() -> frozenset[str]:
    """Evaluation values that stay the same all run (eval-set sizes, baselines): logged once, as params."""
    from lipsync.training.expert import CONSTANT_METRICS as EXPERT
    from lipsync.training.generator_eval import CONSTANT_METRICS as GENERATOR

    return EXPERT | GENERATOR


def code_hash(root: Path, paths: tuple[str, ...]) -> str:
    """Hash of the Python sources under ``paths`` (files or folders, relative to ``root``)."""
    digest = hashlib.sha256()
    for rel in paths:
        target = root / rel
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _describe(ref: dict) -> str:
    return f"{ref['name']} v{ref['version']} (run {ref['run_id']})" if {"name", "version"} <= set(ref) else str(ref)
