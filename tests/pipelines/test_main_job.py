"""The main job end to end in an ephemeral Dagster instance on the tiny corpus."""

import json

import dagster as dg
import pytest
import torch

from lipsync.media.reader import read_audio, read_frames
from lipsync.media.writer import write_mp4
from lipsync.stages.registry import stages_of
from pipelines.main_run import run_main_job
from tests.builders import TINY, make_project

REGISTERED = {s.name: s.registered_model for s in stages_of(kind="training")}
VIDEOS = TINY["corpus"]["speakers"] * TINY["corpus"]["clips_per_speaker"]
STEPS = {name: TINY["training"][name]["loop"]["steps"] for name in REGISTERED}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("main") / "proj", TINY)
    instance = dg.DagsterInstance.ephemeral()
    summary = run_main_job(project, instance=instance)
    return project, instance, summary


def metadata(instance, asset: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    assert event is not None, f"{asset} was not materialized"
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_main_job_materializes_every_asset_with_metadata(tiny):
    project, instance, summary = tiny
    assert summary["success"] and summary["partitions"] == VIDEOS
    assert metadata(instance, "corpus")["videos"] == VIDEOS
    for asset in ("ingest", "faces", "mel"):
        meta = metadata(instance, asset)
        assert meta["ok"] == VIDEOS and meta["rejected"] == 0 and meta["processed"] == VIDEOS, (asset, meta)
        assert "throughput" in meta and meta["rejections"] == "none" and len(meta["data_version"]) == 16
    assert "data:image/png;base64," in metadata(instance, "faces")["contact_sheet"]
    shards = metadata(instance, "shards")
    manifest = json.loads(project.layout.shards_manifest.read_text())
    assert shards["data_version"] == manifest["data_version"]
    assert manifest["splits"]["test"]["speakers"] == ["spk02-grace_hopper"]
    assert manifest["splits"]["val"]["speakers"] == ["spk01-camera"]
    assert all(manifest["splits"][s]["samples"] > 0 for s in ("train", "val", "test"))
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("ingest"), "ingest_rejected_share")]
    )
    assert list(check.values())[0].status.value == "SUCCEEDED"


def test_training_registers_each_model_by_identity(tiny):
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    project, instance, summary = tiny
    assert set(summary["runs"]) == {"corpus_job", "data_job", "training_job", "evaluation_job"}
    client = open_tracking(project.layout.mlruns)
    expert = json.loads(project.layout.model_result("syncnet_expert").read_text())
    for stage, name in REGISTERED.items():
        meta = metadata(instance, stage)
        result = json.loads(project.layout.model_result(stage).read_text())
        ref = ModelRef.from_dict(result["model"])
        assert ref.name == name and meta["model"] == f"{name} v{ref.version}" and meta["run_id"] == ref.run_id
        run = client.get_run(ref.run_id)
        assert run.info.status == "FINISHED" and run.data.tags["data_version"] == meta["data_version"]
        assert result["steps"] == STEPS[stage] and run.data.params["training.seed"] == str(project.params.training.seed)
        # MLflow params are keyed by their params.yaml paths: the stage's own section among them
        assert run.data.params[f"training.{stage}.loop.steps"] == str(STEPS[stage])
        assert run.data.params["format.sync_window"] == "5" and "seed" not in run.data.params
        checkpoint = torch.load(project.root / result["checkpoint"], map_location="cpu", weights_only=True)
        weights = load_state_dict(client, ref)  # the registered version holds the final checkpoint's weights
        assert weights.keys() == checkpoint["state_dict"].keys()
        assert all(torch.equal(weights[k], checkpoint["state_dict"][k]) for k in weights)
        assert (project.layout.training_logs(stage) / "train.log").exists()
        if stage != "syncnet_expert":
            assert result["expert"] == expert["model"]  # trained against the expert that stage produced
            assert "sample_grid" in meta and result["mouth_boxes"] == "corpus truth"
            assert {"mouth_l1", "copy_l1", "sync_loss_generated", "sync_loss_truth"} <= set(result["metrics"])
        else:
            assert result["metrics"]["pairs"] > 0 and 0 <= result["metrics"]["accuracy"] <= 1
    for stage in REGISTERED:  # the runs and their artifacts are in the test's store, not the repository's
        run = client.get_run(json.loads(project.layout.model_result(stage).read_text())["model"]["run_id"])
        assert run.info.artifact_uri.startswith(project.layout.mlruns.as_uri())


def test_adding_one_video_processes_only_that_video(tiny):
    project, instance, _ = tiny
    source = next(project.layout.corpus_videos.rglob("*.mp4"))
    frames, audio = read_frames(source), read_audio(source, 16000)
    extra = project.layout.raw_videos / "spk00-astronaut" / "extra.mp4"
    write_mp4(extra, frames[::-1].copy(), 25, audio[: len(frames) * 640], 16000, crf=25, threads=1)
    summary = run_main_job(project, instance=instance, with_corpus=False, with_training=False)
    assert summary["success"] and summary["new_partitions"] == 1 and summary["partitions"] == VIDEOS + 1
    for asset in ("ingest", "faces", "mel"):
        meta = metadata(instance, asset)
        assert (meta["processed"], meta["up_to_date"], meta["ok"]) == (1, VIDEOS, VIDEOS + 1), (asset, meta)
    manifest = json.loads(project.layout.shards_manifest.read_text())
    assert sum(manifest["splits"][s]["samples"] for s in manifest["splits"]) > 0


def test_evaluation_and_report_follow_training(tiny):
    project, instance, summary = tiny
    meta = metadata(instance, "evaluation")
    evaluator = json.loads(project.layout.model_result("syncnet_evaluator").read_text())["model"]
    assert meta["evaluator"] == f"syncnet-evaluator v{evaluator['version']}" and meta["clips"] == 2
    assert "reconstruction/ours/lse_c" in meta and "cross_audio/wav2lip_baseline/lse_c" in meta
    report = metadata(instance, "benchmark")
    assert "| ours |" in report["table"] and summary["report"] == str(project.layout.benchmark / "benchmark.html")
    assert (project.layout.benchmark / "benchmark.html").read_text().count("data:image/png;base64,") == 3
