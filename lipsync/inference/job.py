"""What one dubbing job is, what it needs to know, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lipsync.audio.settings import MelSettings
from lipsync.faces.settings import FacesSettings
from lipsync.inference.settings import InferenceSettings
from lipsync.models.generator.settings import GeneratorSettings


@dataclass(frozen=True)
class InferenceJob:
    """face: a video or a still image; audio: any file with an audio stream; out: the .mp4 to
    write; model: MODEL (see :mod:`.model_source`), None for the default; face_index: which face
    when there are several (None: the largest); overwrite: replace an existing ``out``."""

    face: Path
    audio: Path
    out: Path
    model: str | None = None
    face_index: int | None = None
    overwrite: bool = False


@dataclass(frozen=True)
class InferenceConfig:
    """Everything a job reads besides its inputs, from ``params.yaml`` and the layout (plain
    values, so it travels to worker processes). fps: output frames per second; window_frames:
    video frames per sync window; window_mel: mel frames per window; mlruns: the MLflow home;
    generator_result: the ``generator`` stage's result.json (the default model until a champion
    is set); log_file: ``logs/inference/processing.log``."""

    settings: InferenceSettings
    faces: FacesSettings
    mel: MelSettings
    generator: GeneratorSettings
    fps: int
    window_frames: int
    window_mel: int
    mlruns: Path
    generator_result: Path
    log_file: Path


@dataclass(frozen=True)
class JobResult:
    """outcome: "ok" or "failed"; reason: why it failed ("" when ok); model: the identity of the
    generator used; frames: output frames; face_frames: those with a face pasted; silent_frames:
    those generated from the silence window; seconds: wall time; notes: what a person should know."""

    job: InferenceJob
    outcome: str
    reason: str = ""
    model: str = ""
    frames: int = 0
    face_frames: int = 0
    silent_frames: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"
