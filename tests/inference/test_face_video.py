"""Face frames: output size, 25 fps slots from any frame rate, ping-pong looping, reading back by seeking."""

from __future__ import annotations

import numpy as np
import pytest

from lipsync.inference.face_video import (
    FaceInputError,
    decode,
    fit,
    frames_in_order,
    output_size,
    pingpong,
    read_image,
    slot_frames,
    video_info,
)
from lipsync.media.writer import write_mp4


def numbered_frames(count: int, size: int = 32) -> np.ndarray:
    """uint8 (count, size, size, 3): frame i is flat grey level 8 i (tells frames apart after H.264)."""
    return np.stack([np.full((size, size, 3), 8 * i, np.uint8) for i in range(count)])


def frame_number(frame: np.ndarray) -> int:
    return int(round(float(frame.mean()) / 8))


def test_pingpong_plays_forwards_then_backwards_and_never_repeats_a_turning_frame():
    assert pingpong(10, 4).tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert pingpong(3, 5).tolist() == [0, 1, 2]  # a face video longer than the audio: cut
    assert pingpong(4, 1).tolist() == [0, 0, 0, 0]  # a still
    assert pingpong(10, 4, start=6).tolist() == [0, 1, 2, 3]  # the same frames from the middle (streaming)


def test_slots_resample_any_frame_rate_to_25():
    assert slot_frames(np.arange(10) / 25, 25).tolist() == list(range(10))
    assert slot_frames(np.arange(6) / 50, 25).tolist() == [0, 2, 4]  # 50 fps: every other frame
    assert slot_frames(np.arange(3) / 12.5, 25).tolist() == [0, 0, 1, 1, 2, 2]  # 12.5 fps: each twice
    assert len(slot_frames(np.arange(30) / 30, 25)) == 25  # one second is 25 slots


def test_output_size_is_even_and_bounded():
    assert output_size(1280, 720, 1920) == (1280, 720)
    assert output_size(641, 481, 1920) == (640, 480)
    assert output_size(4000, 3000, 1920) == (1920, 1440)
    assert fit(np.zeros((481, 641, 3), np.uint8), (640, 480)).shape == (480, 640, 3)


@pytest.mark.parametrize("cache_frames", [64, 5])  # all in memory / backward runs re-read by seeking
def test_frames_in_order_follows_any_schedule(tmp_path, cache_frames):
    path = tmp_path / "numbers.mp4"
    write_mp4(path, numbered_frames(24), 25, None, 16000, crf=0, threads=1, preset="ultrafast")
    width, height, tick = video_info(path)
    pts = np.array([p for p, _ in decode(path, (width, height))])
    assert len(pts) == 24 and tick > 0
    order = slot_frames(pts * tick, 25)[pingpong(60, 24)]
    got = [frame_number(f) for f in frames_in_order(path, (width, height), pts, order, cache_frames)]
    assert got == order.tolist()
    forwards = np.array([0, 0, 1, 3, 3, 4, 9, 23])  # never back: decoded as it goes, whatever the cache
    got = [frame_number(f) for f in frames_in_order(path, (width, height), pts, forwards, cache_frames)]
    assert got == forwards.tolist()


def test_unreadable_faces_name_the_file(tmp_path):
    with pytest.raises(FaceInputError, match=r"nope\.png: no such file"):
        read_image(tmp_path / "nope.png")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(FaceInputError, match=r"bad\.jpg: not a readable image"):
        read_image(bad)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(FaceInputError, match=r"notes\.mp4: not a media file"):
        video_info(text)
