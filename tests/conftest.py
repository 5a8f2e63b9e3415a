"""Shared fixtures (builders live in tests/builders.py)."""

import contextlib
import os

import pytest

from lipsync.project import Project
from tests.builders import make_project

os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture
def raw_project(tmp_path) -> Project:
    """A project whose raw videos live in ``<root>/raw`` (filled by the test)."""
    project = make_project(tmp_path / "proj", {"paths": {"raw_videos": "raw"}, "ingest": {"workers": 1}})
    project.layout.raw_videos.mkdir(parents=True)
    return project


@pytest.fixture
def in_process_videos(monkeypatch) -> None:
    """Per-video stages process their videos in this process instead of pinned worker
    processes, so a test can patch what they call (injected faults, counted calls)."""
    from lipsync.stages import records

    monkeypatch.setattr(records, "video_pool", lambda workers: contextlib.nullcontext())
