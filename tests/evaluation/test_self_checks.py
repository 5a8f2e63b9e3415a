"""Self-checks: each passes only with the required share of clips, and all must pass for LSE
figures to be reliable."""

from __future__ import annotations

import numpy as np

from lipsync.evaluation.self_checks import reliable, self_checks
from lipsync.evaluation.settings import SelfCheckSettings
from lipsync.evaluation.sync import SyncScores

SETTINGS = SelfCheckSettings(shifts=(-5, 3), tolerance=1, min_share=0.9)


def scores(offset: int, lse_d: float = 6.0, lse_c: float = 3.0) -> SyncScores:
    return SyncScores(np.arange(-15, 16), np.zeros(31, np.float32), np.zeros((1, 31), np.float32), lse_d, lse_c,
                      offset)  # fmt: skip


def test_all_pass_when_every_clip_behaves():
    own = [scores(0), scores(1)]
    mismatched = [scores(4, lse_d=8.0, lse_c=1.0)] * 2
    shifts = [{-5: scores(-5), 3: scores(3)}, {-5: scores(-6), 3: scores(2)}]
    checks = self_checks(own, mismatched, shifts, SETTINGS)
    assert [c.name for c in checks] == ["offset_zero", "shift_-5", "shift_3", "mismatched_audio"]
    assert all(c.passed and c.share == 1.0 for c in checks) and reliable(checks)


def test_one_bad_clip_in_ten_passes_two_fail():
    own = [scores(0)] * 9 + [scores(7)]
    shifts = [{-5: scores(-5), 3: scores(3)}] * 8 + [{-5: scores(0), 3: scores(0)}] * 2
    mismatched = [scores(4, lse_d=8.0, lse_c=1.0)] * 10
    checks = {c.name: c for c in self_checks(own, mismatched, shifts, SETTINGS)}
    assert checks["offset_zero"].passed and checks["offset_zero"].share == 0.9
    assert not checks["shift_-5"].passed and checks["shift_-5"].share == 0.8
    assert "8 of 10 clips" in checks["shift_-5"].detail
    assert not reliable(list(checks.values()))


def test_mismatched_audio_needs_both_figures_and_another_clip():
    own = [scores(0, lse_d=6.0, lse_c=3.0)]
    higher_distance_only = [scores(0, lse_d=7.0, lse_c=3.5)]  # LSE-C not lower: fails
    shifts = [{-5: scores(-5), 3: scores(3)}]
    checks = {c.name: c for c in self_checks(own, higher_distance_only, shifts, SETTINGS)}
    assert not checks["mismatched_audio"].passed
    alone = {c.name: c for c in self_checks(own, [], shifts, SETTINGS)}  # a single clip: no other audio
    assert not alone["mismatched_audio"].passed and alone["mismatched_audio"].clips == 0
