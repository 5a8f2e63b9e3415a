"""Log a PyTorch model to a run, register it, and read its weights back by exact version.

Each logged model carries two copies of the weights: MLflow's ``pt2`` export
(``data/model.pt2``, a traced graph usable without our code) and a plain state dict
(``extra_files/state_dict.pt``). Stages reload the state dict into our own ``nn.Module``
with ``torch.load(weights_only=True)``, which unpickles tensors and containers only, so
opening a model can never run code. Loading is always by (name, version, run id).

The logged model is named after its registered model (``syncnet-expert``, not ``model``).
The registered model gets a description (what the model is, from its class docstring, and
which stage trains it) and tags; each version gets a description and tags with its stage,
data version, git commit, training budget and final evaluation metrics (:class:`ModelFacts`).
"""

from __future__ import annotations

import copy
import inspect
import itertools
import json
import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import mlflow.pytorch
import numpy as np
import torch
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.utils.mlflow_tags import MLFLOW_MODEL_VERSIONS
from torch import Tensor, nn

from lipsync.tracking.model_ref import ModelRef
from lipsync.tracking.store import fluent_store

log = logging.getLogger(__name__)

STATE_DICT_FILE = "state_dict.pt"
STATE_DICT_ARTIFACT = f"extra_files/{STATE_DICT_FILE}"  # where mlflow.pytorch puts extra_files
# What the pt2 model needs at load time; explicit so MLflow skips its slow inference (seconds).
PIP_REQUIREMENTS = [f"torch=={torch.__version__.split('+')[0]}", f"mlflow=={mlflow.__version__}"]

InputExample = Sequence[np.ndarray] | Mapping[str, np.ndarray]


@dataclass(frozen=True)
class ModelFacts:
    """What the registry records about a version: the stage that trained it, the run's name,
    the shard data version, the git commit (None outside git) and figures such as ``steps``,
    ``train_seconds`` and the final evaluation metrics (``accuracy``, ``mouth_l1``...)."""

    stage: str
    run_name: str
    data_version: str
    git_commit: str | None = None
    figures: dict[str, float | int] = field(default_factory=dict)

    def version_tags(self) -> dict[str, str]:
        """``stage``, ``data_version``, ``git_commit``, ``run_name`` and one tag per figure."""
        tags = {"stage": self.stage, "data_version": self.data_version, "run_name": self.run_name}
        if self.git_commit:
            tags["git_commit"] = self.git_commit
        return tags | {key: _figure(value) for key, value in self.figures.items()}

    def version_description(self) -> str:
        """One paragraph: run, data, commit, then the figures (``accuracy=0.631, steps=1000...``)."""
        commit = f", git commit {self.git_commit[:10]}" if self.git_commit else ""
        figures = ", ".join(f"{key}={_figure(value)}" for key, value in self.figures.items())
        return (
            f"Trained by stage `{self.stage}` in run `{self.run_name}` on shard data version "
            f"`{self.data_version}`{commit}." + (f" Final figures: {figures}." if figures else "")
        )


def log_pytorch_model(
    client: MlflowClient,
    run_id: str,
    model: nn.Module,
    input_example: InputExample,
    registered_name: str,
    facts: ModelFacts | None = None,
) -> ModelRef:
    """Log ``model`` to run ``run_id`` (pt2 export + state dict) and register it as a new version.

    The logged model is named ``registered_name``; ``facts`` describe and tag the version (and
    the registered model, with the model's class docstring) in the registry.

    ``input_example``: the arrays ``model.forward`` takes, positionally (tuple) or by
    parameter name (dict); batch size > 1 keeps the batch dimension dynamic in the export.
    The signature is inferred from the example and the model's output on it. The model is
    exported in eval mode on the CPU (a copy if it lives elsewhere); its mode is restored.
    """
    named_inputs = _named_inputs(model, input_example)
    was_training = model.training
    model.eval()
    try:
        cpu_model = model if _on_cpu(model) else copy.deepcopy(model).cpu()
        model_id = _log_export(client, run_id, cpu_model, named_inputs, registered_name)
    finally:
        model.train(was_training)
    ref = _register(client, registered_name, run_id, model_id, facts, _model_summary(model))
    log.info("logged %s version %d from run %s", ref.name, ref.version, run_id)
    return ref


def _log_export(
    client: MlflowClient, run_id: str, model: nn.Module, named_inputs: dict[str, np.ndarray], name: str
) -> str:
    """Log the pt2 export and ``state_dict.pt`` of ``model`` (eval mode, CPU) as logged model
    ``name``; returns the logged model id."""
    output = _forward(model, named_inputs)
    signature = infer_signature(named_inputs, _output_arrays(output))
    experiment_id = client.get_run(run_id).info.experiment_id
    # Created here, not by log_model: without an active fluent run, log_model would put it in
    # the Default experiment, whose artifacts go to ./mlruns/0 of the cwd that created the store.
    logged = client.create_logged_model(experiment_id, name=name, source_run_id=run_id)
    with tempfile.TemporaryDirectory() as tmp:
        state_path = Path(tmp) / STATE_DICT_FILE
        torch.save({key: value.detach().cpu() for key, value in model.state_dict().items()}, state_path)
        with fluent_store(client), _plain_tuple_output(model, named_tuple=hasattr(output, "_fields")):
            mlflow.pytorch.log_model(
                model,
                name=name,
                input_example=tuple(named_inputs.values()),
                signature=signature,
                pip_requirements=PIP_REQUIREMENTS,
                extra_files=[str(state_path)],
                serialization_format="pt2",
                run_id=run_id,
                model_id=logged.model_id,
            )
    return logged.model_id


def load_state_dict(client: MlflowClient, ref: ModelRef) -> dict[str, Tensor]:
    """The weights of exactly ``ref`` (on the CPU), read with ``torch.load(weights_only=True)``.

    Raises ValueError when the registry's version ``ref.version`` of ``ref.name`` came from
    another run than ``ref.run_id`` (a reset store, or a stale reference), and FileNotFoundError
    when that version has no state dict (it was not logged through this module).
    """
    version = client.get_model_version(ref.name, str(ref.version))
    if version.run_id != ref.run_id:
        raise ValueError(
            f"{ref.uri} was logged by run {version.run_id}, but the reference names run {ref.run_id}: "
            "the tracking store was reset or the reference is stale; re-run the stage that produced it"
        )
    location = client.get_model_version_download_uri(ref.name, str(ref.version)).rstrip("/")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{location}/{STATE_DICT_ARTIFACT}", dst_path=tmp, tracking_uri=client.tracking_uri
            )
        except (MlflowException, OSError) as error:
            raise FileNotFoundError(f"{ref.uri} has no {STATE_DICT_ARTIFACT} under {location}: {error}") from error
        state = torch.load(local, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(value, Tensor) for value in state.values()):
        raise ValueError(f"{ref.uri}: {STATE_DICT_ARTIFACT} is not a dict of tensors")
    return state


def _named_inputs(model: nn.Module, input_example: InputExample) -> dict[str, np.ndarray]:
    """The example as ``{forward parameter name: array}``, in ``forward``'s order."""
    names = [
        p.name
        for p in inspect.signature(model.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if isinstance(input_example, Mapping):
        expected = names[: len(input_example)]
        if set(input_example) != set(expected):
            raise ValueError(
                f"input_example keys {sorted(input_example)} must be the first {len(input_example)} "
                f"parameters of {type(model).__name__}.forward: {expected}"
            )
        arrays = [input_example[name] for name in expected]
    else:
        arrays, expected = list(input_example), names[: len(input_example)]
        if len(expected) < len(arrays):
            raise ValueError(f"{type(model).__name__}.forward takes {len(names)} inputs, got {len(arrays)}")
    if not all(isinstance(array, np.ndarray) for array in arrays):
        raise TypeError("input_example values must be numpy arrays")
    return dict(zip(expected, arrays, strict=True))


def _forward(model: nn.Module, named_inputs: dict[str, np.ndarray]) -> object:
    with torch.no_grad():
        return model(*(torch.from_numpy(array) for array in named_inputs.values()))


@contextmanager
def _plain_tuple_output(model: nn.Module, named_tuple: bool) -> Iterator[None]:
    """While exporting, return ``model``'s NamedTuple output (``GeneratorOutput``) as a plain tuple.

    ``torch.export.save`` refuses NamedTuple types not registered with torch's pytree, and a
    registered one could not be loaded without our code. A forward hook (rather than a
    wrapper module) keeps the exported graph's signature and weight names the model's own.
    """
    if not named_tuple:
        yield
        return
    handle = model.register_forward_hook(lambda module, inputs, output: tuple(output))
    try:
        yield
    finally:
        handle.remove()


def _output_arrays(output: object) -> np.ndarray | dict[str, np.ndarray]:
    """A tensor stays one array; tuples, named tuples, lists and dicts become named arrays."""
    if isinstance(output, Tensor):
        return output.numpy()
    if isinstance(output, Mapping):
        items = output.items()
    elif hasattr(output, "_fields"):  # a NamedTuple such as GeneratorOutput
        items = zip(output._fields, output, strict=True)
    elif isinstance(output, (tuple, list)):
        items = ((f"output_{i}", value) for i, value in enumerate(output))
    else:
        raise TypeError(f"cannot describe a model output of type {type(output).__name__}")
    return {str(name): value.numpy() for name, value in items if isinstance(value, Tensor)}


def _on_cpu(model: nn.Module) -> bool:
    return all(t.device.type == "cpu" for t in itertools.chain(model.parameters(), model.buffers()))


def _register(
    client: MlflowClient, name: str, run_id: str, model_id: str, facts: ModelFacts | None, summary: str
) -> ModelRef:
    model_tags = {"framework": "pytorch"} | ({"stage": facts.stage} if facts else {})
    trained_by = f" Trained by the lipsync stage `{facts.stage}`." if facts else ""
    description = (
        f"{summary}{trained_by} Each version's tags name its data version, git commit, "
        "training budget and final evaluation metrics."
    )
    with _tolerate_existing():
        client.create_registered_model(name, tags=model_tags, description=description)
    if client.get_registered_model(name).description != description:  # a store from before, or a new stage
        client.update_registered_model(name, description=description)
        for key, value in model_tags.items():
            client.set_registered_model_tag(name, key, value)
    version = client.create_model_version(
        name,
        source=f"models:/{model_id}",
        run_id=run_id,
        model_id=model_id,
        tags=facts.version_tags() if facts else None,
        description=facts.version_description() if facts else None,
    )
    # Lets the UI's logged-model page link to the registered version.
    link = json.dumps([{"name": name, "version": version.version}])
    client.set_logged_model_tags(model_id, {MLFLOW_MODEL_VERSIONS: link})
    return ModelRef(name=name, version=int(version.version), run_id=run_id)


def _model_summary(model: nn.Module) -> str:
    """``"SyncNet (0.95M parameters): <first line of its docstring>"``."""
    doc = (inspect.getdoc(type(model)) or "").strip().splitlines()
    millions = sum(p.numel() for p in model.parameters()) / 1e6
    first = doc[0].rstrip(".") + "." if doc else ""
    return f"{type(model).__name__} ({millions:.2f}M parameters): {first}".rstrip(": ")


def _figure(value: float | int) -> str:
    """Counts as ``1000``, other figures with 4 significant digits (``0.6312``)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.4g}"


@contextmanager
def _tolerate_existing() -> Iterator[None]:
    try:
        yield
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
