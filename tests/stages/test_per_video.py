"""The shared per-video runner: what counts as up to date, and machine faults (a fake stage)."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from lipsync.stages import records as rec
from lipsync.stages.per_video import PerVideoStage, run_per_video
from tests.builders import make_project

UPSTREAM = {"v1": {"source": "a.mp4", "speaker": "a", "clip": "a", "status": rec.FAILED, "reason": "ingest failed"}}
FAULTS: list[BaseException] = []  # raised, one per call, before the work is done
CALLS: list[str] = []


def _process(video_id, source, params, layout):
    CALLS.append(video_id)
    if FAULTS:
        raise FAULTS.pop(0)
    path = layout.per_video("mel", "features", video_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.zeros(3, np.float32))
    return {"status": rec.OK}


FAKE = PerVideoStage(
    name="mel",  # borrows the outputs of a real stage: features/<id>.npy
    columns=(),
    sources=lambda params, layout: UPSTREAM,
    fingerprint=lambda params, source: "same",  # the upstream fingerprint does not change when it recovers
    process=_process,
)


@pytest.fixture
def project(tmp_path, in_process_videos):  # the fake stage's lambdas and call lists stay here
    CALLS.clear()
    FAULTS.clear()
    UPSTREAM["v1"] |= {"status": rec.FAILED, "reason": "ingest failed"}
    return make_project(tmp_path / "proj")


def test_a_video_skipped_for_its_upstream_is_processed_once_the_upstream_recovers(project):
    first = run_per_video(FAKE, project.params, project.layout)
    assert first["skipped"] == 1 and CALLS == []
    assert run_per_video(FAKE, project.params, project.layout)["up_to_date"] == 1  # upstream still not ok
    UPSTREAM["v1"] |= {"status": rec.OK, "reason": ""}
    again = run_per_video(FAKE, project.params, project.layout)
    assert again["processed"] == 1 and again["ok"] == 1 and CALLS == ["v1"]


def test_a_failed_record_is_never_up_to_date(project):
    UPSTREAM["v1"] |= {"status": rec.OK, "reason": ""}
    FAULTS.append(OSError(errno.ENOMEM, "Cannot allocate memory"))
    first = run_per_video(FAKE, project.params, project.layout)
    assert first["failed"] == 1 and first["success"] is False
    assert first["failures"] == {
        "a.mp4": "mel failed on a.mp4, retried on the next run: OSError: [Errno 12] Cannot allocate memory"
    }
    second = run_per_video(FAKE, project.params, project.layout)
    assert second["processed"] == 1 and second["ok"] == 1 and second["success"] is True
    assert run_per_video(FAKE, project.params, project.layout)["up_to_date"] == 1
