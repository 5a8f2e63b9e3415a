"""The pipeline's parameters: ``params.yaml`` parsed into frozen dataclasses.

Each section belongs to the building block that uses it (``MelSettings`` lives with the
mel code, ``CorpusSettings`` with the corpus generator); this module only assembles them.
Loading is strict (see :mod:`lipsync.settings`): a missing, unknown or ill-typed key fails
here, naming the dotted key, before any stage starts. A ``profile`` key picks an entry of
``profiles`` (``cpu``, ``gpu``) whose keys override the file's (:func:`resolve_profile`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from lipsync.audio.mel import MelSettings
from lipsync.corpus.settings import CorpusSettings
from lipsync.faces.settings import FacesSettings
from lipsync.models.settings import ModelsSettings
from lipsync.settings import ParamsError, from_mapping, to_mapping
from lipsync.training.settings import TrainingSettings

PARAMS_FILE = "params.yaml"


@dataclass(frozen=True)
class Paths:
    """Folders of every stage, relative to the project root (see :mod:`lipsync.layout`)."""

    corpus: str
    raw_videos: str
    ingest: str
    faces: str
    mel: str
    shards: str
    models: str
    mlruns: str
    bench: str
    logs: str
    dagster_home: str


@dataclass(frozen=True)
class IngestParams:
    fps: int
    sample_rate: int
    extensions: tuple[str, ...]
    min_frames: int
    max_side: int
    crf: int
    preset: str
    encoder_threads: int
    workers: int


@dataclass(frozen=True)
class SplitParams:
    val: tuple[str, ...]  # speaker-id globs
    test: tuple[str, ...]
    val_fraction: float
    test_fraction: float


@dataclass(frozen=True)
class ShardsParams:
    segment_frames: int
    samples_per_shard: int
    training_processes: int
    loader_workers: int
    mtime: int
    split: SplitParams


@dataclass(frozen=True)
class ChecksParams:
    max_rejected_share: float


@dataclass(frozen=True)
class Params:
    seed: int
    paths: Paths
    corpus: CorpusSettings
    ingest: IngestParams
    faces: FacesSettings
    mel: MelSettings
    shards: ShardsParams
    models: ModelsSettings
    training: TrainingSettings
    checks: ChecksParams


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate ``params.yaml``; raises :class:`ParamsError` naming the bad key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"params file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file {path} is not valid YAML: {exc}") from None
    params = params_from_mapping(data)
    _validate(params)
    return params


def params_from_mapping(data: dict) -> Params:
    return from_mapping(Params, resolve_profile(data))


def resolve_profile(data: dict) -> dict:
    """``data`` with the entry of ``profiles`` named by ``profile`` laid over it, both keys removed.

    A profile holds only the keys it changes, at their usual places (``training.expert.loop.
    steps``); a key that is not in the base file is an error, so a misspelt override cannot
    be silently ignored. Without a ``profile`` key the data is used as it is.
    """
    data = dict(data)
    name, profiles = data.pop("profile", None), data.pop("profiles", None) or {}
    if name is None:
        return data
    if name not in profiles:
        raise ParamsError(f"params key 'profile' is {name!r}, but 'profiles' defines only {sorted(profiles)}")
    return _overlay(data, profiles[name] or {}, f"profiles.{name}", "")


def _overlay(base: dict, changes: dict, origin: str, prefix: str) -> dict:
    out = dict(base)
    for key, value in changes.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            raise ParamsError(f"params key '{origin}.{dotted}' overrides nothing: there is no '{dotted}'")
        nested = isinstance(value, dict) and isinstance(base[key], dict)
        out[key] = _overlay(base[key], value, origin, f"{dotted}.") if nested else value
    return out


def _validate(params: Params) -> None:
    """Cross-field checks the types alone cannot express."""
    if params.shards.segment_frames % 5:
        raise ParamsError("params key 'shards.segment_frames' must be a multiple of the 5-frame sync window")
    if not 64 <= params.faces.size <= 256:
        raise ParamsError("params key 'faces.size' must be between 64 and 256 pixels")
    if params.models.generator.image_size != params.faces.size:
        raise ParamsError("params keys 'models.generator.image_size' and 'faces.size' must agree")
    if params.models.generator.audio.mel_bins != params.mel.n_mels:
        raise ParamsError("params keys 'models.generator.audio.mel_bins' and 'mel.n_mels' must agree")
    if params.mel.sample_rate != params.ingest.sample_rate:
        raise ParamsError("params keys 'mel.sample_rate' and 'ingest.sample_rate' must agree")


def section_hash(section: object) -> str:
    """Stable short hash of a params section: part of each per-video output's fingerprint."""
    text = json.dumps(to_mapping(section), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
