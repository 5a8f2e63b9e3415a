"""The main job end to end on the tiny corpus, launched from the workspace's code location into a
temporary Dagster home: materializations and their metadata, runs the UI can place, registered models."""

import json

import dagster as dg
import pandas as pd
import pytest
import torch

from lipsync.config import select_sections
from lipsync.media.reader import read_audio, read_frames
from lipsync.media.writer import write_mp4
from lipsync.stages.registry import stage as stage_entry
from lipsync.stages.registry import stages_of
from lipsync.tracking import flatten_params
from pipelines.instance import DAGSTER_YAML
from pipelines.main_run import run_main_job
from tests.builders import TINY, discard_unless_failed, make_project

REGISTERED = {s.name: s.registered_model for s in stages_of(kind="training")}
VIDEOS = TINY["corpus"]["speakers"] * TINY["corpus"]["clips_per_speaker"]
STEPS = {name: TINY["training"][name]["loop"]["steps"] for name in REGISTERED}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("main")
    project = make_project(root / "proj", TINY)
    (root / "dagster_home").mkdir()
    (root / "dagster_home" / "dagster.yaml").write_text(DAGSTER_YAML)
    with dg.DagsterInstance.local_temp(str(root / "dagster_home")) as instance:
        summary = run_main_job(project, instance=instance)
        yield project, instance, summary
    discard_unless_failed(request, root)


def metadata(instance, asset: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    assert event is not None, f"{asset} was not materialized"
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def batch(instance, asset: str, run_id: str) -> dict:
    """The metadata of the one observation ``asset`` reports per run (the batch totals)."""
    records = instance.fetch_observations(dg.AssetKey(asset), limit=100).records
    events = [r.asset_observation for r in records if r.run_id == run_id]
    assert len(events) == 1, f"{asset}: {len(events)} batch observations in run {run_id}"
    assert events[0].partition is None
    return {k: v.value for k, v in events[0].metadata.items()}


def partition_events(instance, asset: str, run_id: str) -> dict[str, dict]:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
    return {
        r.partition_key: {k: v.value for k, v in r.asset_materialization.metadata.items()}
        for r in records
        if r.run_id == run_id
    }


def test_main_job_materializes_every_asset_with_metadata(tiny):
    project, instance, summary = tiny
    assert summary["success"] and summary["partitions"] == VIDEOS
    assert metadata(instance, "corpus")["videos"] == VIDEOS
    data_run = summary["runs"]["data_job"]["run_id"]
    videos = {row["video_id"]: row for row in pd.read_parquet(project.layout.ingest_manifest).to_dict("records")}
    for asset, figure in (("ingest", "frames"), ("faces", "face_frames"), ("mel", "mel_frames")):
        totals = batch(instance, asset, data_run)
        assert totals["ok"] == VIDEOS and totals["rejected"] == 0 and totals["processed"] == VIDEOS, (asset, totals)
        assert totals["rejections"] == "none" and len(totals["data_version"]) == 16 and totals["run_seconds"] > 0
        per_video = partition_events(instance, asset, data_run)
        assert set(per_video) == set(videos)  # one materialization per partition, each with its own video
        for video_id, meta in per_video.items():
            assert (meta["speaker"], meta["clip"]) == (videos[video_id]["speaker"], videos[video_id]["clip"])
            assert meta["status"] == "ok" and isinstance(meta[figure], int) and meta[figure] > 0, (asset, meta)
            assert "processed" not in meta and "data_version" not in meta  # batch figures: once, not per video
    sheet = batch(instance, "faces", data_run)
    assert sheet["contact_sheet"].startswith("![contact sheet](data:image/webp;base64,")
    assert len(sheet["contact_sheet"]) < 1000 and sheet["contact_sheet_preview"].startswith("![contact sheet](data:")
    assert sheet["contact_sheet_file"] == str(project.layout.faces_contact_sheet)
    shards = metadata(instance, "shards")
    manifest = json.loads(project.layout.shards_manifest.read_text())
    assert shards["data_version"] == manifest["data_version"]
    assert {split: shards[f"samples_{split}"] for split in ("train", "val", "test")} == {
        split: manifest["splits"][split]["samples"] for split in ("train", "val", "test")
    }
    assert manifest["splits"]["test"]["speakers"] == ["spk02-grace_hopper"]
    assert manifest["splits"]["val"]["speakers"] == ["spk01-camera"]
    assert all(manifest["splits"][s]["samples"] > 0 for s in ("train", "val", "test"))
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("ingest"), "ingest_rejected_share")]
    )
    assert list(check.values())[0].status.value == "SUCCEEDED"


def test_runs_are_launched_from_the_workspace_code_location(tiny):
    """What the Overview timeline and the Jobs page need: the run's code location and repository."""
    _, instance, summary = tiny
    for job_name, run in summary["runs"].items():
        stored = instance.get_run_by_id(run["run_id"])
        origin = stored.remote_job_origin
        assert origin is not None and origin.job_name == job_name
        assert origin.repository_origin.code_location_origin.location_name == "pipelines.definitions"
        repository = {".dagster/repository": "__repository__@pipelines.definitions"}
        by_repository = dg.RunsFilter(job_name=job_name, tags=repository)
        assert run["run_id"] in instance.get_run_ids(by_repository)  # the job page's query


def test_no_event_carries_a_large_payload(tiny):
    """Images are files: events stay small; only the once-per-run previews add tens of KB."""
    _, instance, summary = tiny
    for run in summary["runs"].values():
        sizes = sorted(len(r.event_log_entry.to_json()) for r in instance.get_records_for_run(run["run_id"]).records)
        assert sizes[-1] < 100_000 and sum(sizes) < 400_000, sizes[-6:]
        assert sum(size > 10_000 for size in sizes) <= 4, sizes[-6:]  # the observation or two models' grids


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
        assert meta["mlflow_run"].endswith(
            f"/#/experiments/{result['experiment_id']}/runs/{ref.run_id}?workflowType=machine_learning"
        )
        assert meta["model_version"].endswith(f"/#/models/{name}/versions/{ref.version}")
        assert all(meta[f"eval/{key}"] == pytest.approx(value, rel=1e-5) for key, value in result["metrics"].items())
        version = client.get_model_version(name, str(ref.version))
        assert version.tags["data_version"] == result["data_version"] and version.tags["steps"] == str(STEPS[stage])
        run = client.get_run(ref.run_id)
        assert run.info.status == "FINISHED" and run.data.tags["data_version"] == meta["data_version"]
        assert result["steps"] == STEPS[stage]
        # MLflow params are the keys the registry lists for the stage, by their params.yaml paths and values
        expected = flatten_params(select_sections(project.params, stage_entry(stage).params))
        logged = {k: v for k, v in run.data.params.items() if not k.startswith("eval.")}
        assert logged == expected and logged[f"training.{stage}.loop.steps"] == str(STEPS[stage])
        checkpoint = torch.load(project.root / result["checkpoint"], map_location="cpu", weights_only=True)
        weights = load_state_dict(client, ref)  # the registered version holds the final checkpoint's weights
        assert weights.keys() == checkpoint["state_dict"].keys()
        assert all(torch.equal(weights[k], checkpoint["state_dict"][k]) for k in weights)
        assert (project.layout.training_logs(stage) / "train.log").exists()
        if stage in ("generator", "wav2lip_baseline"):
            assert result["expert"] == expert["model"]  # trained against the expert that stage produced
            assert meta["sample_grid_file"] == str(project.layout.sample_grid(stage))
            assert len(meta["sample_grid"]) < 1000  # shown in place by the Dagster UI
            assert result["mouth_boxes"] == "corpus truth"
            assert {"mouth_l1", "copy_l1", "sync_loss_generated", "sync_loss_truth"} <= set(result["metrics"])
        elif stage == "syncnet_expert":
            assert result["metrics"]["pairs"] > 0 and 0 <= result["metrics"]["accuracy"] <= 1
        else:  # the evaluator: held-out pair accuracy of syncnet_python's network
            assert 0 <= result["metrics"]["pair_accuracy"] <= 1 and result["metrics"]["windows"] > 0
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
        meta = batch(instance, asset, summary["runs"]["data_job"]["run_id"])
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


def test_each_candidate_gets_a_recorded_decision(tiny, capsys):
    from lipsync.cli import main
    from lipsync.tracking import open_tracking

    project, instance, _ = tiny
    meta = metadata(instance, "promote")
    client = open_tracking(project.layout.mlruns)
    for stage, name in (("generator", "lipsync-generator"), ("wav2lip_baseline", "wav2lip-baseline")):
        version = json.loads(project.layout.model_result(stage).read_text())["model"]["version"]
        tags = client.get_model_version(name, str(version)).tags
        assert meta[f"{name}/candidate"] == version and meta[f"{name}/decision"] == tags["promotion.summary"]
        assert tags["promotion.decision"] in ("promoted", "not promoted") and tags["benchmark.evaluator"]
        assert tags["params_hash"] and tags["data_version"] and tags["code_version"]
        assert int(client.get_registered_model(name).aliases["challenger"]) == version
    assert meta["report"] == str(project.layout.promote / "promotion.md")
    assert main(["--root", str(project.root), "models", "compare", "lipsync-generator", "--all"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("lipsync-generator: challenger v1") and "| v1 | challenger |" in printed
    assert "v1 decision: not promoted against first champion (floors)" in printed
