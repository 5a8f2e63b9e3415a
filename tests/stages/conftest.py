"""Tiny data built by the stage runners themselves (no Dagster): the inputs of the stage tests.

The fixtures are package-scoped (this folder has an ``__init__.py``), so the project is
deleted when the last stage test has run, not at the end of the session."""

from __future__ import annotations

import pytest

from lipsync.stages import runner
from tests.builders import TINY, discard_unless_failed, make_project


@pytest.fixture(scope="package")
def tiny_data(tmp_path_factory, request):
    """A TINY project after photos (builtin), corpus, ingest, faces, mel and shards: (project, {stage: summary})."""
    root = tmp_path_factory.mktemp("stages")
    project = make_project(root / "proj", TINY)
    summaries = {
        name: runner(name)(project.params, project.layout) for name in ("photos", "corpus", "ingest", "faces", "mel")
    }
    summaries["shards"] = runner("shards")(project.params, project.layout)
    yield project, summaries
    discard_unless_failed(request, root)


@pytest.fixture(scope="package")
def tiny_expert(tiny_data):
    """The tiny project with a registered expert and evaluator and the generators' sync-filtered
    train shards (what the generators read): (project, the expert's result)."""
    project, _ = tiny_data
    result = runner("syncnet_expert")(project.params, project.layout)
    for name in ("syncnet_evaluator", "syncfilter"):
        runner(name)(project.params, project.layout)
    return project, result


@pytest.fixture(scope="package")
def tiny_evaluated(tiny_expert):
    """The tiny project with the evaluator and both generators trained and the evaluation run:
    (project, evaluation summary)."""
    project, _ = tiny_expert
    for name in ("syncnet_evaluator", "generator", "wav2lip_baseline"):
        runner(name)(project.params, project.layout)
    return project, runner("evaluation")(project.params, project.layout)
