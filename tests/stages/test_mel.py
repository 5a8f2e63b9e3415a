"""Stage mel: features per ingested video, aligned to 80 frames/s, incremental, and skipped
with the upstream reason when ingest rejected a file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lipsync.stages import ingest, mel
from tests.builders import write_clip


def test_features_per_video_and_skips(raw_project):
    raw = raw_project.layout.raw_videos
    write_clip(raw / "alice.mp4", seconds=2.0)
    (raw / "broken.mp4").write_bytes(b"not a video at all")
    ingest.run(raw_project.params, raw_project.layout)
    summary = mel.run(raw_project.params, raw_project.layout)
    assert (summary["ok"], summary["skipped"], summary["processed"]) == (1, 1, 2)
    frame = pd.read_parquet(raw_project.layout.mel_manifest).set_index("source")
    good, bad = frame.loc["alice.mp4"], frame.loc["broken.mp4"]
    features = np.load(raw_project.layout.mel_features(good.video_id))
    assert features.dtype == np.float32 and features.shape == (80, 2 * 80 + 1)  # centred STFT: N // hop + 1
    assert features.min() >= -4.0 and features.max() <= 4.0 and good.mel_frames == 161
    assert bad.status == "skipped" and bad.reason.startswith("not ingested: ")
    assert not raw_project.layout.mel_features(bad.video_id).exists()
    again = mel.run(raw_project.params, raw_project.layout)
    assert (again["processed"], again["up_to_date"]) == (0, 2)


def test_removed_video_loses_its_features(raw_project):
    raw = raw_project.layout.raw_videos
    write_clip(raw / "a.mp4", seconds=1.0)
    write_clip(raw / "b.mp4", seconds=1.2)
    ingest.run(raw_project.params, raw_project.layout)
    mel.run(raw_project.params, raw_project.layout)
    ids = set(pd.read_parquet(raw_project.layout.mel_manifest).video_id)
    (raw / "b.mp4").unlink()
    ingest.run(raw_project.params, raw_project.layout)
    summary = mel.run(raw_project.params, raw_project.layout)
    left = set(pd.read_parquet(raw_project.layout.mel_manifest).video_id)
    assert summary["videos"] == 1 and len(left) == 1 and left < ids
    assert {p.stem for p in (raw_project.layout.mel / "features").glob("*.npy")} == left
