"""Tests for lipsync.media.probe and reader timing: start times, display rotation, pixel format."""

import numpy as np
import pytest

from lipsync.media.probe import probe
from lipsync.media.reader import read_timed_audio
from tests.av_files import RATE, remux, write_av


def test_probe_reads_rotation_pixel_format_and_the_first_video_time(tmp_path):
    write_av(tmp_path / "a.mp4", video_s=1.0, rotation=-90, pix_fmt="yuv444p")
    info = probe(tmp_path / "a.mp4")
    assert (info.rotation, info.pix_fmt, info.video_start_s) == (270, "yuv444p", 0.0)
    write_av(tmp_path / "b.mp4", video_s=1.0)
    assert (probe(tmp_path / "b.mp4").rotation, probe(tmp_path / "b.mp4").pix_fmt) == (0, "yuv420p")


def test_timed_audio_starts_where_the_container_shows_it(tmp_path):
    write_av(tmp_path / "late.mkv", video_s=2.0, audio_start_s=0.5, click_frame=25)
    audio = read_timed_audio(tmp_path / "late.mkv", RATE)
    assert audio.start_s == pytest.approx(0.5) and audio.codec_frame_s == pytest.approx(1024 / RATE)
    click = audio.start_s + np.argmax(np.abs(audio.samples) > 0.3) / RATE
    assert click == pytest.approx(1.0, abs=1e-3)
    # a stream-copy remux to Matroska loses the MP4 edit list that hid the AAC priming: the video
    # is delayed by it instead, and the click stays 1.0 s after the first video frame
    write_av(tmp_path / "plain.mp4", video_s=2.0, click_frame=25)
    remux(tmp_path / "plain.mp4", tmp_path / "plain.mkv")
    audio, info = read_timed_audio(tmp_path / "plain.mkv", RATE), probe(tmp_path / "plain.mkv")
    click = audio.start_s + np.argmax(np.abs(audio.samples) > 0.3) / RATE - info.video_start_s
    assert info.video_start_s == pytest.approx(0.064) and click == pytest.approx(1.0, abs=1e-3)
