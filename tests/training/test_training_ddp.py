"""Two-process data-parallel training on CPU (gloo) under torchrun, through the launch module."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import yaml

from lipsync.params_loader import to_mapping
from tests.builders import deep_update, real_params
from tests.training.training_fixtures import (
    ROOT,
    tiny_expert_settings,
    tiny_training,
    write_shards,
)


def run_group(command: list[str], env: dict, timeout: float = 120.0) -> tuple[int, str, str]:
    """Run torchrun in its own process group, so a hang cannot leave worker processes behind."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"torchrun hung for {timeout} s: {stderr[-3000:]}") from None
    return process.returncode, stdout, stderr


def test_torchrun_two_ranks_train_equal_counts_and_checkpoint(tmp_path):
    write_shards(tmp_path / "shards", shards=2, per_shard=2)
    syncnet = {k: v for k, v in to_mapping(tiny_expert_settings()).items() if k != "window_frames"}  # derived
    training = to_mapping(tiny_training(steps=3, batch=4, every=3))
    params = deep_update(real_params(), {"models": {"syncnet": syncnet}, "training": training})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "lipsync.launch", "--stage", "syncnet_expert", "--params", str(tmp_path / "params.yaml"),
        "--train", str(tmp_path / "shards"), "--checkpoints", str(tmp_path / "checkpoints"),
        "--log-folder", str(tmp_path / "logs"), "--device", "cpu", "--threads", "1",
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    returncode, stdout, stderr = run_group(command, env)
    assert returncode == 0, stderr[-3000:]
    summaries = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1  # only rank 0 reports
    summary = summaries[0]
    assert summary["step"] == 3 and summary["samples_per_rank"] == [12, 12]
    assert summary["checkpoint"].endswith("step-00000003.pt")
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step-00000003.pt"]
    metrics = json.loads((tmp_path / "logs" / "metrics.json").read_text())
    assert metrics["summary"]["samples_per_rank"] == [12, 12]
    log = (tmp_path / "logs" / "train.log").read_text()
    assert "world=2" in log and log.count(" started ") == 1  # rank 1 wrote nothing
