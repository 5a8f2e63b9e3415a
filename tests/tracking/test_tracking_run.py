"""TrainingRun: params, tags, per-step metrics, images and checkpoints through the training hooks,
run status on success and failure, and that everything lands in the temporary mlruns folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from lipsync.tracking import TrainingRun, artifact_root, ensure_experiment, open_tracking, tracking_uri
from lipsync.tracking.settings import TrackingSettings

TAGS = {
    "data_version": "sha256:feedbeef",
    "git_commit": "0123456789abcdef0123456789abcdef01234567",
    "model_kind": "syncnet",
}


@dataclass(frozen=True)
class Store:
    mlruns: Path
    cwd: Path
    client: MlflowClient
    experiment_id: str


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Store]:
    """One store for the module (creating its tables costs about 2 s); cwd is an empty folder."""
    root = tmp_path_factory.mktemp("tracking_run")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"):
            patch.delenv(name, raising=False)
        (root / "cwd").mkdir()
        patch.chdir(root / "cwd")
        client = open_tracking(root / "mlruns")
        yield Store(root / "mlruns", root / "cwd", client, ensure_experiment(client, "runs", root / "mlruns"))
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)


def test_store_and_experiments_live_under_mlruns(store):
    assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == tracking_uri(store.mlruns)
    assert store.client.tracking_uri == tracking_uri(store.mlruns)
    assert (store.mlruns / "mlflow.db").is_file()
    assert ensure_experiment(store.client, "runs", store.mlruns) == store.experiment_id
    location = store.client.get_experiment(store.experiment_id).artifact_location
    assert location == f"{artifact_root(store.mlruns)}/runs"
    assert store.client.get_experiment(store.experiment_id).tags["mlflow.experimentKind"] == "custom_model_development"
    legacy = store.client.create_experiment("legacy")  # made before experiments were tagged
    assert ensure_experiment(store.client, "legacy", store.mlruns) == legacy
    assert store.client.get_experiment(legacy).tags["mlflow.experimentKind"] == "custom_model_development"
    with pytest.raises(ValueError, match="plain folder name"):
        ensure_experiment(store.client, "../outside", store.mlruns)
    assert list(store.cwd.iterdir()) == []


def fake_training(hooks, checkpoint: Path) -> None:
    """What lipsync.training.loop does with its callbacks: three steps, a checkpoint, three evals."""
    for step in range(3):
        hooks.on_metrics(step, {"loss": 1.0 / (step + 1), "lr": np.float32(0.5)})
    checkpoint.write_bytes(b"weights")
    hooks.on_checkpoint(checkpoint, 2)
    grid = np.zeros((8, 12, 3), np.uint8)
    grid[:, :6] = 255
    hooks.on_eval(1, {"loss": 0.5, "pairs": 16.0}, None)
    hooks.on_eval(2, {"loss": 0.25, "accuracy": 0.75, "pairs": 16.0}, grid)
    hooks.on_eval(3, {"loss": 0.2, "accuracy": 0.8, "pairs": 16.0}, 255 - grid)


def test_checkpoints_are_only_tagged_unless_every_one_is_asked_for(store, tmp_path):
    """The default (``tracking.checkpoints: last``): the loop's checkpoints are not copied as they
    come (the stage logs the last one itself); the tag still says which step was saved last."""
    with TrainingRun(store.client, store.experiment_id, "expert-last", {}, TAGS) as run:
        fake_training(run.hooks(constants={"pairs"}), tmp_path / "checkpoint_step000002.pt")
    assert store.client.get_run(run.run_id).data.tags["last_checkpoint_step"] == "2"
    assert store.client.list_artifacts(run.run_id, "checkpoints") == []
    with pytest.raises(ValueError, match="tracking.checkpoints must be one of"):
        TrackingSettings(ui_url="http://127.0.0.1:5000", checkpoints="all")


def test_run_records_params_tags_metrics_checkpoint_and_image(store, tmp_path):
    params = {"train": {"batch_size": 32, "optim": {"lr": 1e-4}}, "seed": 7}
    with TrainingRun(store.client, store.experiment_id, "expert-w64", params, TAGS) as run:
        fake_training(run.hooks(constants={"pairs"}, every_checkpoint=True), tmp_path / "checkpoint_step000002.pt")

    finished = store.client.get_run(run.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.info.run_name == "expert-w64"
    # the evaluation's constant pair count is a param, not a flat metric
    assert finished.data.params == {
        "train.batch_size": "32",
        "train.optim.lr": "0.0001",
        "seed": "7",
        "eval.pairs": "16",
    }
    for key, value in TAGS.items():
        assert finished.data.tags[key] == value
    assert finished.data.tags["mlflow.source.git.commit"] == TAGS["git_commit"]
    assert finished.data.tags["last_checkpoint_step"] == "2"

    history = store.client.get_metric_history(run.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert [m.value for m in store.client.get_metric_history(run.run_id, "train/lr")] == [0.5, 0.5, 0.5]
    eval_loss = store.client.get_metric_history(run.run_id, "eval/loss")
    assert [(m.step, m.value) for m in eval_loss] == [(1, 0.5), (2, 0.25), (3, 0.2)]
    assert finished.data.metrics["eval/accuracy"] == 0.8
    assert sorted(finished.data.metrics) == [
        "eval/accuracy",
        "eval/loss",
        "train/elapsed_seconds",
        "train/loss",
        "train/lr",
    ]
    elapsed = store.client.get_metric_history(run.run_id, "train/elapsed_seconds")
    assert [m.step for m in elapsed] == [0, 1, 2, 3]  # once per step that logged train or eval metrics
    assert all(a.value <= b.value for a, b in zip(elapsed, elapsed[1:], strict=False)) and elapsed[0].value >= 0

    artifacts = {f.path for f in store.client.list_artifacts(run.run_id, "checkpoints")}
    assert artifacts == {"checkpoints/checkpoint_step000002.pt"}
    local = Path(store.client.download_artifacts(run.run_id, "checkpoints/checkpoint_step000002.pt", str(tmp_path)))
    assert local.read_bytes() == b"weights"
    # every grid is kept as a file; only the last is an image series, at one step, so the
    # UI's image card opens on it
    grids = [f.path for f in store.client.list_artifacts(run.run_id, "sample_grids")]
    assert grids == ["sample_grids/step_000002.png", "sample_grids/step_000003.png"]
    images = [f.path for f in store.client.list_artifacts(run.run_id, "images") if f.path.endswith(".png")]
    assert len(images) == 1 and images[0].startswith("images/eval~sample_grid+step+3+")
    local = store.client.download_artifacts(run.run_id, images[0], str(tmp_path))
    assert (np.asarray(mlflow.Image(local).to_pil()) == 255 - grid_of_fake_training()).all()

    run_dir = Path(finished.info.artifact_uri.removeprefix("file://"))
    assert run_dir.is_relative_to(store.mlruns / "artifacts" / "runs")
    assert list(store.cwd.iterdir()) == []


def grid_of_fake_training() -> np.ndarray:
    grid = np.zeros((8, 12, 3), np.uint8)
    grid[:, :6] = 255
    return grid


def test_failing_run_is_marked_failed_and_keeps_the_error(store):
    with pytest.raises(RuntimeError, match="loss is NaN"):
        with TrainingRun(store.client, store.experiment_id, "diverged", {}, TAGS) as run:
            run.log_metrics(0, {"train/loss": 1.0})
            raise RuntimeError("loss is NaN at step 1")
    failed = store.client.get_run(run.run_id)
    assert failed.info.status == "FAILED"
    assert failed.data.tags["failure"] == "RuntimeError: loss is NaN at step 1"
    assert failed.data.metrics == {"train/loss": 1.0}


def test_missing_tags_and_bad_images_fail_loudly(store):
    with pytest.raises(ValueError, match=r"\['data_version'\] are missing"):
        TrainingRun(store.client, store.experiment_id, "x", {}, {"git_commit": None, "model_kind": "syncnet"})
    with TrainingRun(store.client, store.experiment_id, "no-git", {}, {**TAGS, "git_commit": None}) as run:
        with pytest.raises(ValueError, match=r"must be uint8 \(H, W, 3\), got float32 \(4, 4\)"):
            run.log_image(0, "samples", np.zeros((4, 4), np.float32))
    tags = store.client.get_run(run.run_id).data.tags
    assert "git_commit" not in tags and tags["data_version"] == TAGS["data_version"]


def test_interrupted_run_is_marked_killed(store):
    with pytest.raises(KeyboardInterrupt):
        with TrainingRun(store.client, store.experiment_id, "ctrl-c", {}, TAGS) as run:
            raise KeyboardInterrupt
    assert store.client.get_run(run.run_id).info.status == "KILLED"


def test_a_resumed_run_continues_on_the_same_mlflow_run(store):
    """A training killed after a checkpoint and resumed keeps one run: metrics of both parts,
    constants logged once, elapsed seconds counted on, FINISHED at the end."""
    with pytest.raises(RuntimeError, match="killed"):
        with TrainingRun(store.client, store.experiment_id, "resumable", {"seed": 7}, TAGS) as first:
            hooks = first.hooks(constants={"pairs"})
            hooks.on_metrics(1, {"loss": 1.0})
            hooks.on_eval(1, {"loss": 0.5, "pairs": 16.0}, None)
            raise RuntimeError("killed")
    with TrainingRun(store.client, store.experiment_id, "resumable", {"seed": 7}, TAGS, first.run_id) as second:
        hooks = second.hooks(constants={"pairs"})
        hooks.on_metrics(2, {"loss": 0.5})
        hooks.on_eval(2, {"loss": 0.25, "pairs": 16.0}, None)
    assert second.resumed and second.run_id == first.run_id
    run = store.client.get_run(first.run_id)
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert "failure" not in run.data.tags and run.data.tags["previous_failure"] == "RuntimeError: killed"
    assert run.data.params == {"seed": "7", "eval.pairs": "16"}
    history = store.client.get_metric_history(first.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(1, 1.0), (2, 0.5)]
    elapsed = store.client.get_metric_history(first.run_id, "train/elapsed_seconds")
    assert [m.step for m in elapsed] == [1, 2] and elapsed[0].value <= elapsed[1].value
    assert len(store.client.search_runs([store.experiment_id], "attributes.run_name = 'resumable'")) == 1


def test_resuming_a_run_gone_from_the_store_starts_a_new_one_and_says_so(store, caplog):
    with TrainingRun(store.client, store.experiment_id, "deleted", {}, TAGS) as deleted:
        pass
    store.client.delete_run(deleted.run_id)
    for missing in ("0" * 32, deleted.run_id):
        with caplog.at_level("WARNING", logger="lipsync.tracking.run"):
            with TrainingRun(store.client, store.experiment_id, "fresh", {}, TAGS, missing) as run:
                pass
        assert not run.resumed and run.run_id != missing
        assert store.client.get_run(run.run_id).info.status == "FINISHED"
        assert any(missing in m and "starting a new run" in m for m in caplog.messages)
