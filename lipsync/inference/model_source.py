"""Which generator to dub with, loaded through the project's ``weights_only`` loaders.

MODEL may be:

- ``models:/NAME@ALIAS`` (``models:/lipsync-generator@champion``) or ``models:/NAME/VERSION``:
  a registered version, read from the registry by name, version and run id;
- a checkpoint path: ours or the published Wav2Lip (``wav2lip.pth``, ``wav2lip_gan.pth``,
  ``module.`` prefixes, TorchScript), told apart by their weights;
- nothing: the ``champion`` alias of ``lipsync-generator`` when it is set, otherwise the version
  the ``generator`` stage recorded in its result.json (never "the latest").

The identity of what was loaded (URI and run, or path and format) goes into the log and the
output's metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from lipsync.models import CheckpointError, LipSyncGenerator, Wav2Lip, load_checkpoint
from lipsync.models.generator import GeneratorSettings

GENERATOR_NAME = "lipsync-generator"
CHAMPION = "champion"
ARCHITECTURE_OF = {GENERATOR_NAME: "ours", "wav2lip-baseline": "wav2lip"}


class ModelSourceError(ValueError):
    """MODEL cannot be resolved or loaded; the message says which and why."""


@dataclass(frozen=True)
class LoadedGenerator:
    """model: in eval mode on the CPU; identity: one line naming exactly what was loaded."""

    model: nn.Module
    identity: str


def load_generator(
    spec: str | None, settings: GeneratorSettings, mlruns: Path, generator_result: Path
) -> LoadedGenerator:
    """Resolve and load MODEL (see the module docstring); ModelSourceError when impossible."""
    if spec is None or spec.startswith("models:/"):
        return _from_registry(spec, settings, mlruns, generator_result)
    return _from_file(Path(spec), settings)


def _from_registry(spec: str | None, settings: GeneratorSettings, mlruns: Path, result: Path) -> LoadedGenerator:
    from lipsync.tracking import load_state_dict, open_tracking

    try:
        client = open_tracking(mlruns)
        ref = _default_ref(client, result) if spec is None else _named_ref(client, spec)
        state = load_state_dict(client, ref)
    except ModelSourceError:
        raise
    except Exception as error:  # MLflow raises its own exceptions for unknown names and versions
        raise ModelSourceError(f"model {spec or 'default'}: {error}") from None
    model = _architecture(ARCHITECTURE_OF.get(ref.name) or _kind_of(state), settings)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ModelSourceError(f"model {ref.uri} does not fit {type(model).__name__}: {error}") from None
    return LoadedGenerator(model.eval(), f"{ref.uri} (run {ref.run_id})")


def _default_ref(client, result: Path):
    from lipsync.tracking import ModelRef, get_alias

    try:
        champion = get_alias(client, GENERATOR_NAME, CHAMPION)
    except Exception:  # the registered model does not exist yet
        champion = None
    if champion is not None:
        return champion
    if not result.is_file():
        raise ModelSourceError(
            f"no model given and none trained: {GENERATOR_NAME}@{CHAMPION} is not set and {result} is missing. "
            "Run `make run` (or `lipsync run generator`) or pass --model"
        )
    return ModelRef.from_dict(json.loads(result.read_text())["model"])


def _named_ref(client, spec: str):
    """The version ``spec`` (``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``) names, resolved once."""
    from lipsync.tracking import resolve_model_uri

    try:
        return resolve_model_uri(client, spec)
    except ValueError as error:
        raise ModelSourceError(f"model {error}") from None


def _from_file(path: Path, settings: GeneratorSettings) -> LoadedGenerator:
    if not path.is_file():
        raise ModelSourceError(f"model {path}: no such file (nor a models:/ URI)")
    kinds = ("wav2lip", "ours") if "wav2lip" in path.name.lower() else ("ours", "wav2lip")
    errors = []
    for kind in kinds:
        model = _architecture(kind, settings)
        try:
            info = load_checkpoint(model, path)
        except CheckpointError as error:
            errors.append(str(error).splitlines()[0])
            if "does not fit" not in str(error):
                raise ModelSourceError(str(error)) from None  # unreadable or unsafe: no other architecture helps
            continue
        step = f", step {info.global_step}" if info.global_step is not None else ""
        return LoadedGenerator(model.eval(), f"{path} ({type(model).__name__}, {info.source_format}{step})")
    raise ModelSourceError(f"model {path} fits neither generator: " + "; ".join(errors))


def _kind_of(state: dict) -> str:
    return "wav2lip" if any(key.startswith("face_encoder_blocks.") for key in state) else "ours"


def _architecture(kind: str, settings: GeneratorSettings) -> nn.Module:
    return Wav2Lip() if kind == "wav2lip" else LipSyncGenerator(settings)
