"""Stage ingest on real footage's faults: stream start offsets, rotation, lengths, pixel formats.

Every file is made by the test (:mod:`tests.av_files`): 25 fps H.264 frames and a 16 kHz AAC
track whose start time, length, display matrix or pixel format the test chooses.
"""

from __future__ import annotations

import av
import numpy as np
import pandas as pd
import pytest
import soundfile

from lipsync.ingest.normalise import normalise_video
from lipsync.media.probe import probe
from lipsync.media.reader import read_frames
from lipsync.stages import ingest
from tests.av_files import FPS, RATE, remux, write_av


def manifest(project):
    return pd.read_parquet(project.layout.ingest_manifest).set_index("source")


def click_time(wav) -> float:
    audio, rate = soundfile.read(wav)
    return float(np.argmax(np.abs(audio) > 0.3) / rate)


@pytest.mark.parametrize(
    ("name", "start", "remuxed", "note"),
    [
        # MP4 shows the AAC encoder's 1024 priming samples (64 ms) before the first written sample
        ("late.mp4", 0.94, False, "audio starts 0.876 s after the video"),
        ("late.mkv", 0.94, False, "audio starts 0.940 s after the video"),
        ("early.mkv", -0.3, False, "audio starts 0.300 s before the video"),  # the video is delayed instead
        ("remuxed.mkv", 0.0, True, "audio starts 0.064 s before the video"),  # the priming's edit list is lost
    ],
)
def test_stream_start_offsets_keep_the_click_on_its_frame(raw_project, tmp_path, name, start, remuxed, note):
    raw = raw_project.layout.raw_videos
    target = tmp_path / "source.mp4" if remuxed else raw / name
    write_av(target, audio_start_s=start, click_frame=50)
    if remuxed:
        remux(target, raw / name)
    summary = ingest.run(raw_project.params, raw_project.layout)
    row = manifest(raw_project).loc[name]
    assert summary["ok"] == 1, summary["rejections"]
    assert note in row.notes, row.notes
    assert click_time(raw_project.layout.normalised_audio(row.video_id)) == pytest.approx(50 / FPS, abs=1 / FPS)
    with av.open(str(raw_project.layout.normalised_video(row.video_id))) as clip:  # the mp4's own track too
        heard = np.concatenate([f.to_ndarray().reshape(-1) for f in clip.decode(audio=0)])
    assert np.argmax(np.abs(heard) > 0.3) / RATE == pytest.approx(50 / FPS, abs=1 / FPS)


def test_a_display_matrix_is_applied_so_the_clip_is_upright(raw_project):
    raw = raw_project.layout.raw_videos
    frames = np.zeros((25, 48, 64, 3), np.uint8)
    frames[:, :16, :16] = 255  # a white block at the stored picture's top left
    write_av(raw / "portrait.mp4", video_s=1.0, rotation=90, frames=frames)
    summary = ingest.run(raw_project.params, raw_project.layout)
    row = manifest(raw_project).loc["portrait.mp4"]
    assert summary["ok"] == 1, summary["rejections"]
    assert "rotated 90 degrees counterclockwise (display matrix): upright now" in row.notes
    upright = read_frames(raw_project.layout.normalised_video(row.video_id))
    assert upright.shape == (25, 64, 48, 3) and (row.out_width, row.out_height) == (48, 64)
    # turned a quarter counterclockwise, as players show it: the block is now at the bottom left
    assert upright[:, -16:, :16].mean() > 200 and upright[:, :16, :16].mean() < 50
    with av.open(str(raw_project.layout.normalised_video(row.video_id))) as clip:
        assert next(clip.decode(video=0)).rotation == 0


def test_lengths_within_tolerance_are_trimmed_to_the_shorter_with_a_note(raw_project):
    raw = raw_project.layout.raw_videos
    write_av(raw / "short audio.mp4", video_s=2.0, audio_s=1.7)
    write_av(raw / "long audio.mp4", video_s=2.0, audio_s=2.4)
    summary = ingest.run(raw_project.params, raw_project.layout)
    table = manifest(raw_project)
    assert summary["ok"] == 2, summary["rejections"]
    short, long = table.loc["short audio.mp4"], table.loc["long audio.mp4"]
    assert "both trimmed to the audio's" in short.notes, short.notes
    assert "both trimmed to the video's 2.00 s" in long.notes, long.notes
    assert 42 <= short.frames <= 44 and long.frames == 50
    for row in (short, long):
        assert len(read_frames(raw_project.layout.normalised_video(row.video_id))) == row.frames
        audio, _ = soundfile.read(raw_project.layout.normalised_audio(row.video_id))
        assert len(audio) == row.frames * RATE // FPS
    # the longer audio is cut, the video (conforming, not trimmed) is still copied byte for byte
    copied = raw_project.layout.normalised_video(long.video_id).read_bytes()
    assert copied == (raw / "long audio.mp4").read_bytes()


def test_lengths_beyond_tolerance_are_rejected_naming_file_stage_and_both_lengths(raw_project):
    raw = raw_project.layout.raw_videos
    write_av(raw / "one second.mp4", video_s=5.0, audio_s=1.0)
    write_av(raw / "ten seconds.mp4", video_s=2.0, audio_s=10.0)
    summary = ingest.run(raw_project.params, raw_project.layout)
    reasons = summary["rejections"]
    assert summary["ok"] == 0 and summary["rejected"] == 2
    assert reasons["one second.mp4"].startswith("ingest: one second.mp4: audio lasts 1.0")
    assert "and video 5.00 s" in reasons["one second.mp4"]
    assert "ingest.av_length_tolerance_s (0.5 s)" in reasons["one second.mp4"]
    assert reasons["ten seconds.mp4"].startswith("ingest: ten seconds.mp4: audio lasts 10.0")
    assert "and video 2.00 s" in reasons["ten seconds.mp4"]
    assert not list(raw_project.layout.ingest.rglob("*.mp4")) and not list(raw_project.layout.ingest.rglob("*.wav"))
    assert not [p for p in raw_project.layout.ingest.rglob("*") if ".tmp-" in p.name]


@pytest.mark.parametrize("pix_fmt", ["yuv420p10le", "yuv444p"])
def test_high_bit_depth_or_444_h264_is_re_encoded_to_8_bit_420(raw_project, pix_fmt):
    raw = raw_project.layout.raw_videos
    write_av(raw / "deep.mp4", video_s=1.0, pix_fmt=pix_fmt)
    summary = ingest.run(raw_project.params, raw_project.layout)
    row = manifest(raw_project).loc["deep.mp4"]
    assert summary["ok"] == 1, summary["rejections"]
    assert f"re-encoded from h264 {pix_fmt} to yuv420p 8-bit" in row.notes
    out = raw_project.layout.normalised_video(row.video_id)
    assert out.read_bytes() != (raw / "deep.mp4").read_bytes()
    with av.open(str(out)) as clip:
        assert clip.streams.video[0].codec_context.pix_fmt == "yuv420p"
    source, normalised = read_frames(raw / "deep.mp4"), read_frames(out)
    assert normalised.shape == source.shape
    assert np.abs(normalised.astype(int) - source.astype(int)).mean() < 3


def test_a_shifted_rotated_clip_normalises_to_the_same_bytes_twice(raw_project, tmp_path):
    src = tmp_path / "phone.mkv"
    write_av(src, audio_start_s=0.94, rotation=90, click_frame=50)
    info = probe(src)
    for n in (1, 2):
        normalise_video(src, tmp_path / f"v{n}.mp4", tmp_path / f"a{n}.wav", info, raw_project.params.ingest)
    assert (tmp_path / "v1.mp4").read_bytes() == (tmp_path / "v2.mp4").read_bytes()
    assert (tmp_path / "a1.wav").read_bytes() == (tmp_path / "a2.wav").read_bytes()
