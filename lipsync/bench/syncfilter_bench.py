"""Benchmark ``syncfilter``: where to put ``syncfilter.min_confidence`` for this evaluator.

LatentSync's threshold (confidence >= 3) is on the official SyncNet's scale; a smaller
evaluator trained here has its own. This scores every clean train clip (corpus truth
``audio_shift_frames`` 0, or no truth) with the registered evaluator as the stage does, once
as it is and once with its audio shifted the way the corpus makes a clip dirty
(``corpus.dirty.shift_frames``, random sign, the clip's own noise floor moved in), and
reports the confidence of both, how often the offset found is the shift, and for a range of
thresholds (the params value, LatentSync's 3 and the deciles of the clean confidence) how
much of the data the filter keeps and how much of what it keeps is still off sync at the
corpus's dirty share. Train clips only: the held-out split never sets a threshold.
Needs the shards and a registered evaluator (``make run`` or the stages up to
``syncnet_evaluator``).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from lipsync.project import Project

LATENTSYNC_MIN_CONFIDENCE = 3.0  # REFERENCE.md section 3, on the official SyncNet's scale
NOISE_FLOOR_SECONDS = 0.1  # the corpus leads every clip with >= 0.15 s of silence


def run(project: Project, quick: bool = False) -> dict:
    from lipsync.corpus.render import shift_audio
    from lipsync.evaluation.sync_clip import score_clip
    from lipsync.stages.records import read_record
    from lipsync.stages.syncfilter import load_evaluator, longest_run, true_shift

    params, layout = project.params, project.layout
    evaluator, evaluator_ref = load_evaluator(params, layout)
    ids = json.loads(layout.shards_manifest.read_text())["splits"]["train"]["video_ids"]
    ids = [v for v in ids if not true_shift(layout, read_record(layout.ingest_record(v)) or {})]  # clean ones
    ids = ids[:2] if quick else ids
    rng = np.random.default_rng([params.seed, 2])
    low, high = params.corpus.dirty.shift_frames
    rows = []
    for video_id in ids:
        faces, audio = longest_run(params, layout, video_id)
        shift = int(rng.integers(low, high, endpoint=True)) * (1 if rng.random() < 0.5 else -1)
        floor = float(np.std(audio[: int(NOISE_FLOOR_SECONDS * params.format.sample_rate)]))
        moved = shift_audio(audio, shift * params.format.sample_rate // params.format.fps, rng, floor)
        clean = score_clip(evaluator, faces, audio, video_id, params.syncfilter.sync)
        dirty = score_clip(evaluator, faces, moved.astype(np.float32), video_id, params.syncfilter.sync)
        rows.append({"video_id": video_id, "clean_offset": clean.offset, "clean_confidence": round(clean.lse_c, 4),
                     "shift": shift, "dirty_offset": dirty.offset,
                     "dirty_confidence": round(dirty.lse_c, 4)})  # fmt: skip
    return {"evaluator": evaluator_ref, **threshold_table(rows, params.syncfilter, params.corpus.dirty.share),
            "clips": rows}  # fmt: skip


def _filtered(
    offsets: np.ndarray, confidences: np.ndarray, truth: np.ndarray, settings
) -> tuple[np.ndarray, np.ndarray]:
    """Per clip, by the stage's own :func:`~lipsync.evaluation.sync_filter.decide`: kept or not,
    and the offset left once a realigned clip is shifted by the offset found (truth - found)."""
    from lipsync.evaluation.sync_filter import KEPT, REALIGNED, decide

    decisions = [decide(int(o), float(c), settings) for o, c in zip(offsets, confidences, strict=True)]
    kept = np.array([d in (KEPT, REALIGNED) for d in decisions])
    undone = np.array([o if d == REALIGNED else 0 for o, d in zip(offsets, decisions, strict=True)])
    return kept, truth - undone


def threshold_table(rows: list[dict], settings, share: float) -> dict:
    """Confidence quantiles, offset accuracy, and per threshold: the share of clean and of
    shifted clips kept, and of the kept data (``share`` dirty) the share still off by >= 1 frame."""
    get = lambda key: np.array([r[key] for r in rows])  # noqa: E731
    clean_conf, clean_off, dirty_conf, dirty_off, shift = (get(k) for k in
        ("clean_confidence", "clean_offset", "dirty_confidence", "dirty_offset", "shift"))  # fmt: skip
    quantiles = lambda a: dict(zip(("p10", "median", "p90"), np.round(np.quantile(a, [0.1, 0.5, 0.9]), 3).tolist(),  # noqa: E731
                                   strict=True))  # fmt: skip
    grid = sorted({settings.min_confidence, LATENTSYNC_MIN_CONFIDENCE, 0.0,
                   *np.round(np.quantile(clean_conf, np.linspace(0.1, 0.9, 9)), 2).tolist()})  # fmt: skip
    table = []
    for threshold in grid:
        at = dataclasses.replace(settings, min_confidence=float(threshold))
        clean_kept, clean_left = _filtered(clean_off, clean_conf, np.zeros_like(shift), at)
        dirty_kept, dirty_left = _filtered(dirty_off, dirty_conf, shift, at)
        kept = (1 - share) * clean_kept.mean() + share * dirty_kept.mean()
        off = (1 - share) * (clean_kept & (clean_left != 0)).mean() + share * (dirty_kept & (dirty_left != 0)).mean()
        table.append({"min_confidence": float(threshold), "clean_kept": round(float(clean_kept.mean()), 4),
                      "dirty_kept": round(float(dirty_kept.mean()), 4), "data_kept": round(float(kept), 4),
                      "kept_off_sync": round(float(off / kept), 4) if kept else None})  # fmt: skip
    return {
        "clean_confidence": quantiles(clean_conf),
        "dirty_confidence": quantiles(dirty_conf),
        "clean_offset_zero": round(float(np.mean(clean_off == 0)), 4),
        "dirty_offset_exact": round(float(np.mean(dirty_off == shift)), 4),
        "dirty_offset_within_1": round(float(np.mean(np.abs(dirty_off - shift) <= 1)), 4),
        "dirty_share": share,
        "thresholds": table,
    }
