"""Stage corpus: the runner writes the corpus once and skips it while settings and code stay."""

from __future__ import annotations

import dataclasses
import json

from lipsync.stages import corpus
from tests.builders import TINY


def test_corpus_is_written_once_and_skipped_while_unchanged(tiny_data):
    project, summaries = tiny_data
    first = summaries["corpus"]
    count = TINY["corpus"]["speakers"] * TINY["corpus"]["clips_per_speaker"]
    assert first["videos"] == count and not first["up_to_date"]
    videos = sorted(project.layout.corpus_videos.rglob("*.mp4"))
    assert len(videos) == count and all((project.layout.corpus_truth / v.relative_to(
        project.layout.corpus_videos).with_suffix(".npz")).exists() for v in videos)  # fmt: skip
    saved = json.loads(project.layout.corpus_fingerprint.read_text())
    assert saved["files"] == sorted(v.relative_to(project.layout.corpus).as_posix() for v in videos)
    stamps = {v: v.stat().st_mtime_ns for v in videos}
    again = corpus.run(project.params, project.layout)
    assert again["up_to_date"] and again["videos"] == count
    assert {v: v.stat().st_mtime_ns for v in videos} == stamps  # nothing rewritten


def test_other_settings_are_not_up_to_date(tiny_data):
    project, _ = tiny_data
    other = dataclasses.replace(project.params.corpus, seed=project.params.corpus.seed + 1)
    fingerprint = corpus.corpus_fingerprint(other, project.layout)
    assert corpus._previous(project.layout, fingerprint) is None
    same = corpus.corpus_fingerprint(project.params.corpus, project.layout)
    assert corpus._previous(project.layout, same) is not None
