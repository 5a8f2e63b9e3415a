"""Stage faces on ingested videos: crops and tracks, and the face-level bad-input cases."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from skimage import data

from lipsync.corpus.baseline_cpu import run_pinned
from lipsync.faces.synthetic import moving_face_clip
from lipsync.media.probe import MediaError
from lipsync.media.writer import write_mp4
from lipsync.stages import faces, ingest
from lipsync.stages.faces_passes import write_crops
from tests.builders import gradient_frames, make_project, tone
from tests.stages.faces_reference import whole_clip_reference

ASTRONAUT_BOX = (181.0, 86.0, 269.0, 178.0)


def face_clip(length: int, size: int = 128) -> np.ndarray:
    frames, _ = moving_face_clip(data.astronaut(), np.array(ASTRONAUT_BOX), length, size, 0.45)
    return frames


def save(path, frames):
    write_mp4(path, frames, 25, tone(len(frames) / 25), 16000, crf=20, threads=1, preset="ultrafast")


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    project = make_project(
        tmp_path_factory.mktemp("faces") / "proj", {"paths": {"raw_videos": "raw"}, "ingest": {"workers": 1}}
    )
    raw = project.layout.raw_videos
    raw.mkdir(parents=True)
    save(raw / "good.mp4", face_clip(40))
    save(raw / "noface.mp4", gradient_frames(30, 128, 128))
    left, right = face_clip(30), face_clip(30)[:, :, ::-1]
    save(raw / "twofaces.mp4", np.concatenate([left, right], axis=2))  # (30, 128, 256, 3)
    gappy = face_clip(60)
    gappy[30:33] = 127  # face gone for 3 frames,
    gappy[36:40] = 127  # back for 3 (shorter than a sync window), gone again for 4
    save(raw / "gappy.mp4", gappy)
    ingest.run(project.params, project.layout)
    summary = faces.run(project.params, project.layout)
    table = pd.read_parquet(project.layout.faces_manifest)
    sources = pd.read_parquet(project.layout.ingest_manifest).set_index("video_id").source
    table["source"] = table.video_id.map(sources)
    return project, summary, table.set_index("source")


def test_good_clip_gives_crops_tracks_and_landmarks(processed):
    project, summary, table = processed
    row = table.loc["good.mp4"]
    assert row.status == "ok" and row.frames == 40 and row.face_frames == 40
    crops = np.load(project.layout.face_crops(row.video_id))
    track = np.load(project.layout.face_track(row.video_id))
    assert crops.shape == (40, 96, 96, 3) and crops.dtype == np.uint8 and crops.std() > 20
    assert track["boxes"].shape == (40, 4) and track["landmarks"].shape == (40, 5, 2)
    eyes_y = track["landmarks"][:, :2, 1].mean(axis=1)
    mouth_y = track["landmarks"][:, 3:, 1].mean(axis=1)
    assert np.all(mouth_y > eyes_y + 5)  # mouth below the eyes on every frame
    assert track["segments"].tolist() == [[0, 40]]
    assert project.layout.faces_contact_sheet.exists()
    assert summary["frames_per_second"] > 0


def test_face_level_bad_inputs(processed):
    project, summary, table = processed
    assert table.loc["noface.mp4"].status == "rejected"
    assert "no face" in table.loc["noface.mp4"].reason
    assert table.loc["twofaces.mp4"].status == "rejected"
    assert table.loc["twofaces.mp4"].reason.startswith("2 faces found")
    assert "of similar size" in table.loc["twofaces.mp4"].reason
    gappy = table.loc["gappy.mp4"]
    assert gappy.status == "ok"
    record = json.loads(project.layout.face_record(gappy.video_id).read_text())
    every = project.params.faces.tracker.detect_every
    back = -(-40 // every) * every  # a returning face is picked up at the next full detection
    assert record["segments"] == [[0, 30], [back, 60]]
    assert any("split into 2 piece(s) at the gaps" in n for n in record["notes"])
    assert summary["rejected"] == 2 and summary["ok"] == 2
    track = np.load(project.layout.face_track(gappy.video_id))
    assert not track["present"][30:back].any() and track["present"][:30].all() and track["present"][back:].all()


def test_rerun_is_incremental(processed):
    project, _, _ = processed
    again = faces.run(project.params, project.layout)
    assert again["processed"] == 0 and again["up_to_date"] == 4


def assert_same_as_whole_clip(video, crops_path, track_path, params, pinned: bool = False) -> None:
    """``pinned``: compute the reference as the stage's workers do (:func:`records.video_pool`),
    whose pinned libraries give other bytes than this process's on a machine with AVX2."""
    crops, arrays = run_pinned(whole_clip_reference, video, params) if pinned else whole_clip_reference(video, params)
    assert crops_path.read_bytes() == crops  # byte for byte, header included
    stored = np.load(track_path)
    for name, expected in arrays.items():
        assert stored[name].dtype == expected.dtype and stored[name].tobytes() == expected.tobytes(), name


@pytest.mark.parametrize("source", ["good.mp4", "gappy.mp4"])
def test_streamed_outputs_equal_the_whole_clip_in_memory(processed, source):
    project, _, table = processed
    video_id = table.loc[source].video_id
    layout = project.layout
    video = layout.normalised_video(video_id)
    assert_same_as_whole_clip(video, layout.face_crops(video_id), layout.face_track(video_id), project.params, True)


def test_chunks_smaller_than_the_clip_give_the_same_outputs(processed, tmp_path):
    """Tracking and cropping cross chunk boundaries (40 frames in chunks of 15) without a trace."""
    project, _, table = processed
    faces_settings = project.params.faces
    tracker = dataclasses.replace(faces_settings.tracker, batch=15)
    params = dataclasses.replace(project.params, faces=dataclasses.replace(faces_settings, tracker=tracker))
    video = project.layout.normalised_video(table.loc["good.mp4"].video_id)
    record = faces.faces_video(video, tmp_path / "crops.npy", tmp_path / "track.npz", params)
    assert record["status"] == "ok" and record["frames"] == 40
    assert_same_as_whole_clip(video, tmp_path / "crops.npy", tmp_path / "track.npz", params)


def test_a_second_decode_of_another_length_is_rejected(processed, tmp_path):
    project, _, table = processed
    video = project.layout.normalised_video(table.loc["good.mp4"].video_id)
    boxes = np.zeros((39, 4), np.float32)  # one frame fewer than the video has
    with pytest.raises(MediaError, match="more than the first's 39 frames"):
        write_crops(tmp_path / "crops.npy", video, boxes, 96, project.params.faces.crop, 15)
    assert not any(tmp_path.iterdir())  # no partial file left
