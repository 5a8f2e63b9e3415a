"""Sync-confidence filtering of training clips, LatentSync's recipe (REFERENCE.md section 3).

Each training clip is scored once with the SyncNet evaluator by the LSE protocol
(:func:`lipsync.evaluation.sync_clip.score_clip`: AV offset and confidence = median - min of
the per-offset distance curve). :func:`decide` then drops clips under ``min_confidence`` or
whose ``|offset|`` exceeds ``max_offset``, and realigns to 0 the rest whose ``|offset|`` exceeds
``offset_tolerance`` (LatentSync realigns every nonzero offset; our evaluator's offsets are
trusted to +-1 frame, its self-checks' tolerance, and realigning its one-frame misses moved
clean clips off sync);
:func:`realign` applies the shift to one shard sample. :func:`ground_truth_figures` scores the
decisions against the corpus truth (``audio_shift_frames``).

Written here, not taken from a library: the only public implementation is LatentSync's
training-data script, which runs the official SyncNet over whole videos with ffmpeg and
cannot act on our WebDataset samples.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lipsync.audio.mel import MelSettings, mel_start_index
from lipsync.data.shards import Sample
from lipsync.evaluation.settings import SyncFilterSettings

KEPT, REALIGNED, LOW_CONFIDENCE, BEYOND_OFFSET = "kept", "realigned", "dropped_low_confidence", "dropped_offset"
DECISIONS = (KEPT, REALIGNED, LOW_CONFIDENCE, BEYOND_OFFSET)


def decide(offset: int, confidence: float, settings: SyncFilterSettings) -> str:
    """One clip's fate, one of :data:`DECISIONS` (confidence is checked first, as LatentSync does)."""
    if confidence < settings.min_confidence:
        return LOW_CONFIDENCE
    if abs(offset) > settings.max_offset:
        return BEYOND_OFFSET
    return REALIGNED if abs(offset) > settings.offset_tolerance else KEPT


def realign(sample: Sample, offset: int, window: int, mel: MelSettings) -> Sample | None:
    """``sample`` with its audio delayed by ``offset`` frames (syncnet_python's sign: the sound
    of video frame i sits at audio frame i - offset), or None when too little is left.

    The sample's own audio covers its frames [s, s + T) only, so frames whose sound lies outside
    it are cut: video frames [s + max(0, o), s + T + min(0, o)), then trimmed at the end to whole
    ``window``-frame windows. ``meta['audio_start_frame']`` records the frame its mel and audio
    now start at (:func:`lipsync.training.windows.mel_offset` reads mel from there);
    ``meta['audio_offset_frames']`` the offset undone.
    """
    meta, fps = sample.meta, sample.meta["fps"]
    start, count = int(meta["start_frame"]), len(sample.frames)
    first = max(0, offset)  # relative video frame
    kept = (count - abs(offset)) // window * window
    if kept < window:
        return None
    sound = first - offset  # relative audio frame of video frame ``first`` (>= 0)
    m0 = mel_start_index(start + sound, fps, mel) - int(meta["mel_start"])
    width = round(kept * mel.frames_per_second / fps)
    per_frame = int(meta["sample_rate"]) // fps
    audio = None if sample.audio is None else sample.audio[sound * per_frame : (sound + kept) * per_frame]
    moved = {
        "start_frame": start + first,
        "frames": kept,
        "mel_start": mel_start_index(start + sound, fps, mel),
        "audio_start_frame": start + sound,
        "audio_offset_frames": offset,
    }
    return dataclasses.replace(
        sample,
        frames=sample.frames[first : first + kept],
        mel=np.ascontiguousarray(sample.mel[:, m0 : m0 + width]),
        boxes=sample.boxes[first : first + kept],
        landmarks=sample.landmarks[first : first + kept],
        meta=meta | moved,
        audio=audio,
    )


def ground_truth_figures(offsets: np.ndarray, decisions: list[str], truth: np.ndarray) -> dict[str, float | int]:
    """The filter's decisions against the true shifts, per clip.

    offsets: int (N,) found AV offsets; decisions: (N,) of :data:`DECISIONS`; truth: int (N,)
    ``audio_shift_frames`` (same sign). Flagged = dropped or realigned, dirty = truth != 0.
    precision / recall: of flagged against dirty (None without flagged / dirty clips);
    offset_precision / offset_recall: the same for the clips flagged by their offset alone
    (realigned or dropped beyond ``max_offset``: confidence left aside);
    realigned_correct: share of realigned dirty clips whose offset equals the truth;
    clean_dropped: clean clips lost.
    """
    flagged = np.asarray([d != KEPT for d in decisions])
    by_offset = np.asarray([d in (REALIGNED, BEYOND_OFFSET) for d in decisions])
    dirty = np.asarray(truth) != 0
    realigned_dirty = np.asarray([d == REALIGNED for d in decisions]) & dirty
    hits = int((flagged & dirty).sum())
    return {
        "clips": len(decisions),
        "dirty": int(dirty.sum()),
        "flagged": int(flagged.sum()),
        "precision": hits / int(flagged.sum()) if flagged.any() else None,
        "recall": hits / int(dirty.sum()) if dirty.any() else None,
        "offset_precision": int((by_offset & dirty).sum()) / int(by_offset.sum()) if by_offset.any() else None,
        "offset_recall": int((by_offset & dirty).sum()) / int(dirty.sum()) if dirty.any() else None,
        "realigned_dirty": int(realigned_dirty.sum()),
        "realigned_correct": (
            float(np.mean(np.asarray(offsets)[realigned_dirty] == np.asarray(truth)[realigned_dirty]))
            if realigned_dirty.any()
            else None
        ),
        "clean_dropped": int((np.asarray([d.startswith("dropped") for d in decisions]) & ~dirty).sum()),
    }
