"""Stage photos: with `builtin` (what every test uses) it writes the three built-in photos as the
corpus reads them; the corpus's speakers take their faces and splits from there."""

from __future__ import annotations

import json

import cv2
import numpy as np

from lipsync.corpus.photos import read_source
from lipsync.photos.catalogue import load_photo_set


def test_builtin_photos_are_written_for_the_corpus(tiny_data):
    project, summaries = tiny_data
    summary = summaries["photos"]
    assert (summary["source"], summary["faces_found"], summary["faces_kept"], summary["identities"]) == (
        "builtin", 3, 3, 3)  # fmt: skip
    assert (summary["train_identities"], summary["val_identities"], summary["test_identities"]) == (2, 0, 1)
    photos = load_photo_set(project.layout.photos)
    builtin = project.params.corpus.photos.builtin
    for name, photo in photos.items():
        written = cv2.cvtColor(cv2.imread(photo.source.removeprefix("file:")), cv2.COLOR_BGR2RGB)
        assert np.array_equal(written, read_source(builtin[name].source))  # the same pixels, losslessly
        assert (photo.face_box, photo.landmarks, photo.lip_point, photo.split) == (
            builtin[name].face_box, builtin[name].landmarks, builtin[name].lip_point, builtin[name].split)  # fmt: skip
        mouth = np.asarray(photo.points68[48:68])  # dlib's mouth lies around the annotated mouth corners
        assert photo.landmarks[3][0] - 15 < mouth[:, 0].mean() < photo.landmarks[4][0] + 15
    provenance = (project.layout.photos / "provenance.csv").read_text().splitlines()
    assert provenance[1].startswith("scikit-image,") and "matplotlib" in provenance[3]
    speakers = json.loads(project.layout.corpus_speakers.read_text())
    assert {k: (v["photo"], v["split"]) for k, v in speakers.items()} == {
        "spk00-astronaut": ("astronaut", "train"), "spk01-camera": ("camera", "val"),
        "spk02-grace_hopper": ("grace_hopper", "test"),
    }  # fmt: skip
