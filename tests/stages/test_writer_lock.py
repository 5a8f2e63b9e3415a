"""Every stage runner holds the writer lock (paths.writer_lock) while it runs: one writer at a time."""

from __future__ import annotations

import inspect

from lipsync.stages import runner
from lipsync.stages.registry import STAGES
from lipsync.stages.writer_lock import writes_data


def test_every_stage_runner_takes_the_lock():
    for stage in STAGES:
        run = runner(stage.name)
        assert inspect.unwrap(run) is not run, f"{stage.name}.run is not decorated with @writes_data"


def test_the_runner_holds_the_lock_while_it_runs(raw_project):
    layout = raw_project.layout
    seen = []

    @writes_data
    def run(params, layout, progress=False):
        seen.append(layout.writer_lock.read_text())
        return {"ok": True}

    assert run(raw_project.params, layout) == {"ok": True}
    assert seen[0].startswith("stage test_writer_lock, pid ") and layout.writer_lock.parent.name == "data"
