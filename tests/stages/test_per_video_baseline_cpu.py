"""The per-video stages' bytes do not depend on the CPU (lipsync.stages.records.video_pool).

``ingest``, ``faces`` and ``mel`` run on the same two raw clips here, where every library may
use this machine's SIMD, and in a child process that plays a lesser x86-64 machine
(:mod:`tests.lesser_machine`); the normalised videos and WAVs, the crops and tracks and the
mel features must be byte-identical. Run in this process instead of the pinned workers, the
two differ on a machine with AVX2 or more (FFmpeg's AAC decoder changes WAV samples, OpenCV's
AVX2 kernels and the torch thread count move MTCNN's boxes, numpy's kernels the mel).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from lipsync.corpus.baseline_cpu import IS_X86_64
from lipsync.faces.synthetic import moving_face_clip
from lipsync.media.writer import write_mp4
from tests.lesser_machine import LESSER_FFMPEG_FLAGS, REPORT, ROOT, file_hashes, lesser_machine, run_python

ASTRONAUT_BOX = np.array((181.0, 86.0, 269.0, 178.0))
OUTPUTS = ("ingest/audio", "ingest/videos", "faces/crops", "faces/tracks", "mel/features")

STAGES = """
import sys
from pathlib import Path
from lipsync.stages import faces, ingest, mel
from tests.builders import make_project

project = make_project(Path(sys.argv[1]), {"paths": {"raw_videos": sys.argv[2]}})
for stage in (ingest, faces, mel):
    summary = stage.run(project.params, project.layout)
    assert summary["ok"] == 2, summary
"""


def _raw_clips(raw: Path) -> None:
    """Two short talking-head-like clips: the astronaut's face drifting, a chord with noise."""
    rng = np.random.default_rng(7)
    for index, seconds in enumerate((1.6, 2.0)):
        frames, _ = moving_face_clip(data.astronaut(), ASTRONAUT_BOX, int(seconds * 25), 160, 0.45)
        t = np.arange(int(seconds * 16000)) / 16000
        audio = 0.2 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.02 * rng.standard_normal(len(t))
        write_mp4(raw / f"clip{index}.mp4", frames, 25, audio.astype(np.float32), 16000, crf=20, threads=1,
                  preset="ultrafast")  # fmt: skip


@pytest.mark.skipif(not IS_X86_64, reason="the pins and the lesser machine are x86-64 ones")
def test_per_video_bytes_do_not_depend_on_the_cpu(tmp_path):
    env = lesser_machine(tmp_path)
    seen = json.loads(run_python(env, "-c", REPORT))  # the lesser machine is what the child sees
    assert not seen["numpy_avx2"] and "*AVX2?" in seen["opencv"]
    assert seen["ffmpeg"] and set(seen["ffmpeg"]) == {LESSER_FFMPEG_FLAGS}
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_clips(raw)

    here, there = tmp_path / "here", tmp_path / "there"
    run_python({**os.environ, "PYTHONPATH": str(ROOT)}, "-c", STAGES, str(here), str(raw))  # this machine
    run_python(env, "-c", STAGES, str(there), str(raw))

    for output in OUTPUTS:
        ours, theirs = file_hashes(here / "data" / output), file_hashes(there / "data" / output)
        assert len(ours) == 2 and set(ours) == set(theirs), output
        assert {name for name in ours if ours[name] != theirs[name]} == set(), output
