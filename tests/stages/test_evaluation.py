"""Stage evaluation: every row scored in both settings on the held-out clips, self-checks,
per-clip Parquet, the log, an MLflow run linked to the versions; bad inputs named."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
import torch

from lipsync.models import CheckpointError, SyncNet
from lipsync.stages import evaluation
from lipsync.tracking import open_tracking


def test_every_row_and_setting_is_scored(tiny_evaluated):
    project, summary = tiny_evaluated
    frame = pd.read_parquet(project.layout.evaluation_clips)
    rows = {"ground_truth", "copy_reference", "ours", "wav2lip_baseline"}
    assert set(frame[frame.setting == "reconstruction"].row) == rows
    assert set(frame[frame.setting == "cross_audio"].row) == rows - {"ground_truth"} | {"mismatched_audio"}
    assert summary["clips"] == 2 and frame.clip_id.nunique() == 2
    truth = summary["means"]["reconstruction"]["ground_truth"]
    assert truth["face_ssim"] == pytest.approx(1.0) and truth["lmd"] == pytest.approx(0.0)
    assert truth["face_psnr"] == pytest.approx(project.params.evaluation.image.psnr_cap_db)
    copy = summary["means"]["reconstruction"]["copy_reference"]
    assert copy["face_ssim"] < 1.0 and copy["mouth_psnr"] < truth["mouth_psnr"]
    assert truth["lpips"] is None  # no AlexNet weights on this machine: never a number from a random backbone
    assert [c["name"] for c in summary["self_checks"]][:2] == ["offset_zero", "shift_-10"]
    assert isinstance(summary["lse_reliable"], bool) and summary["inference_fps"]["ours"] > 0
    log = project.layout.evaluation_log.read_text().splitlines()
    assert sum(" reconstruction ours " in line for line in log) >= 2
    run = open_tracking(project.layout.mlruns).get_run(summary["mlflow_run_id"])
    ours = json.loads(project.layout.model_result("generator").read_text())["model"]
    assert run.data.tags["model.ours"] == f"lipsync-generator v{ours['version']}"
    version = open_tracking(project.layout.mlruns).get_model_version("lipsync-generator", str(ours["version"]))
    assert version.tags["evaluation_run"] == summary["mlflow_run_id"]
    assert "reconstruction/ours/lse_c" in run.data.metrics


def test_bad_inputs_are_named(tiny_evaluated, tmp_path):
    project, _ = tiny_evaluated
    wrong = tmp_path / "not_wav2lip.pth"
    torch.save({"state_dict": SyncNet(project.params.models.syncnet).state_dict()}, wrong)
    settings = dataclasses.replace(project.params.evaluation, wav2lip_file=str(wrong))
    with pytest.raises(CheckpointError, match="not_wav2lip.pth"):
        evaluation.run(dataclasses.replace(project.params, evaluation=settings), project.layout)
    settings = dataclasses.replace(project.params.evaluation, evaluator_file=str(tmp_path / "syncnet_v2.model"))
    with pytest.raises(FileNotFoundError, match="evaluation.evaluator_file"):
        evaluation.run(dataclasses.replace(project.params, evaluation=settings), project.layout)
    settings = dataclasses.replace(project.params.evaluation, split="val")
    manifest = json.loads(project.layout.shards_manifest.read_text())
    assert manifest["splits"]["val"]["video_ids"]  # val has clips; an empty split is refused below
    emptied = {**manifest, "splits": {**manifest["splits"], "val": {**manifest["splits"]["val"], "video_ids": []}}}
    original = project.layout.shards_manifest.read_text()
    project.layout.shards_manifest.write_text(json.dumps(emptied))
    try:
        with pytest.raises(ValueError, match="split 'val' has no clips"):
            evaluation.run(dataclasses.replace(project.params, evaluation=settings), project.layout)
    finally:
        project.layout.shards_manifest.write_text(original)


def test_bench_evaluation_times_each_metric_family_of_the_stage(tiny_evaluated):
    """`lipsync bench evaluation` scores a row as the stage does and splits the time by family."""
    from lipsync.bench.evaluation_bench import FAMILIES
    from lipsync.bench.evaluation_bench import run as bench

    project, _ = tiny_evaluated
    result = bench(project, quick=True)
    scoring = result["scoring"]
    assert result["clips"] == 2 and result["evaluator"].startswith("syncnet-evaluator v")
    assert set(scoring["share"]) == set(FAMILIES) and sum(scoring["share"].values()) == pytest.approx(1.0, abs=0.01)
    assert all(scoring["share"][f] > 0 for f in ("sync", "image", "landmarks", "identity", "temporal"))
    assert scoring["clip_seconds_per_second"] == pytest.approx(result["clip_seconds"] / scoring["seconds"], rel=0.02)
    assert result["lpips"] in ("n/a: no AlexNet weights", "computed")
