"""Stage ingest: probing, normalisation, ids, incrementality and the bad-input suite."""

from __future__ import annotations

import errno
import json
from fractions import Fraction

import av
import numpy as np
import pandas as pd
import pytest
import soundfile

from lipsync.media.probe import MediaError
from lipsync.media.reader import read_frames
from lipsync.media.writer import write_mp4
from lipsync.stages import ingest
from tests.builders import gradient_frames, tone
from tests.builders import write_clip as write


def write_vfr(path, count=40):
    """H.264 with alternating 30 ms / 50 ms frame durations (variable frame rate), plus audio."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=1000)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        video.time_base = Fraction(1, 1000)
        audio = out.add_stream("aac", rate=16000, layout="mono")
        t = 0
        for i, frame in enumerate(gradient_frames(count)):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = t, video.time_base
            out.mux(video.encode(vf))
            t += 30 if i % 2 else 50
        out.mux(video.encode())
        samples = tone(t / 1000)
        for start in range(0, len(samples), 1024):
            af = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
            af.sample_rate, af.pts = 16000, start
            out.mux(audio.encode(af))
        out.mux(audio.encode())


def manifest(project):
    return pd.read_parquet(project.layout.ingest_manifest).set_index("source")


def test_good_file_is_copied_with_aligned_wav_and_content_id(raw_project):
    raw = raw_project.layout.raw_videos
    (raw / "alice").mkdir()
    write(raw / "alice" / "clip one.mp4", seconds=2.0)
    summary = ingest.run(raw_project.params, raw_project.layout)
    row = manifest(raw_project).loc["alice/clip one.mp4"]
    assert summary["ok"] == 1 and row.status == "ok" and row["speaker"] == "alice" and row["clip"] == "clip one"
    assert len(row.video_id) == 16 and "." not in row.video_id and row.sha256.startswith(row.video_id)
    video = raw_project.layout.normalised_video(row.video_id)
    assert video.read_bytes() == (raw / "alice" / "clip one.mp4").read_bytes()  # conforming: copied
    audio, rate = soundfile.read(raw_project.layout.normalised_audio(row.video_id))
    assert rate == 16000 and len(audio) == 2 * 16000 and row.frames == 50
    # incremental: nothing is redone, a new file is the only one processed
    assert ingest.run(raw_project.params, raw_project.layout)["processed"] == 0
    write(raw / "alice" / "clip2.mp4", seconds=1.0)
    again = ingest.run(raw_project.params, raw_project.layout)
    assert again["processed"] == 1 and again["ok"] == 2


def test_bad_inputs_are_rejected_with_specific_reasons_and_the_rest_goes_on(raw_project, tmp_path):
    raw = raw_project.layout.raw_videos
    write(raw / "good.mp4")
    (raw / "empty.mp4").write_bytes(b"")
    (raw / "text.mp4").write_text("this is not a video\n" * 50)
    write(raw / "whole.mp4", seconds=2.0)
    data = (raw / "whole.mp4").read_bytes()
    (raw / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (raw / "whole.mp4").unlink()
    write(raw / "silent.mp4", audio=False)
    write_mp4(raw / "audio_only.mp4", None, 25, tone(1.0), 16000, crf=23, threads=1)
    write(raw / "short.mp4", frames=gradient_frames(3))
    outside = tmp_path / "outside.mp4"
    write(outside)
    (raw / "escape.mp4").symlink_to(outside)
    summary = ingest.run(raw_project.params, raw_project.layout)
    reasons = manifest(raw_project).reason
    assert summary["ok"] == 1 and summary["rejected"] == 7
    assert reasons["empty.mp4"] == "empty file (0 bytes)"
    assert "not a media file" in reasons["text.mp4"]
    assert "truncated" in reasons["truncated.mp4"]
    assert reasons["silent.mp4"] == "no audio stream (video only)"
    assert reasons["audio_only.mp4"] == "no video stream (audio only)"
    assert "shorter than one sync window" in reasons["short.mp4"]
    assert "escapes the data root" in reasons["escape.mp4"]
    assert summary["rejections"]["empty.mp4"] == "empty file (0 bytes)"
    left = [p.name for p in raw_project.layout.ingest.rglob("*") if ".tmp-" in p.name]
    assert left == []
    ids = set(manifest(raw_project).video_id)
    assert {p.stem for p in (raw_project.layout.ingest / "videos").glob("*.mp4")} == {
        manifest(raw_project).loc["good.mp4"].video_id
    }
    assert len(ids) == 8


def test_awkward_inputs_are_normalised_with_notes(raw_project):
    raw = raw_project.layout.raw_videos
    write_vfr(raw / "vfr.mp4")
    write(raw / "big 4K ünïcode.mp4", frames=np.zeros((6, 2160, 3840, 3), np.uint8) + 90)
    write(raw / "thirty.mp4", fps=30, seconds=1.0)
    summary = ingest.run(raw_project.params, raw_project.layout)
    table = manifest(raw_project)
    assert summary["rejected"] == 0, summary["rejections"]
    assert "variable frame rate" in table.notes["vfr.mp4"]
    assert "downscaled from 3840x2160 to 1280x720" in table.notes["big 4K ünïcode.mp4"]
    assert "frame rate 30.000 fps resampled to 25 fps" in table.notes["thirty.mp4"]
    big = read_frames(raw_project.layout.normalised_video(table.video_id["big 4K ünïcode.mp4"]))
    assert big.shape == (6, 720, 1280, 3)
    thirty = read_frames(raw_project.layout.normalised_video(table.video_id["thirty.mp4"]))
    assert len(thirty) == 25
    with av.open(str(raw_project.layout.normalised_video(table.video_id["vfr.mp4"]))) as c:
        assert float(c.streams.video[0].average_rate) == pytest.approx(25.0)


def test_removed_video_is_pruned(raw_project):
    raw = raw_project.layout.raw_videos
    write(raw / "a.mp4")
    write(raw / "b.mp4", seconds=1.2)
    ingest.run(raw_project.params, raw_project.layout)
    (raw / "b.mp4").unlink()
    ingest.run(raw_project.params, raw_project.layout)
    assert list(manifest(raw_project).index) == ["a.mp4"]
    assert len(list((raw_project.layout.ingest / "videos").glob("*.mp4"))) == 1


def test_skipped_entries_are_listed_with_reasons_and_counted(raw_project):
    raw = raw_project.layout.raw_videos
    (raw / "alice").mkdir(parents=True)
    write(raw / "alice" / "a.mp4")
    (raw / "alice" / "copy.mp4").write_bytes((raw / "alice" / "a.mp4").read_bytes())
    (raw / ".Trash-1000" / "files").mkdir(parents=True)
    (raw / ".Trash-1000" / "files" / "old.mp4").write_bytes(b"deleted")
    (raw / "@eaDir").mkdir()
    (raw / "gone.mp4").symlink_to(raw / "nowhere.mp4")
    (raw / "link").symlink_to(raw / "alice")
    (raw / "alice" / "a.txt").write_text("transcript")
    summary = ingest.run(raw_project.params, raw_project.layout)
    assert summary["ok"] == 1 and summary["rejected"] == 0 and summary["skipped_entries"] == 4
    assert summary["other_files"] == 1 and summary["duplicates"] == 1  # the copy: a manifest row, not skipped
    listed = {e["source"]: e["reason"] for e in json.loads(raw_project.layout.ingest_skipped.read_text())}
    assert listed == summary["skipped_reasons"]
    assert listed[".Trash-1000"].startswith("hidden or system folder")
    assert listed["@eaDir"].startswith("hidden or system folder")
    assert listed["gone.mp4"].startswith("dangling link")
    assert listed["link"].startswith("symlinked folder, not followed")
    assert sorted(manifest(raw_project).index) == ["alice/a.mp4", "alice/copy.mp4"]
    assert manifest(raw_project).loc["alice/copy.mp4"].duplicate_of == "alice/a.mp4"


def fail_once(monkeypatch, error, name):
    """Make ``ingest``'s probe (the first decode of a file) raise ``error()`` once, on ``name``;
    returns the names probed. Use with the ``in_process_videos`` fixture (a patch does not
    reach the pinned workers)."""
    calls = []

    def probe(path):
        calls.append(path.name)
        if path.name == name and calls.count(name) == 1:
            raise error()
        return real_probe(path)

    real_probe = ingest.probe
    monkeypatch.setattr(ingest, "probe", probe)
    return calls


def av_disk_full():
    """Raise what the media layer raises when FFmpeg reports ENOSPC: a MediaError over the av error."""
    try:
        av.error.err_check(-errno.ENOSPC)
    except av.error.FFmpegError as exc:
        raise MediaError(f"truncated or corrupt video data: {exc}") from None


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (lambda: MemoryError("cannot allocate 2 GB"), "MemoryError: cannot allocate 2 GB"),
        (lambda: OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (av_disk_full, "No space left on device"),
    ],
)
def test_a_machine_fault_is_recorded_as_failed_and_retried_while_a_corrupt_file_stays_rejected(
    raw_project, monkeypatch, in_process_videos, error, said
):
    raw = raw_project.layout.raw_videos
    write(raw / "good.mp4")
    (raw / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    calls = fail_once(monkeypatch, error, "corrupt.mp4")
    first = ingest.run(raw_project.params, raw_project.layout)
    table = manifest(raw_project)
    assert first["failed"] == 1 and first["success"] is False and first["ok"] == 1
    assert table.status["corrupt.mp4"] == "failed"
    assert table.reason["corrupt.mp4"].startswith("ingest failed on corrupt.mp4, retried on the next run")
    assert said in first["failures"]["corrupt.mp4"]

    second = ingest.run(raw_project.params, raw_project.layout)
    assert second["processed"] == 1 and second["failed"] == 0 and second["success"] is True
    assert manifest(raw_project).status["corrupt.mp4"] == "rejected"

    third = ingest.run(raw_project.params, raw_project.layout)
    assert third["processed"] == 0 and third["rejected"] == 1  # a bad file is not retried
    assert calls.count("corrupt.mp4") == 2


def test_a_failed_good_file_is_accepted_on_the_next_run(raw_project, monkeypatch, in_process_videos):
    raw = raw_project.layout.raw_videos
    write(raw / "good.mp4")
    fail_once(monkeypatch, lambda: OSError(errno.EMFILE, "Too many open files"), "good.mp4")
    assert ingest.run(raw_project.params, raw_project.layout)["failed"] == 1
    again = ingest.run(raw_project.params, raw_project.layout)
    assert again["processed"] == 1 and again["ok"] == 1 and again["failed"] == 0
    assert raw_project.layout.normalised_video(manifest(raw_project).video_id["good.mp4"]).exists()


def test_a_bug_is_not_taken_for_a_machine_fault(raw_project, monkeypatch, in_process_videos):
    write(raw_project.layout.raw_videos / "good.mp4")
    fail_once(monkeypatch, lambda: ValueError("a bug"), "good.mp4")
    with pytest.raises(ValueError, match="a bug"):
        ingest.run(raw_project.params, raw_project.layout)
