"""Logged models: pt2 + state dict per version, registration v1 then v2, loading exactly the
referenced version's weights, and registry aliases and comparison."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import mlflow
import numpy as np
import pytest
import torch
from mlflow import MlflowClient
from torch import nn

from lipsync.tracking import (
    ModelRef,
    TrainingRun,
    compare_versions,
    ensure_experiment,
    get_alias,
    load_state_dict,
    open_tracking,
    set_alias,
)
from lipsync.tracking.logged_model import PIP_REQUIREMENTS

torch.set_num_threads(1)
TAGS = {"data_version": "sha256:feedbeef", "git_commit": None, "model_kind": "syncnet"}
NAME = "syncnet-expert"


class TinySync(nn.Module):
    """Two towers, like SyncNet: mel (B, 4) and faces (B, 6) -> two (B, 3) embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.audio = nn.Linear(4, 3)
        self.face = nn.Linear(6, 3)
        self.norm = nn.BatchNorm1d(3)

    def forward(self, mel: torch.Tensor, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.norm(self.audio(mel)), self.face(faces)


@dataclass(frozen=True)
class Logged:
    client: MlflowClient
    mlruns: Path
    refs: tuple[ModelRef, ModelRef]
    weights: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]
    models: tuple[TinySync, TinySync]


def example(batch: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"mel": rng.standard_normal((batch, 4), np.float32), "faces": rng.standard_normal((batch, 6), np.float32)}


@pytest.fixture(scope="module")
def logged(tmp_path_factory) -> Iterator[Logged]:
    """Versions 1 and 2 of ``syncnet-expert``, from two runs with different weights."""
    root = tmp_path_factory.mktemp("tracking_models")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"):
            patch.delenv(name, raising=False)
        patch.chdir(root)
        client = open_tracking(root / "mlruns")
        experiment_id = ensure_experiment(client, NAME, root / "mlruns")
        refs, weights, models = [], [], []
        for seed, loss in ((1, 0.6), (2, 0.3)):
            torch.manual_seed(seed)
            model = TinySync().train()
            before = {key: value.clone() for key, value in model.state_dict().items()}
            with TrainingRun(client, experiment_id, f"seed{seed}", {"seed": seed}, TAGS) as run:
                run.log_metrics(0, {"eval/loss": 1.0})
                run.log_metrics(1, {"eval/loss": loss})
                # a tuple for v1, a dict in another order for v2: both name the forward parameters
                inputs = tuple(example().values()) if seed == 1 else dict(reversed(example().items()))
                refs.append(run.log_model(model, inputs, NAME, {"steps": 10 * seed, "loss": loss}))
            weights.append(before)
            models.append(model)
        yield Logged(client, root / "mlruns", tuple(refs), tuple(weights), tuple(models))
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)


def test_versions_are_registered_in_order_with_their_runs(logged):
    v1, v2 = logged.refs
    assert (v1.name, v1.version, v2.name, v2.version) == (NAME, 1, NAME, 2)
    assert [path.name for path in logged.mlruns.parent.iterdir()] == ["mlruns"]  # the cwd stays empty
    assert v1.run_id != v2.run_id
    for ref in logged.refs:
        version = logged.client.get_model_version(NAME, str(ref.version))
        assert version.run_id == ref.run_id and version.status == "READY"
        assert version.source.startswith("models:/m-")
        location = Path(logged.client.get_model_version_download_uri(NAME, str(ref.version)).removeprefix("file://"))
        assert location.is_relative_to(logged.mlruns / "artifacts" / NAME)
        assert (location / "data" / "model.pt2").is_file()
        assert (location / "extra_files" / "state_dict.pt").is_file()
        assert (location / "requirements.txt").read_text().splitlines() == PIP_REQUIREMENTS


def test_registry_describes_the_model_and_each_version(logged):
    registered = logged.client.get_registered_model(NAME)
    assert registered.description.startswith("TinySync (0.00M parameters): Two towers, like SyncNet:")
    assert "Trained by the lipsync stage `syncnet`." in registered.description
    assert registered.tags == {"framework": "pytorch", "stage": "syncnet"}
    v2 = logged.client.get_model_version(NAME, "2")
    assert v2.tags == {
        "stage": "syncnet",
        "data_version": TAGS["data_version"],
        "run_name": "seed2",
        "steps": "20",
        "loss": "0.3",
    }  # no git commit outside a repository: no tag
    assert v2.description == (
        "Trained by stage `syncnet` in run `seed2` on shard data version "
        "`sha256:feedbeef`. Final figures: steps=20, loss=0.3."
    )
    logged_model = logged.client.get_logged_model(v2.source.removeprefix("models:/"))
    assert logged_model.name == NAME  # the registered name, not "model"


def test_signature_names_the_forward_inputs_and_outputs(logged):
    location = logged.client.get_model_version_download_uri(NAME, "2").removeprefix("file://")
    info = mlflow.models.Model.load(location)
    assert [spec.name for spec in info.signature.inputs.inputs] == ["mel", "faces"]
    assert [spec.name for spec in info.signature.outputs.inputs] == ["output_0", "output_1"]
    assert info.signature.inputs.inputs[0].shape == (-1, 4)


def test_load_state_dict_returns_exactly_the_referenced_version(logged):
    v1_weights, v2_weights = (load_state_dict(logged.client, ref) for ref in logged.refs)
    assert v1_weights.keys() == logged.weights[0].keys()
    for key, value in logged.weights[0].items():
        assert torch.equal(v1_weights[key], value), key
    assert not torch.equal(v1_weights["audio.weight"], v2_weights["audio.weight"])
    assert torch.equal(v2_weights["audio.weight"], logged.weights[1]["audio.weight"])
    model = TinySync()
    model.load_state_dict(v1_weights, strict=True)


def test_logging_left_the_model_in_training_mode_with_unchanged_statistics(logged):
    model = logged.models[0]
    assert model.training
    assert torch.equal(model.norm.running_mean, logged.weights[0]["norm.running_mean"])
    assert int(model.norm.num_batches_tracked) == 0


def test_a_reference_from_another_run_is_refused(logged):
    v1, v2 = logged.refs
    with pytest.raises(ValueError, match="store was reset or the reference is stale"):
        load_state_dict(logged.client, replace(v1, run_id=v2.run_id))


def test_aliases_and_version_comparison(logged):
    v1, v2 = logged.refs
    assert get_alias(logged.client, NAME, "champion") is None
    set_alias(logged.client, v1, "champion")
    assert get_alias(logged.client, NAME, "champion") == v1
    set_alias(logged.client, v2, "champion")
    set_alias(logged.client, v1, "baseline")
    assert get_alias(logged.client, NAME, "champion") == v2
    assert logged.client.get_registered_model(NAME).aliases == {"champion": 2, "baseline": 1}
    rows = compare_versions(logged.client, NAME, "eval/loss")
    assert [(row["version"], row["run_id"], row["aliases"], row["value"]) for row in rows] == [
        (1, v1.run_id, ["baseline"], 0.6),
        (2, v2.run_id, ["champion"], 0.3),
    ]
    assert compare_versions(logged.client, NAME, "never/logged")[0]["value"] is None


class TinyOutput(NamedTuple):
    face: torch.Tensor
    mask: torch.Tensor | None


class TinyGenerator(nn.Module):
    """Returns a NamedTuple with an optional member, like LipSyncGenerator's GeneratorOutput."""

    def __init__(self) -> None:
        super().__init__()
        self.decode = nn.Linear(6, 4)

    def forward(self, faces: torch.Tensor, original: torch.Tensor | None = None) -> TinyOutput:
        face = torch.sigmoid(self.decode(faces))
        return TinyOutput(face, None if original is None else face * original)


def test_pt2_export_reproduces_outputs_and_flattens_named_tuples(logged):
    torch.manual_seed(3)
    model = TinyGenerator()
    inputs = {"faces": example()["faces"], "original": np.full((2, 4), 0.5, np.float32)}
    with TrainingRun(
        logged.client, logged.client.get_run(logged.refs[0].run_id).info.experiment_id, "gen", {}, TAGS
    ) as run:
        ref = run.log_model(model, inputs, "lipsync-generator")
    assert (ref.name, ref.version) == ("lipsync-generator", 1)
    location = logged.client.get_model_version_download_uri(ref.name, "1").removeprefix("file://")
    signature = mlflow.models.Model.load(location).signature
    assert [spec.name for spec in signature.outputs.inputs] == ["face", "mask"]
    program = torch.export.load(f"{location}/data/model.pt2")
    tensors = [torch.from_numpy(array) for array in inputs.values()]
    exported, expected = program.module()(*tensors), model(*tensors)
    assert type(exported) is tuple and len(exported) == 2
    assert torch.equal(exported[0], expected.face) and torch.equal(exported[1], expected.mask)
    assert isinstance(model(tensors[0]), TinyOutput)  # the export hook is gone


def test_a_version_without_a_state_dict_is_reported(logged):
    run_id = logged.refs[0].run_id
    logged.client.create_registered_model("foreign")
    source = f"{logged.client.get_run(run_id).info.artifact_uri}/elsewhere"
    version = logged.client.create_model_version("foreign", source=source, run_id=run_id)
    with pytest.raises(FileNotFoundError, match="models:/foreign/1 has no extra_files/state_dict.pt"):
        load_state_dict(logged.client, ModelRef("foreign", int(version.version), run_id))
