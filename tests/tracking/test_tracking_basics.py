"""Helpers that need no store: URIs, fluent_store scoping, param flattening, git provenance, ModelRef."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import mlflow
import pytest

from lipsync.tracking import (
    ModelRef,
    artifact_root,
    flatten_params,
    git_commit,
    tracking_uri,
)
from lipsync.tracking.store import fluent_store


def test_uris_point_inside_the_given_folder(tmp_path):
    mlruns = tmp_path / "mlruns"
    assert tracking_uri(mlruns) == f"sqlite:///{mlruns.resolve()}/mlflow.db"
    assert tracking_uri(mlruns).startswith("sqlite:////")  # four slashes: an absolute path
    assert artifact_root(mlruns) == f"file://{mlruns.resolve()}/artifacts"


@dataclass(frozen=True)
class Optim:
    lr: float
    betas: tuple[float, float]


def test_flatten_params_dotted_keys_from_mappings_and_dataclasses():
    params = {"train": {"optim": Optim(lr=1e-4, betas=(0.5, 0.999)), "steps": 10}, "out": Path("data/x"), "n": None}
    assert flatten_params(params) == {
        "train.optim.lr": "0.0001",
        "train.optim.betas": "(0.5, 0.999)",
        "train.steps": "10",
        "out": "data/x",
        "n": "None",
    }
    with pytest.raises(ValueError, match="'a.b' appears twice"):
        flatten_params({"a.b": 1, "a": {"b": 2}})


def test_git_commit_inside_and_outside_git(tmp_path):
    assert git_commit(tmp_path) is None
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    assert git_commit(repo) is None  # no commit yet
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=repo, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    assert git_commit(repo) == head
    assert len(head) == 40


def test_model_ref_round_trips_through_json_and_rejects_bad_dicts():
    ref = ModelRef(name="syncnet-expert", version=3, run_id="abc123")
    assert ModelRef.from_dict(json.loads(json.dumps(ref.to_dict()))) == ref
    assert ref.uri == "models:/syncnet-expert/3"
    with pytest.raises(ValueError, match=r"missing keys \['run_id'\]"):
        ModelRef.from_dict({"name": "x", "version": 1})
    with pytest.raises(ValueError, match=r"unknown keys \['stage'\]"):
        ModelRef.from_dict({"name": "x", "version": 1, "run_id": "r", "stage": "prod"})
    with pytest.raises(ValueError, match="version must be an int"):
        ModelRef(name="x", version=0, run_id="r")


def test_fluent_store_points_mlflow_at_a_client_only_inside_the_block(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    client = SimpleNamespace(tracking_uri="sqlite:////nowhere/inner.db")  # fluent_store reads only this
    mlflow.set_tracking_uri(None)  # whatever earlier tests (open_tracking) set globally
    try:
        with fluent_store(client):
            assert mlflow.get_tracking_uri() == "sqlite:////nowhere/inner.db"
        assert not mlflow.is_tracking_uri_set()
        mlflow.set_tracking_uri("sqlite:////nowhere/outer.db")
        with fluent_store(client):
            assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:////nowhere/inner.db"
        assert mlflow.get_tracking_uri() == os.environ["MLFLOW_TRACKING_URI"] == "sqlite:////nowhere/outer.db"
    finally:
        mlflow.set_tracking_uri(None)
