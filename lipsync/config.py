"""The pipeline's parameters: ``params.yaml`` parsed into frozen dataclasses.

Each section belongs to the building block that uses it (``MelSettings`` lives with the
mel code, ``CorpusSettings`` with the corpus generator); this module only assembles them.
Loading is strict (see :mod:`lipsync.params_loader`): a missing, unknown or ill-typed key
fails here, naming the dotted key, before any stage starts.

Three steps, in order:

1. ``profile`` picks an entry of ``profiles`` (``cpu``, ``gpu``) whose keys override the
   file's (:func:`resolve_profile`).
2. The ``format`` section is the one source of the numbers every stage must agree on (frame
   rate, sample rate, sync window, face size, mel bands). The blocks' settings still carry
   them as fields (``MelSettings.sample_rate``...), but the file writes each once: the
   loader fills the derived keys (:data:`DERIVED`) and refuses a file that writes one.
3. Numeric ranges (:mod:`lipsync.params_ranges`: counts >= 1, rates > 0...), then the
   cross-field rules the types cannot express (:func:`_validate`).

This module imports no torch: every command pays only for what it uses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from lipsync.audio.settings import MelSettings
from lipsync.corpus.settings import CorpusSettings
from lipsync.data.settings import ShardsSettings
from lipsync.evaluation.settings import BenchmarkSettings, EvaluationSettings, SyncFilterSettings
from lipsync.faces.settings import FacesSettings
from lipsync.inference.settings import InferenceSettings
from lipsync.ingest.settings import IngestSettings
from lipsync.models.settings import ModelsSettings
from lipsync.params_loader import ParamsError, from_mapping, to_mapping
from lipsync.params_ranges import check_ranges
from lipsync.tracking.promotion_settings import PromoteSettings
from lipsync.tracking.settings import TrackingSettings
from lipsync.training.settings import TrainingSettings

PARAMS_FILE = "params.yaml"


@dataclass(frozen=True)
class Paths:
    """Folders of every stage, relative to the project root (see :mod:`lipsync.layout`)."""

    photos: str
    photo_archives: str
    corpus: str
    raw_videos: str
    ingest: str
    faces: str
    mel: str
    shards: str
    syncfilter: str
    models: str
    evaluation: str
    benchmark: str
    promote: str
    mlruns: str
    writer_lock: str
    bench: str
    logs: str
    dagster_home: str


@dataclass(frozen=True)
class FormatSettings:
    """What every stage agrees on. fps: video frames per second after ingest; sample_rate:
    audio Hz after ingest; sync_window: video frames per sync window (the expert's and the
    generators' audio context); face_size: face crop side in pixels; mel_bands: log-mel bands."""

    fps: int
    sample_rate: int
    sync_window: int
    face_size: int
    mel_bands: int


@dataclass(frozen=True)
class ChecksSettings:
    """max_rejected_share: the ingest asset check fails above this share of rejected files."""

    max_rejected_share: float


@dataclass(frozen=True)
class RetrainingSettings:
    """When the retraining job (training -> evaluation -> benchmark -> promote) starts by itself
    (``pipelines/retraining.py``). cron: the schedule's ticks (cron syntax) in ``timezone``; a tick
    is skipped when nothing changed since the champion. min_new_clips: the sensor launches it
    once this many usable clips (in the shards) are not in the champion's training data."""

    cron: str
    timezone: str
    min_new_clips: int

    def __post_init__(self) -> None:
        if len(self.cron.split()) != 5:
            raise ParamsError(f"params key 'retraining.cron' must have 5 fields, got {self.cron!r}")
        if self.min_new_clips < 1:
            raise ParamsError(f"params key 'retraining.min_new_clips' must be >= 1, got {self.min_new_clips}")


@dataclass(frozen=True)
class Params:
    seed: int
    format: FormatSettings
    paths: Paths
    corpus: CorpusSettings
    ingest: IngestSettings
    faces: FacesSettings
    mel: MelSettings
    shards: ShardsSettings
    syncfilter: SyncFilterSettings
    models: ModelsSettings
    training: TrainingSettings
    tracking: TrackingSettings
    evaluation: EvaluationSettings
    benchmark: BenchmarkSettings
    promote: PromoteSettings
    inference: InferenceSettings
    checks: ChecksSettings
    retraining: RetrainingSettings


def _mel_frames(data: dict) -> int | None:
    """Mel frames in one sync window: window frames x mel frames per second / fps (16).
    None when an input is missing or not a number (the typed loader then names that key)."""
    try:
        fmt, mel = data["format"], data["mel"]
        frames = fmt["sync_window"] * fmt["sample_rate"] / mel["hop_length"] / fmt["fps"]
    except (KeyError, TypeError):
        return None
    except ZeroDivisionError:
        raise ParamsError("params keys 'mel.hop_length' and 'format.fps' must be >= 1, got 0") from None
    if frames != int(frames):
        raise ParamsError(
            f"params keys 'format.sync_window' x 'format.sample_rate' / 'mel.hop_length' / 'format.fps' must give a "
            f"whole number of mel frames per sync window, got {frames}"
        )
    return int(frames)


# Key filled by the loader -> where its value comes from (a format key, or a rule).
DERIVED: dict[str, str | Callable[[dict], object]] = {
    "corpus.fps": "format.fps",
    "corpus.sample_rate": "format.sample_rate",
    "ingest.fps": "format.fps",
    "ingest.sample_rate": "format.sample_rate",
    "faces.size": "format.face_size",
    "mel.sample_rate": "format.sample_rate",
    "mel.n_mels": "format.mel_bands",
    "models.generator.image_size": "format.face_size",
    "models.generator.audio.mel_bins": "format.mel_bands",
    "models.generator.audio.mel_frames": _mel_frames,
    "models.syncnet.window_frames": "format.sync_window",
}


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate ``params.yaml``; raises :class:`ParamsError` naming the bad key."""
    return params_from_mapping(read_params_file(path))


def read_params_file(path: str | Path) -> dict:
    """The file's mapping, as written (no profile applied)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"params file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParamsError(f"params file {path} must hold a mapping, got {type(data).__name__}")
    return data


def params_from_mapping(data: dict) -> Params:
    """A parsed ``params.yaml`` mapping -> :class:`Params` (profile, derived keys, checks)."""
    params = from_mapping(Params, derive(resolve_profile(data)))
    check_ranges(to_mapping(params))
    _validate(params)
    return params


def resolve_profile(data: dict) -> dict:
    """``data`` with the entry of ``profiles`` named by ``profile`` laid over it, both keys removed.

    A profile holds only the keys it changes, at their usual places (``training.syncnet_expert.
    loop.steps``); a key that is not in the base file is an error, so a misspelt override cannot
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


def derive(data: dict) -> dict:
    """``data`` with every :data:`DERIVED` key filled; a file that writes one is refused."""
    if not isinstance(data.get("format"), dict):
        raise ParamsError("missing params key 'format' (a mapping)")
    out = json.loads(json.dumps(data))  # a deep copy of plain YAML data
    for key, source in DERIVED.items():
        *parents, leaf = key.split(".")
        section = out
        for name in parents:
            section = section.get(name)
            if not isinstance(section, dict):
                raise ParamsError(f"missing params key '{key.rsplit('.', 1)[0]}' (a mapping)")
        if leaf in section:
            origin = source if isinstance(source, str) else "the 'format' section"
            raise ParamsError(f"params key '{key}' is derived from {origin}: remove it from the file")
        value = source(out) if callable(source) else _lookup(out, source)
        if value is not None:
            section[leaf] = value
    return out


def _lookup(data: dict, dotted: str) -> object:
    value = data
    for name in dotted.split("."):
        if not isinstance(value, dict) or name not in value:
            raise ParamsError(f"missing params key '{dotted}'")
        value = value[name]
    return value


def _validate(params: Params) -> None:
    """Cross-field checks the types alone cannot express."""
    window = params.format.sync_window
    if params.shards.segment_frames % window:
        raise ParamsError(
            f"params key 'shards.segment_frames' ({params.shards.segment_frames}) must be a multiple of the "
            f"{window}-frame sync window (format.sync_window)"
        )
    _validate_segment(params)
    if not 64 <= params.format.face_size <= 256:
        raise ParamsError(
            f"params key 'format.face_size' must be between 64 and 256 pixels, got {params.format.face_size}"
        )
    if params.training.data.dataloader_workers > params.shards.reader_workers:
        raise ParamsError(
            f"params key 'training.data.dataloader_workers' ({params.training.data.dataloader_workers}) is more than "
            f"'shards.reader_workers' ({params.shards.reader_workers}): some loaders would get no shard"
        )


def _validate_segment(params: Params) -> None:
    """A segment must hold every view the trainers cut from it, or they find none and wait forever:
    the expert's off-sync audio is at least ``negative_offsets[0]`` frames from its window, a
    generator target needs the mel windows of its 5 frames (2 windows - 1 frames) and a reference
    frame ``reference_gap`` frames from the target window."""
    window, data, segment = params.format.sync_window, params.training.data, params.shards.segment_frames
    needs = {
        f"format.sync_window + training.data.negative_offsets[0] = {window} + {data.negative_offsets[0]} "
        "(the expert's off-sync window)": window + data.negative_offsets[0],
        f"2 x format.sync_window - 1 = 2 x {window} - 1 (a generator target's mel windows)": 2 * window - 1,
        f"format.sync_window + training.data.reference_gap = {window} + {data.reference_gap} "
        "(a generator reference frame)": window + data.reference_gap,
    }
    rule, least = max(needs.items(), key=lambda item: item[1])
    if segment < least:
        raise ParamsError(
            f"params key 'shards.segment_frames' is {segment}: it must be at least {least} frames = {rule}; "
            "with a shorter segment the trainers find no view and never take a step"
        )


def section_hash(section: object) -> str:
    """Stable short hash of a params section: part of each per-video output's fingerprint."""
    text = json.dumps(to_mapping(section), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def select_sections(params: Params, keys: tuple[str, ...]) -> dict:
    """The named sections (dotted ``params.yaml`` paths) as one nested mapping, so that
    ``{"training": {"syncnet_expert": {...}}}`` flattens back to ``training.syncnet_expert.*``."""
    out: dict = {}
    for key in keys:
        value: object = params
        for name in key.split("."):
            value = getattr(value, name)
        *parents, leaf = key.split(".")
        node = out
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = to_mapping(value)
    return out
