"""The Dagster job ``batch_inference``: a job list by config, one step per row, a bad row reported."""

from __future__ import annotations

import pytest

from assets.resources import LipsyncProject
from pipelines.batch_inference import batch_inference
from pipelines.definitions import defs
from tests.inference.conftest import frame_count_of, media, ours_checkpoint  # noqa: F401  (fixtures)
from tests.inference.test_jobs import write_jobs

pytestmark = pytest.mark.slow


def test_the_job_is_defined():
    assert defs.resolve_job_def("batch_inference") is not None


def test_each_row_is_its_own_step_and_a_bad_row_stops_nothing(media, ours_checkpoint, tmp_path):  # noqa: F811
    from tests.builders import make_project

    project = make_project(tmp_path / "proj")
    jobs = write_jobs(tmp_path, media, ours_checkpoint)
    result = batch_inference.execute_in_process(
        run_config={"ops": {"job_rows": {"config": {"jobs": str(jobs)}}}},
        resources={"lipsync": LipsyncProject(root=str(project.root))},
        raise_on_error=False,
    )
    assert not result.success  # a row failed: the run says so, after every row ran
    rows = {
        event.step_key: event.event_specific_data.metadata
        for event in result.all_events
        if event.event_type_value == "STEP_OUTPUT" and event.step_key.startswith("dub_row")
    }
    outcomes = {key.split("[")[1].rstrip("]"): meta["outcome"].value for key, meta in rows.items()}
    assert outcomes == {"row_1": "ok", "row_2": "failed", "row_3": "ok", "row_4": "failed"}
    assert "no such file" in rows["dub_row[row_2]"]["reason"].value
    assert rows["dub_row[row_1]"]["frames"].value == 40 == frame_count_of(tmp_path / "photo.mp4")
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "job_outcomes" and "2 of 4 rows failed" in failure.event_specific_data.error.message
