"""Checks that an evaluator measures sync rather than faces, on the real held-out clips.

1. ``offset_zero``: with its own audio, a real clip's AV offset is 0 (within ``tolerance``).
2. ``shift_<k>``: with its audio advanced by k frames (:func:`lipsync.evaluation.clip.shifted`)
   the offset found is k (within ``tolerance``); one check per k in ``shifts``.
3. ``mismatched_audio``: a clip's LSE-C with its own audio is above its LSE-C with another
   clip's audio, and its LSE-D below. (A shift within the search range only moves the
   minimum, so it says nothing about LSE-C; a different clip's audio does.)

Each passes when at least ``min_share`` of the clips pass it. When any fails, every LSE
figure made with this evaluator is unreliable, and the report and the registry say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.evaluation.clip import EvalClip, shifted
from lipsync.evaluation.settings import SelfCheckSettings, SyncSettings
from lipsync.evaluation.sync import SyncScores, sync_scores
from lipsync.evaluation.sync_clip import SyncEvaluator, audio_embeddings, check_clip, face_embeddings


@dataclass(frozen=True)
class SelfCheck:
    """name; share: clips passing / clips; passed: share >= the required share; detail: one line."""

    name: str
    share: float
    clips: int
    passed: bool
    detail: str


def shift_scores(
    evaluator: SyncEvaluator, clip: EvalClip, shifts: tuple[int, ...], settings: SyncSettings
) -> dict[int, SyncScores]:
    """The real clip scored against its audio shifted by each k (face embeddings computed once)."""
    windows = check_clip(clip.frames, clip.audio, clip.clip_id)
    video = face_embeddings(evaluator, clip.frames, windows, settings.batch_size)
    out = {}
    for k in shifts:
        audio = audio_embeddings(evaluator, shifted(clip, k), windows, settings.batch_size)
        out[k] = sync_scores(video, audio, settings.max_offset)
    return out


def self_checks(
    own: list[SyncScores],
    mismatched: list[SyncScores],
    shifts: list[dict[int, SyncScores]],
    settings: SelfCheckSettings,
) -> list[SelfCheck]:
    """The checks over clip-aligned lists: own audio, another clip's audio, shifted audio."""
    tolerance = settings.tolerance
    checks = [_check("offset_zero", [abs(s.offset) <= tolerance for s in own], settings,
                     f"AV offset of real clips within +-{tolerance} of 0")]  # fmt: skip
    for k in settings.shifts:
        found = [abs(s[k].offset - k) <= tolerance for s in shifts]
        checks.append(
            _check(f"shift_{k}", found, settings, f"audio advanced {k:+d} frames found as {k:+d} +-{tolerance}")
        )
    # with a single clip there is no other clip's audio: the check has no clip and fails
    pairs = zip(own, mismatched, strict=True) if mismatched else []
    better = [o.lse_c > m.lse_c and o.lse_d < m.lse_d for o, m in pairs]
    checks.append(
        _check("mismatched_audio", better, settings, "own audio: higher LSE-C and lower LSE-D than another clip's")
    )
    return checks


def reliable(checks: list[SelfCheck]) -> bool:
    return bool(checks) and all(c.passed for c in checks)


def _check(name: str, outcomes: list[bool], settings: SelfCheckSettings, what: str) -> SelfCheck:
    share = float(np.mean(outcomes)) if outcomes else 0.0
    passed = bool(outcomes) and share >= settings.min_share
    detail = f"{what}: {sum(outcomes)} of {len(outcomes)} clips ({share:.0%}; needs {settings.min_share:.0%})"
    return SelfCheck(name, share, len(outcomes), passed, detail)
