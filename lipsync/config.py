"""The pipeline's parameters: ``params.yaml`` parsed into frozen dataclasses.

Each section belongs to the building block that uses it (``MelSettings`` lives with the
mel code, ``CorpusSettings`` with the corpus generator); this module only assembles them.
Loading is strict (see :mod:`lipsync.settings`): a missing, unknown or ill-typed key fails
here, naming the dotted key, before any stage starts.
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
    return from_mapping(Params, data)


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
