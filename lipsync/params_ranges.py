"""Numeric ranges of ``params.yaml`` keys, checked when the params are loaded.

A count of zero, a negative rate or frame rate does not fail where it is written: it hangs a
trainer, divides by zero in a stage, or empties a data set, far from its cause. Each rule
here names a key (a glob over dotted keys, so ``training.*.loop.lr`` covers every trainer)
and the bound it must respect; :func:`check_ranges` names the key, its value and the rule.
Relations between keys (the segment must hold the expert's negative offsets...) are checked
in :mod:`lipsync.config`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from fnmatch import fnmatchcase

from lipsync.params_loader import ParamsError

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

# (dotted key glob, comparison, bound). A key may appear in several rules (a range is two).
RANGES: tuple[tuple[str, str, float], ...] = (
    ("format.fps", ">=", 1),
    ("format.sample_rate", ">=", 1),
    ("format.sync_window", ">=", 1),
    ("format.mel_bands", ">=", 1),
    ("corpus.speakers", ">=", 1),
    ("corpus.clips_per_speaker", ">=", 1),
    ("corpus.min_seconds", ">", 0),
    ("corpus.workers", ">=", 1),
    ("ingest.min_frames", ">=", 1),
    ("ingest.max_side", ">=", 2),
    ("ingest.workers", ">=", 1),
    ("ingest.encoder_threads", ">=", 1),
    ("ingest.av_length_tolerance_s", ">=", 0),
    ("ingest.duplicate_frames", ">=", 1),
    ("ingest.duplicate_max_bits", ">=", 0),
    ("ingest.duplicate_max_bits", "<=", 64),
    ("ingest.duplicate_max_audio_db", ">=", 0),
    ("faces.detector.min_face_size", ">=", 12),  # P-Net's 12-px window
    ("faces.detector.scale_factor", ">", 0),
    ("faces.detector.scale_factor", "<", 1),
    ("faces.detector.max_side", ">=", 12),
    ("faces.tracker.detect_every", ">=", 1),
    ("faces.tracker.smooth_window", ">=", 1),
    ("faces.tracker.min_track_len", ">=", 1),
    ("faces.tracker.batch", ">=", 1),
    ("faces.crop.scale", ">", 0),
    ("faces.workers", ">=", 1),
    ("mel.n_fft", ">=", 1),
    ("mel.hop_length", ">=", 1),
    ("mel.win_length", ">=", 1),
    ("mel.fmin", ">=", 0),
    ("mel.fmax", ">", 0),
    ("mel.max_abs_value", ">", 0),
    ("shards.segment_frames", ">=", 1),
    ("shards.samples_per_shard", ">=", 1),
    ("shards.reader_processes", ">=", 1),
    ("shards.reader_workers", ">=", 0),
    ("shards.mtime", ">=", 0),
    ("shards.split.*_fraction", ">=", 0),
    ("shards.split.*_fraction", "<=", 1),
    ("training.data.dataloader_workers", ">=", 0),
    ("training.data.shuffle_buffer", ">=", 1),
    ("training.data.epoch_batches", ">=", 1),
    ("training.data.views_per_segment", ">=", 1),
    ("training.data.reference_gap", ">=", 1),
    ("training.*.loop.steps", ">=", 0),  # 0: the untrained model is registered as it is (a copy of the reference)
    ("training.*.loop.batch", ">=", 1),
    ("training.*.loop.lr", ">", 0),
    ("training.*.loop.explode_factor", ">", 1),
    ("training.*.loop.explode_window", ">=", 1),
    ("training.*.adversarial.lr", ">", 0),
    ("training.*.adversarial.start", ">=", 0),
    ("training.*.sync_start", ">=", 0),
    ("training.*.sync_weight", ">=", 0),
    ("training.*.eval_windows", ">=", 1),
    ("training.*.grid_windows", ">=", 1),
    ("training.syncnet_expert.eval_pairs", ">=", 1),
    ("training.syncnet_expert.ceiling.epochs", ">=", 1),
    ("training.syncnet_expert.ceiling.batch", ">=", 1),
    ("training.syncnet_expert.ceiling.mel_pool", ">=", 1),
    ("training.syncnet_expert.ceiling.lr", ">", 0),
    ("training.syncnet_expert.ceiling.dropout", ">=", 0),
    ("training.syncnet_expert.ceiling.dropout", "<", 1),
    ("evaluation.sync.max_offset", ">=", 1),
    ("evaluation.sync.batch_size", ">=", 1),
    ("syncfilter.min_confidence", ">=", 0),
    ("syncfilter.offset_tolerance", ">=", 0),
    ("syncfilter.min_evaluator_accuracy", ">=", 0),
    ("syncfilter.min_evaluator_accuracy", "<=", 1),
    ("syncfilter.sync.max_offset", ">=", 1),
    ("syncfilter.sync.batch_size", ">=", 1),
    ("evaluation.lpips.batch_size", ">=", 1),
    ("benchmark.dpi", ">=", 1),
    ("benchmark.zoom", ">=", 1),
)


def flat_numbers(mapping: dict, prefix: str = "") -> Iterator[tuple[str, float]]:
    """(dotted key, value) of every int or float leaf (bools are not numbers here)."""
    for name, value in mapping.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            yield from flat_numbers(value, f"{key}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield key, value


def check_ranges(mapping: dict, rules: tuple[tuple[str, str, float], ...] = RANGES) -> None:
    """Raise :class:`ParamsError` for the first key of ``mapping`` (a params mapping) that breaks
    a rule, naming the key, its value and the rule; a rule that matches no key is an error too
    (a misspelt rule would otherwise check nothing)."""
    numbers = dict(flat_numbers(mapping))
    for pattern, op, bound in rules:
        keys = [key for key in numbers if fnmatchcase(key, pattern)]
        if not keys:
            raise ParamsError(f"params range rule '{pattern} {op} {bound}' matches no numeric key")
        for key in keys:
            if not _OPS[op](numbers[key], bound):
                raise ParamsError(f"params key '{key}' is {numbers[key]!r}: it must be {op} {bound:g}")
