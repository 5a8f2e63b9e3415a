"""What the three training stages share: inputs by identity, MLflow run, result file.

Each training stage (``syncnet_expert``, ``generator``, ``wav2lip_baseline``):

- reads the shard manifest (its ``data_version`` tags the run),
- resumes from ``<paths.models>/<stage>/checkpoints`` when they were written for the same
  params and data (a fingerprint file beside them), and starts afresh otherwise,
- records the run in MLflow (flattened params, per-step metrics, sample grids, the final
  checkpoint, the model with its signature, registered under the stage's model name with
  its data version, commit and final metrics on the version),
- keeps the latest sample grid as ``<paths.models>/<stage>/sample_grid.png``,
- writes ``result.json``: the registered model's name, version and run id, the MLflow
  experiment id, the final metrics and the seconds spent. Downstream stages read *that*
  file, so a model is always passed by identity, never as "the latest".
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from lipsync.atomic import write_json
from lipsync.config import Params, section_hash
from lipsync.layout import Layout
from lipsync.training.distributed import setup
from lipsync.training.loop import Callbacks, RunPaths, TrainingSummary
from lipsync.training.windows import WindowGeometry

FINGERPRINT = "fingerprint.json"


def geometry(params: Params) -> WindowGeometry:
    return WindowGeometry(params.models.syncnet.window_frames, params.models.generator.audio.mel_frames, params.mel)


def shard_data_version(layout: Layout) -> str:
    if not layout.shards_manifest.exists():
        raise FileNotFoundError(f"{layout.shards_manifest} is missing: run `lipsync run shards` first")
    return json.loads(layout.shards_manifest.read_text())["data_version"]


def read_result(layout: Layout, stage: str, needed_by: str) -> dict:
    """The identity of what ``stage`` produced (its result.json), for ``needed_by``."""
    path = layout.model_result(stage)
    if not path.exists():
        raise FileNotFoundError(f"{needed_by}: {path} is missing: run `lipsync run {stage}` first")
    return json.loads(path.read_text())


def run_paths(layout: Layout, stage: str, fingerprint: str) -> RunPaths:
    """Checkpoint and log paths; checkpoints of other params or data are cleared, not resumed."""
    folder = layout.checkpoints(stage)
    marker = folder / FINGERPRINT
    if folder.exists() and (not marker.exists() or json.loads(marker.read_text()).get("fingerprint") != fingerprint):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(marker, {"fingerprint": fingerprint})
    logs = layout.training_logs(stage)
    logs.mkdir(parents=True, exist_ok=True)
    return RunPaths(folder, logs / "train.log", logs / "metrics.json")


def tracked_training(
    stage: str,
    params: Params,
    layout: Layout,
    registered_name: str,
    tracked: dict,
    train: Callable[[RunPaths, Callbacks], tuple[TrainingSummary, object, tuple]],
    extra: dict | None = None,
) -> dict:
    """Run ``train(paths, callbacks) -> (summary, model, input_example)`` inside an MLflow run.

    tracked: the params sections to log (flattened). Returns and writes the stage's result.
    """
    from lipsync.tracking import TrainingRun, ensure_experiment, git_commit, open_tracking
    from lipsync.training import EVAL_CONSTANTS

    started = time.perf_counter()
    data_version = shard_data_version(layout)
    fingerprint = section_hash((tracked, data_version, extra or {}))
    paths = run_paths(layout, stage, fingerprint)
    client = open_tracking(layout.mlruns)
    experiment = ensure_experiment(client, stage, layout.mlruns)
    tags = {"data_version": data_version, "git_commit": git_commit(layout.root), "model_kind": stage}
    with TrainingRun(client, experiment, f"{stage}-{fingerprint[:8]}", tracked | (extra or {}), tags) as run:
        hooks = run.hooks(constants=EVAL_CONSTANTS).as_kwargs()
        hooks["on_eval"] = _keeping_grid(hooks["on_eval"], layout.sample_grid(stage))
        summary, model, example = train(paths, Callbacks(**hooks))
        if summary.checkpoint is not None:
            run.log_checkpoint(Path(summary.checkpoint))
        run.log_file(paths.metrics, "logs")
        facts = {"steps": summary.step, "train_seconds": round(summary.seconds, 1), **summary.last_eval}
        ref = run.log_model(model, example, registered_name, facts)
    result = {
        "stage": stage,
        "model": ref.to_dict(),
        "experiment_id": experiment,
        "data_version": data_version,
        "fingerprint": fingerprint,
        "steps": summary.step,
        "resumed_from": summary.resumed_from,
        "train_seconds": round(summary.seconds, 1),
        "samples_per_second": round(summary.samples_per_second, 1),
        "checkpoint": str(Path(summary.checkpoint).relative_to(layout.root)) if summary.checkpoint else None,
        "metrics": summary.last_eval,
        "seconds": round(time.perf_counter() - started, 1),
        **(extra or {}),
    }
    write_json(layout.model_result(stage), result)
    return result


def _keeping_grid(on_eval: Callable, path: Path) -> Callable:
    """Also keep the latest sample grid (generated next to ground truth) as a PNG on disk."""

    def hook(step: int, metrics: dict, image) -> None:
        on_eval(step, metrics, image)
        if image is not None:
            import cv2

            from lipsync.atomic import atomic_path

            with atomic_path(path) as tmp:
                cv2.imwrite(str(tmp), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))

    return hook


def device_context():
    """CPU on the developers' machines; CUDA where present (mixed precision there)."""
    return setup(None)
