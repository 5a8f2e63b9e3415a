"""The syncfilter benchmark's threshold table, on hand-made scores."""

from __future__ import annotations

import pytest

from lipsync.bench.syncfilter_bench import threshold_table
from lipsync.evaluation.settings import SyncSettings
from lipsync.evaluation.sync_filter import SyncFilterSettings

ROWS = [  # four clean clips; their shifted copies: found, found, one frame out, beyond max_offset
    {"clean_confidence": 0.2, "clean_offset": -1, "dirty_confidence": 0.1, "shift": 4, "dirty_offset": 4},
    {"clean_confidence": 1.0, "clean_offset": 0, "dirty_confidence": 0.9, "shift": -5, "dirty_offset": -5},
    {"clean_confidence": 2.0, "clean_offset": 0, "dirty_confidence": 2.0, "shift": 3, "dirty_offset": 2},
    {"clean_confidence": 4.0, "clean_offset": 0, "dirty_confidence": 4.0, "shift": 9, "dirty_offset": 9},
]


def settings(tolerance: int) -> SyncFilterSettings:
    return SyncFilterSettings(min_confidence=0.5, max_offset=6, offset_tolerance=tolerance, min_evaluator_accuracy=0.6,
                              sync=SyncSettings(max_offset=15, batch_size=8))  # fmt: skip


def test_threshold_table_counts_what_is_kept_and_what_stays_off():
    table = threshold_table(ROWS, settings(0), share=0.5)
    assert table["dirty_offset_exact"] == 0.75 and table["dirty_offset_within_1"] == 1.0
    assert table["clean_offset_zero"] == 0.75
    by = {row["min_confidence"]: row for row in table["thresholds"]}
    assert {0.0, 0.5, 3.0} <= set(by)
    assert by[0.0]["clean_kept"] == 1.0 and by[0.0]["dirty_kept"] == 0.75  # the 9-frame shift is dropped
    # kept: 0.5 * 1 + 0.5 * 0.75; off sync: clean -1 (0.5 * 0.25) and the 3 found as 2 (0.5 * 0.25)
    assert by[0.0]["data_kept"] == pytest.approx(0.875)
    assert by[0.0]["kept_off_sync"] == pytest.approx(0.25 / 0.875, abs=1e-4)
    assert by[0.5]["clean_kept"] == 0.75 and by[0.5]["dirty_kept"] == 0.5
    assert by[0.5]["kept_off_sync"] == pytest.approx(0.125 / 0.625, abs=1e-4)  # only the one-frame miss is left
    assert by[3.0]["clean_kept"] == 0.25 and by[3.0]["dirty_kept"] == 0.0


def test_threshold_table_follows_the_stages_offset_tolerance():
    """At tolerance 1 the clean clip found at -1 is kept as it is (in sync), not moved one frame
    off; the shift of 3 found as 2 is realigned by 2 and stays one frame off."""
    by = {row["min_confidence"]: row for row in threshold_table(ROWS, settings(1), share=0.5)["thresholds"]}
    assert by[0.0]["clean_kept"] == 1.0 and by[0.0]["dirty_kept"] == 0.75
    assert by[0.0]["kept_off_sync"] == pytest.approx(0.125 / 0.875, abs=1e-4)
