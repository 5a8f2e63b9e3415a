"""The main job end to end in an ephemeral Dagster instance on the tiny corpus."""

import json

import dagster as dg
import pytest

from lipsync.media.reader import read_audio, read_frames
from lipsync.media.writer import write_mp4
from pipelines.main_run import run_main_job
from tests.builders import TINY, make_project

ASSETS = ("corpus", "ingest", "faces", "mel", "shards")


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
    assert summary["success"] and summary["partitions"] == 3
    assert metadata(instance, "corpus")["videos"] == 3
    for asset in ("ingest", "faces", "mel"):
        meta = metadata(instance, asset)
        assert meta["ok"] == 3 and meta["rejected"] == 0 and meta["processed"] == 3, (asset, meta)
        assert "throughput" in meta and meta["rejections"] == "none" and len(meta["data_version"]) == 16
    assert "data:image/png;base64," in metadata(instance, "faces")["contact_sheet"]
    shards = metadata(instance, "shards")
    manifest = json.loads(project.layout.shards_manifest.read_text())
    assert shards["data_version"] == manifest["data_version"]
    assert manifest["splits"]["test"]["speakers"] == ["spk02-grace_hopper"]
    assert manifest["splits"]["val"]["speakers"] == ["spk01-camera"]
    assert all(manifest["splits"][s]["samples"] > 0 for s in ("train", "val", "test"))
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("ingest"), "ingest_rejected_share")])
    assert list(check.values())[0].status.value == "SUCCEEDED"


def test_adding_one_video_processes_only_that_video(tiny):
    project, instance, _ = tiny
    source = next(project.layout.corpus_videos.rglob("*.mp4"))
    frames, audio = read_frames(source), read_audio(source, 16000)
    extra = project.layout.raw_videos / "spk00-astronaut" / "extra.mp4"
    write_mp4(extra, frames[::-1].copy(), 25, audio[: len(frames) * 640], 16000, crf=25, threads=1)
    summary = run_main_job(project, instance=instance, with_corpus=False)
    assert summary["success"] and summary["new_partitions"] == 1 and summary["partitions"] == 4
    for asset in ("ingest", "faces", "mel"):
        meta = metadata(instance, asset)
        assert (meta["processed"], meta["up_to_date"], meta["ok"]) == (1, 3, 4), (asset, meta)
    manifest = json.loads(project.layout.shards_manifest.read_text())
    assert sum(manifest["splits"][s]["samples"] for s in manifest["splits"]) > 0
