"""Builders for tests: projects with a shrunk copy of the real params.yaml, and tiny media."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import numpy as np
import yaml

from lipsync.project import Project, open_project

ROOT = Path(__file__).resolve().parents[1]

# The smallest corpus the whole graph runs on: one train, one val and one test speaker
# (the test speaker's photo is never seen in training), two short clips each (so the
# evaluation has another clip's audio to dub with).


def _loop(steps: int, batch: int) -> dict:
    return {"loop": {"steps": steps, "batch": batch, "log_every": 1, "checkpoint_every": 2, "eval_every": steps}}


TINY = {
    "corpus": {
        "speakers": 3,
        "clips_per_speaker": 2,
        "min_seconds": 1.6,
        "max_seconds": 2.0,
        "test_speakers": 1,
        "val_speakers": 1,
        "workers": 1,
        "photos": {"source": "builtin"},
        "dirty": {"share": 0.0},  # dirty clips have their own test (tests/stages/test_syncfilter.py)
    },
    "shards": {"split": {"val": ["spk01-*"]}, "reader_processes": 1, "reader_workers": 1},
    "ingest": {"workers": 1},
    # a few steps each: enough to prove the graph runs and registers models, not to learn
    "training": {
        "syncnet_expert": _loop(4, 4) | {"eval_pairs": 16, "ceiling": {"epochs": 2}},
        "generator": _loop(3, 2) | {"eval_windows": 4, "sync_start": 1},
        "wav2lip_baseline": _loop(2, 2) | {"eval_windows": 2, "sync_start": 1},
        "syncnet_evaluator": _loop(3, 4),
    },
    "evaluation": {"identity_frames": 2, "landmark_every": 2, "strip_frames": 3},
    # a 3-step evaluator finds no sync: keep every clip (realigning those it places off) so the generators have data
    "syncfilter": {"min_confidence": 0.0, "max_offset": 15, "offset_tolerance": 0, "min_evaluator_accuracy": 0.0},
}


# Every test project uses the three built-in photos: `make test` never touches the network
# (params.yaml's default, `packages`, fetches archives from PyPI and npm).
OFFLINE = {"corpus": {"photos": {"source": "builtin"}}}


def deep_update(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        out[key] = deep_update(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def real_params() -> dict:
    """params.yaml as written (no profile applied, derived keys absent)."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def loaded_params():
    """params.yaml through the one loader (:class:`lipsync.config.Params`)."""
    from lipsync.config import load_params

    return load_params(ROOT / "params.yaml")


def derived_mapping() -> dict:
    """params.yaml as the loader sees it before typing: profile applied, derived keys filled.
    Tests that edit a section and parse it again start from here."""
    from lipsync.config import derive, resolve_profile

    return derive(resolve_profile(real_params()))


def real_section(cls, section: str):
    """The real ``section`` of params.yaml (dotted), as loaded; checked to be a ``cls``."""
    value = loaded_params()
    for name in section.split("."):
        value = getattr(value, name)
    assert isinstance(value, cls), (section, type(value))
    return value


def make_project(root: Path, changes: dict | None = None) -> Project:
    """A project rooted at ``root`` whose params are the real ones with ``changes`` applied."""
    root.mkdir(parents=True, exist_ok=True)
    params = deep_update(deep_update(real_params(), OFFLINE), changes or {})
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return open_project(root)


def discard_unless_failed(request, root: Path) -> None:
    """Delete a shared fixture's folder once it is torn down, unless a test of the session failed
    (then it stays for reading, as pytest keeps failed tests' own folders). A tiny project with
    both generators trained holds several GB (the Wav2Lip baseline's weights are 145 MB a copy),
    so the suite's disk peak is one such project at a time, not the sum of all."""
    if request.session.testsfailed == 0:
        shutil.rmtree(root, ignore_errors=True)


def tone(seconds: float, rate: int = 16000, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def gradient_frames(count: int, height: int = 64, width: int = 64) -> np.ndarray:
    """uint8 (count, H, W, 3) frames that change every frame (no face in them)."""
    y, x = np.mgrid[0:height, 0:width]
    frames = [(np.stack([x * 3 + i * 5, y * 3, (x + y + i) * 2], -1) % 256).astype(np.uint8) for i in range(count)]
    return np.stack(frames)


def write_clip(path, frames=None, seconds=1.0, audio=True, fps=25) -> None:
    """An H.264 + AAC mp4 of ``frames`` (default: changing gradients) with a tone."""
    from lipsync.media.writer import write_mp4

    frames = gradient_frames(int(seconds * fps)) if frames is None else frames
    write_mp4(
        path, frames, fps, tone(len(frames) / fps) if audio else None, 16000, crf=23, threads=1, preset="ultrafast"
    )


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped: it names no process now."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
