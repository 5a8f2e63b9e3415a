"""The sync filter's decisions, its realignment of a shard sample, and its figures against the truth."""

from __future__ import annotations

import numpy as np
import pytest

from lipsync.audio.mel import mel_start_index
from lipsync.data.shards import Sample
from lipsync.evaluation.settings import SyncSettings
from lipsync.evaluation.sync_filter import (
    BEYOND_OFFSET,
    KEPT,
    LOW_CONFIDENCE,
    REALIGNED,
    SyncFilterSettings,
    decide,
    ground_truth_figures,
    realign,
)
from lipsync.training.windows import WindowGeometry, mel_window
from tests.builders import loaded_params

SEARCH = SyncSettings(max_offset=15, batch_size=64)
SETTINGS = SyncFilterSettings(
    min_confidence=3.0, max_offset=6, offset_tolerance=0, min_evaluator_accuracy=0.6, sync=SEARCH
)


@pytest.mark.parametrize(
    ("offset", "confidence", "decision"),
    [(0, 3.0, KEPT), (0, 2.99, LOW_CONFIDENCE), (6, 5.0, REALIGNED), (-6, 3.0, REALIGNED), (7, 9.0, BEYOND_OFFSET),
     (-12, 9.0, BEYOND_OFFSET), (12, 1.0, LOW_CONFIDENCE)],
)  # fmt: skip
def test_latentsync_decisions(offset, confidence, decision):
    assert decide(offset, confidence, SETTINGS) == decision


@pytest.mark.parametrize(
    ("offset", "decision"),
    [(0, KEPT), (1, KEPT), (-1, KEPT), (2, REALIGNED), (-2, REALIGNED), (6, REALIGNED), (-7, BEYOND_OFFSET)],
)
def test_offsets_within_the_tolerance_are_kept_as_they_are(offset, decision):
    tolerant = SyncFilterSettings(min_confidence=3.0, max_offset=6, offset_tolerance=1, min_evaluator_accuracy=0.6,
                                  sync=SEARCH)  # fmt: skip
    assert decide(offset, 3.0, tolerant) == decision
    assert decide(offset, 2.9, tolerant) == LOW_CONFIDENCE  # confidence still comes first


@pytest.mark.parametrize(
    ("max_offset", "tolerance", "message"),
    [(16, 0, r"syncfilter.max_offset must be in \[0, syncfilter.sync.max_offset = 15\], got 16"),
     (6, 7, r"syncfilter.offset_tolerance must be in \[0, syncfilter.max_offset = 6\], got 7"),
     (6, -1, r"syncfilter.offset_tolerance must be in \[0, syncfilter.max_offset = 6\], got -1")],
)  # fmt: skip
def test_limits_outside_their_range_are_refused(max_offset, tolerance, message):
    with pytest.raises(ValueError, match=message):
        SyncFilterSettings(min_confidence=3.0, max_offset=max_offset, offset_tolerance=tolerance,
                           min_evaluator_accuracy=0.6, sync=SEARCH)  # fmt: skip


def segment(start: int = 40, frames: int = 25) -> Sample:
    """A shard sample whose mel column j holds j + m0 and whose audio sample n holds n + a0, so
    every slice shows where it came from; video frame i of the sample shows value i."""
    params = loaded_params()
    m0 = mel_start_index(start, 25, params.mel)
    width = round(frames * params.mel.frames_per_second / 25)
    mel = np.tile(np.arange(m0, m0 + width, dtype=np.float32), (80, 1))  # (80, W)
    faces = np.broadcast_to(np.arange(frames, dtype=np.uint8)[:, None, None, None], (frames, 4, 4, 3)).copy()
    boxes = np.arange(frames * 4, dtype=np.float32).reshape(frames, 4)
    meta = {"video_id": "v", "start_frame": start, "frames": frames, "fps": 25, "mel_start": m0, "sample_rate": 16000}
    audio = (np.arange(frames * 640) % 30000).astype(np.int16)
    return Sample(f"v_{start:06d}", faces, mel, boxes, np.zeros((frames, 5, 2), np.float32), meta, audio)


@pytest.mark.parametrize("offset", [4, -3, 6])
def test_realign_pairs_each_frame_with_the_sound_offset_frames_earlier(offset):
    params = loaded_params()
    original = segment()
    moved = realign(original, offset, 5, params.mel)
    geometry = WindowGeometry(5, 16, params.mel)
    kept = {4: 20, -3: 20, 6: 15}[offset]  # 25 - |offset| cut to whole 5-frame windows
    assert len(moved.frames) == kept and moved.meta["frames"] == kept
    first = max(0, offset)
    assert moved.meta["start_frame"] == 40 + first and moved.meta["audio_offset_frames"] == offset
    assert np.array_equal(moved.frames[:, 0, 0, 0], np.arange(first, first + kept))
    assert np.array_equal(moved.boxes, original.boxes[first : first + kept])
    for frame in range(kept - 4):  # every frame with a full window: its sound is the original's of frame - offset
        expected = mel_start_index(40 + first + frame - offset, 25, params.mel)
        assert mel_window(moved, frame, geometry)[0, 0] == expected
        heard = mel_window(original, first + frame - offset, geometry)
        assert np.array_equal(mel_window(moved, frame, geometry), heard)
    assert np.array_equal(moved.audio, original.audio[(first - offset) * 640 : (first - offset + kept) * 640])


def test_realign_gives_up_when_no_window_is_left():
    params = loaded_params()
    assert realign(segment(frames=10), 6, 5, params.mel) is None
    assert len(realign(segment(frames=10), 5, 5, params.mel).frames) == 5


def test_figures_against_the_truth():
    truth = np.array([0, 0, 0, 4, -5, 9, 3, 0])
    offsets = np.array([0, 2, 0, 4, -4, 9, 0, 0])
    decisions = [KEPT, REALIGNED, LOW_CONFIDENCE, REALIGNED, REALIGNED, BEYOND_OFFSET, KEPT, KEPT]
    figures = ground_truth_figures(offsets, decisions, truth)
    assert figures["dirty"] == 4 and figures["flagged"] == 5
    assert figures["precision"] == pytest.approx(3 / 5) and figures["recall"] == pytest.approx(3 / 4)
    assert figures["offset_precision"] == pytest.approx(3 / 4) and figures["offset_recall"] == pytest.approx(3 / 4)
    assert figures["realigned_dirty"] == 2 and figures["realigned_correct"] == pytest.approx(0.5)
    assert figures["clean_dropped"] == 1
    clean = ground_truth_figures(np.zeros(2, int), [KEPT, KEPT], np.zeros(2, int))
    assert clean["precision"] is None and clean["recall"] is None and clean["realigned_correct"] is None
