"""DVC reproduces the Dagster path: after the Dagster run `dvc status` is clean (once the
outputs are committed, as `make run` does), and `dvc repro` from an empty data/ yields
shards with the same content hashes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lipsync.stages.registry import STAGES
from tests.builders import ROOT, TINY, deep_update, real_params

BIN = Path(sys.executable).parent
COPY = ("lipsync", "assets", "pipelines", "dvc.yaml", "workspace.yaml")


def sh(cmd: list[str], cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_dagster_run_is_what_dvc_would_produce(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in COPY:
        src = ROOT / name
        (
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
            if src.is_dir()
            else shutil.copyfile(src, repo / name)
        )
    (repo / "params.yaml").write_text(yaml.safe_dump(deep_update(real_params(), TINY), sort_keys=False))
    (repo / ".gitignore").write_text("/data/\n/.dagster/\n__pycache__/\n")
    sh(["git", "init", "-q"], repo)
    sh(["dvc", "init", "-q"], repo)
    sh(["git", "add", "-A"], repo)
    sh(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], repo)

    # the data pipeline (training is covered end to end by tests/pipelines/test_main_job.py)
    sh(["lipsync", "pipeline", "--no-training"], repo)
    sh(["dvc", "commit", "--force", "--quiet", "--with-deps", "shards"], repo)
    assert "up to date" in sh(["dvc", "status", "--with-deps", "shards"], repo)
    dagster_version = json.loads((repo / "data/shards/manifest.json").read_text())["data_version"]

    shutil.rmtree(repo / "data")
    assert "up to date" not in sh(["dvc", "status", "--with-deps", "shards"], repo)
    sh(["dvc", "repro", "shards"], repo)
    manifest = json.loads((repo / "data/shards/manifest.json").read_text())
    assert manifest["data_version"] == dagster_version
    assert "up to date" in sh(["dvc", "status", "--with-deps", "shards"], repo)


def test_dvc_reads_every_stage_with_its_templated_paths():
    stages = sh(["dvc", "stage", "list"], ROOT)
    for stage in STAGES:
        assert stage.name in stages
    assert "data/models/generator" in stages
