"""The expert's views of one shard sample: (face window, audio window) pairs and groups.

A face window i is the lower halves of frames [i, i+5) stacked as 15 channels; its
in-sync audio is the mel window of frame i (:mod:`lipsync.training.windows` timing); an
off-sync audio is the window of a frame j of the same segment with
``negative_offsets[0] <= |j - i| <= negative_offsets[1]``. When the window of i and the
window of j are both silent the pair is never used: a closed mouth fits either.

Pairs (one face, one audio, one label) are the evaluation unit. Training uses groups: one
face window with its in-sync audio and K off-sync windows (``expert_negatives``), so the
expensive face tower runs once for K + 1 labelled pairs; K = 1 is exactly a balanced
in-sync / off-sync couple.
"""

from __future__ import annotations

import numpy as np

from lipsync.data.shards import Sample
from lipsync.training.augment import augment_faces, augment_mel
from lipsync.training.settings import DataSettings
from lipsync.training.windows import WindowGeometry, is_silent, lower_faces, mel_window, window_starts


def offset_choices(i: int, starts: np.ndarray, data: DataSettings) -> np.ndarray:
    """Window starts j (among ``starts``) with min <= |j - i| <= max of ``negative_offsets``."""
    low, high = data.negative_offsets
    distance = np.abs(starts - i)
    return starts[(distance >= low) & (distance <= high)]


def negative_choices(
    sample: Sample, i: int, starts: np.ndarray, geometry: WindowGeometry, data: DataSettings
) -> np.ndarray:
    """Off-sync audio starts j for face window i: :func:`offset_choices` minus, when window i
    is silent, the silent ones. int64 (K,), maybe empty."""
    choices = offset_choices(i, starts, data)
    if is_silent(mel_window(sample, i, geometry), data.silence_level):
        loud = [not is_silent(mel_window(sample, int(j), geometry), data.silence_level) for j in choices]
        choices = choices[np.asarray(loud, dtype=bool)] if len(choices) else choices
    return choices


def negative_for(
    sample: Sample, i: int, starts: np.ndarray, geometry: WindowGeometry, data: DataSettings, rng: np.random.Generator
) -> int | None:
    """One off-sync audio start for face window i, drawn uniformly, or None when there is none."""
    choices = negative_choices(sample, i, starts, geometry, data)
    return int(rng.choice(choices)) if len(choices) else None


def expert_pair(sample: Sample, i: int, j: int, geometry: WindowGeometry) -> dict:
    """Face window i with the audio of window j: label 1.0 when i == j else 0.0.

    Returns {'faces': uint8 (15, S/2, S), 'mel': float32 (1, 80, 16), 'label': float32 ()}.
    """
    return {
        "faces": lower_faces(sample.frames[i : i + geometry.frames]),
        "mel": mel_window(sample, j, geometry)[None].astype(np.float32),
        "label": np.float32(i == j),
    }


def expert_pairs(
    sample: Sample, geometry: WindowGeometry, data: DataSettings, rng: np.random.Generator, count: int
) -> list[dict]:
    """Up to ``count`` (in-sync, off-sync) pair couples from one segment: 2 * count dicts of
    :func:`expert_pair`, balanced; fewer when the segment is too short for an offset."""
    starts = window_starts(sample, geometry, geometry.frames)
    out: list[dict] = []
    for i in rng.choice(starts, size=count) if len(starts) else []:
        j = negative_for(sample, int(i), starts, geometry, data, rng)
        if j is not None:
            out += [expert_pair(sample, int(i), int(i), geometry), expert_pair(sample, int(i), j, geometry)]
    return out


def expert_group(sample: Sample, i: int, negatives: np.ndarray, geometry: WindowGeometry) -> dict:
    """Face window i with its own audio then K off-sync windows.

    Returns {'faces': uint8 (15, S/2, S), 'mel': float32 (1+K, 1, 80, 16),
    'label': float32 (1+K,) = [1, 0, ..., 0]}.
    """
    audio = [mel_window(sample, int(j), geometry)[None] for j in (i, *negatives)]
    return {
        "faces": lower_faces(sample.frames[i : i + geometry.frames]),
        "mel": np.stack(audio).astype(np.float32),
        "label": np.eye(1, len(audio), dtype=np.float32)[0],
    }


def expert_groups(
    sample: Sample, geometry: WindowGeometry, data: DataSettings, rng: np.random.Generator, count: int
) -> list[dict]:
    """Up to ``count`` :func:`expert_group` dicts with ``data.expert_negatives`` negatives each,
    drawn without repetition when the segment offers enough (with it otherwise)."""
    starts = window_starts(sample, geometry, geometry.frames)
    out = []
    for i in rng.choice(starts, size=count) if len(starts) else []:
        choices = negative_choices(sample, int(i), starts, geometry, data)
        if len(choices):
            k = data.expert_negatives
            out.append(expert_group(sample, int(i), rng.choice(choices, size=k, replace=len(choices) < k), geometry))
    return out


def expert_view(sample: Sample, rng: np.random.Generator, geometry: WindowGeometry, data: DataSettings) -> list[dict]:
    """Training view for the expert: ``views_per_segment`` groups, each augmented as one
    (the same transform for its face stack, and one for all its audio windows)."""
    groups = expert_groups(sample, geometry, data, rng, data.views_per_segment)
    for group in groups:
        group["faces"] = augment_faces(group["faces"], rng, data.augment)
        group["mel"] = augment_mel(group["mel"], rng, data.augment)
    return groups
