"""Train/val/test assignment by speaker (never by clip), from globs and an id hash."""

from __future__ import annotations

import fnmatch
import hashlib


def speaker_split(speaker: str, split, corpus_split: str | None = None) -> str:
    """``split`` is :class:`lipsync.data.settings.SplitSettings`; test globs win over val globs.

    Speakers matching no glob take ``corpus_split``, the split the corpus gave them (by the
    identity of their face, so no face is in two splits), when they are corpus speakers; the
    others go to test / val by a stable hash of their id with the given fractions, and to
    train otherwise.
    """
    if any(fnmatch.fnmatchcase(speaker, g) for g in split.test):
        return "test"
    if any(fnmatch.fnmatchcase(speaker, g) for g in split.val):
        return "val"
    if corpus_split is not None:
        return corpus_split
    u = int(hashlib.sha256(speaker.encode()).hexdigest()[:8], 16) / 0x100000000  # uniform in [0, 1)
    if u < split.test_fraction:
        return "test"
    if u < split.test_fraction + split.val_fraction:
        return "val"
    return "train"


def segment_bounds(runs: list[tuple[int, int]], segment_frames: int, window: int) -> list[tuple[int, int]]:
    """Cut face runs [start, stop) into segments of ``segment_frames``.

    The last piece of a run is kept when it holds at least one sync window, trimmed to a
    multiple of ``window`` frames.
    """
    out = []
    for start, stop in runs:
        s = start
        while s < stop:
            length = min(segment_frames, stop - s)
            length -= length % window
            if length < window:
                break
            out.append((s, s + length))
            s += length
    return out
