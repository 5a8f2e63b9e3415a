"""Stage ``evaluation``: score every generator on the held-out clips, the way the field does.

Rows: ``ground_truth`` (the real clips) and ``mismatched_audio`` (the real clips with
another clip's audio) as controls, ``copy_reference`` (the trivial generator), ``ours``,
``wav2lip_baseline`` and, when ``evaluation.wav2lip_file`` is given, ``wav2lip_official``.
Settings: ``reconstruction`` (own audio, every metric against the real frames) and
``cross_audio`` (another clip's audio: sync, identity, temporal). The evaluator is the
``syncnet_evaluator`` stage's registered version (or the official file); its self-checks
on the real clips decide whether the LSE figures are reliable.

Outputs (``paths.evaluation``): ``clips.parquet`` (one row per clip, setting and row, every
metric), ``curves.npz`` (per-offset mean distances), ``strip.npz`` (frames of one clip for
the report's frame strip), ``summary.json``; ``logs/evaluation/eval_results.log`` (one line
per clip, setting and row); an MLflow run in experiment ``evaluation`` tagged with every
model version and the evaluator, whose id is also tagged on the evaluated versions.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from lipsync.atomic import atomic_path, write_json
from lipsync.config import Params, section_hash, select_sections
from lipsync.evaluation.clip import EvalClip, audio_pairing, dubbed
from lipsync.layout import Layout
from lipsync.stages.evaluation_inputs import load_clips, load_evaluator, load_generators
from lipsync.stages.evaluation_summary import summarise, track_evaluation
from lipsync.stages.writer_lock import writes_data

log = logging.getLogger("lipsync")
STAGE = "evaluation"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    from lipsync.evaluation.generate import generate_frames, reference_indices
    from lipsync.evaluation.scoring import Scorer
    from lipsync.evaluation.self_checks import self_checks, shift_scores

    started = time.perf_counter()
    settings = params.evaluation
    clips, skipped = load_clips(params, layout, settings.split)
    evaluator, evaluator_ref = load_evaluator(params, layout)
    generators = load_generators(params, layout)
    scorer = Scorer(settings, evaluator)
    pairing = audio_pairing(clips)
    mel_frames = params.models.generator.audio.mel_frames
    rows, curves, timing, strip = [], {}, {}, {}
    own, mismatched, shifts = [], [], []
    for index, clip in enumerate(clips):
        log.info("evaluation: clip %d of %d, %s", index + 1, len(clips), clip.label)
        windows = clip.mel_windows(params.mel, mel_frames)
        references = reference_indices(clip.length, settings.reference_offset)
        real = scorer.reconstruction(clip.frames, clip)
        own.append(scorer.sync(clip.frames, clip.audio, clip.clip_id))
        _keep(rows, curves, clip, "reconstruction", "ground_truth", real)
        other = dubbed(clip, clips[pairing[index]]) if len(clips) > 1 else None
        if other is not None:
            control = scorer.dubbing(other.frames, clip, other.audio, other.clip_id)
            mismatched.append(scorer.sync(other.frames, other.audio, other.clip_id))
            _keep(rows, curves, clip, "cross_audio", "mismatched_audio", control)
        shifts.append(shift_scores(evaluator, clip, settings.self_checks.shifts, settings.sync))
        if index == 0:
            strip["real"] = _strip(clip.frames, settings.strip_frames)
        for row, (generate, _) in generators.items():
            frames, seconds = generate_frames(generate, clip.frames, windows, references, settings.batch)
            _time(timing, row, clip.length, seconds)
            _keep(rows, curves, clip, "reconstruction", row, scorer.reconstruction(frames, clip))
            if index == 0:
                strip[row] = _strip(frames, settings.strip_frames)
            if other is not None:
                dub_windows = other.mel_windows(params.mel, mel_frames)
                dub_refs = reference_indices(other.length, settings.reference_offset)
                frames, _ = generate_frames(generate, other.frames, dub_windows, dub_refs, settings.batch)
                _keep(rows, curves, clip, "cross_audio", row, scorer.dubbing(frames, clip, other.audio, other.clip_id))
    checks = self_checks(own, mismatched, shifts, settings.self_checks)
    frame = pd.DataFrame(rows)
    summary = summarise(frame, checks, evaluator_ref, {r: ref for r, (_, ref) in generators.items()}, timing,
                        skipped, len(clips))  # fmt: skip
    summary |= {"seconds": round(time.perf_counter() - started, 1), "data_version": _data_version(params, layout)}
    _write(layout, frame, curves, strip, summary)
    summary["mlflow_experiment_id"], summary["mlflow_run_id"] = track_evaluation(
        params, layout, summary, generators, evaluator_ref
    )
    write_json(layout.evaluation_summary, summary)
    return summary


def _keep(rows: list, curves: dict, clip: EvalClip, setting: str, row: str, scores) -> None:
    record = {"clip_id": clip.clip_id, "label": clip.label, "speaker": clip.speaker, "setting": setting, "row": row,
              "frames": clip.length, **scores.metrics, "notes": "; ".join(scores.notes)}  # fmt: skip
    rows.append(record)
    curves.setdefault(f"{setting}/{row}", []).append(scores.curve)
    figures = " ".join(f"{k}={v:.3f}" for k, v in scores.metrics.items() if isinstance(v, float) and np.isfinite(v))
    log.info("evaluation %s %s %s: %s", setting, row, clip.label, figures)


def _time(timing: dict, row: str, frames: int, seconds: float) -> None:
    entry = timing.setdefault(row, {"frames": 0, "seconds": 0.0})
    entry["frames"] += frames
    entry["seconds"] += seconds


def _strip(frames: np.ndarray, count: int) -> np.ndarray:
    """uint8 (count, S, S, 3): evenly spaced frames of the clip."""
    return frames[np.linspace(0, len(frames) - 1, count).round().astype(int)]


def _data_version(params: Params, layout: Layout) -> str:
    import json

    manifest = json.loads(layout.shards_manifest.read_text())
    return section_hash((manifest["data_version"], select_sections(params, ("evaluation",))))


def _write(layout: Layout, frame: pd.DataFrame, curves: dict, strip: dict, summary: dict) -> None:
    layout.evaluation.mkdir(parents=True, exist_ok=True)
    with atomic_path(layout.evaluation_clips) as tmp:
        frame.to_parquet(tmp, index=False)
    with atomic_path(layout.evaluation_curves) as tmp, open(tmp, "wb") as out:
        np.savez(out, **{k: np.stack(v) for k, v in curves.items()})
    with atomic_path(layout.evaluation_strip) as tmp, open(tmp, "wb") as out:
        np.savez(out, **strip)
    log_path = layout.evaluation_log
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as out:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        for record in frame.to_dict("records"):
            values = " ".join(f"{k}={v:.4f}" for k, v in record.items() if isinstance(v, float) and np.isfinite(v))
            out.write(f"{stamp} {record['setting']} {record['row']} {record['label']} {values}\n")
    write_json(layout.evaluation_summary, summary)
