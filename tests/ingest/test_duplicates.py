"""Content prints: byte copies and remuxes share the packet digest; a re-encode is perceptually
close; a different clip (or the same pictures with other sound) is not."""

from __future__ import annotations

import numpy as np
import pytest

from lipsync.ingest.duplicates import audio_difference_db, content_print, dhash, frame_distance, same_content
from lipsync.media.writer import write_mp4
from tests.av_files import remux
from tests.builders import gradient_frames, tone, write_clip

MAX_BITS, MAX_DB = 3.0, 3.0  # params.yaml ingest.duplicate_max_bits / duplicate_max_audio_db


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prints")
    frames = gradient_frames(50)
    write_clip(folder / "a.mp4", frames=frames)
    remux(folder / "a.mp4", folder / "a.mkv")
    write_mp4(folder / "a_crf35.mp4", frames, 25, tone(2.0), 16000, crf=35, threads=1, preset="ultrafast")
    write_clip(folder / "mirrored.mp4", frames=np.ascontiguousarray(frames[:, :, ::-1]))
    write_mp4(folder / "other_sound.mp4", frames, 25, tone(2.0) * np.repeat([1.0, 0.01], 16000).astype(np.float32),
              16000, crf=23, threads=1, preset="ultrafast")  # fmt: skip
    return {path.name: content_print(path, 8) for path in sorted(folder.iterdir())}


def test_a_remux_has_the_same_stream_digest(clips):
    assert clips["a.mkv"].streams == clips["a.mp4"].streams
    assert same_content(clips["a.mp4"], clips["a.mkv"], MAX_BITS, MAX_DB, 25) == "the same audio and video streams"


def test_a_reencode_is_within_the_thresholds_and_a_different_clip_is_not(clips):
    a, again, mirrored = clips["a.mp4"], clips["a_crf35.mp4"], clips["mirrored.mp4"]
    assert again.streams != a.streams and frame_distance(a, again) <= 0.5 and audio_difference_db(a, again) < 0.5
    assert same_content(a, again, MAX_BITS, MAX_DB, 25).startswith("a re-encoded copy")
    assert frame_distance(a, mirrored) >= 5.0  # measured 5.75: the margin over the 3-bit threshold
    assert same_content(a, mirrored, MAX_BITS, MAX_DB, 25) == ""


def test_the_same_pictures_with_other_sound_are_not_a_duplicate(clips):
    a, dubbed = clips["a.mp4"], clips["other_sound.mp4"]
    assert frame_distance(a, dubbed) <= 0.5 and audio_difference_db(a, dubbed) > 10
    assert same_content(a, dubbed, MAX_BITS, MAX_DB, 25) == ""


def test_dhash_bits_follow_the_horizontal_gradient():
    ramp = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (64, 1))  # brighter to the right
    assert dhash(ramp) == 2**64 - 1 and dhash(ramp[:, ::-1]) == 0
