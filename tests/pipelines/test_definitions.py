"""Dagster definitions load, and the sensor turns new raw files into partitions and one run."""

import shutil

import dagster as dg
import pytest

from assets import WRITER_POOL
from assets.dvc_record import COMMIT_TAG
from assets.partitions import videos_partitions
from assets.resources import LipsyncProject
from lipsync.stages.registry import STAGES
from pipelines.definitions import defs
from pipelines.sensors import new_raw_videos
from tests.builders import loaded_params, make_project
from tests.builders import write_clip as write


def test_definitions_load_with_the_asset_graph():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {stage.name for stage in STAGES}
    assert {p.to_user_string() for p in graph.get(dg.AssetKey("shards")).parent_keys} == {"faces", "mel"}
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey("generator")).parent_keys}
    assert parents == {"syncfilter", "syncnet_expert"}  # the generators read the sync-filtered shards
    assert graph.get(dg.AssetKey("generator")).group_name == "training"
    assert graph.get(dg.AssetKey("faces")).partitions_def == videos_partitions
    for name in ("corpus_job", "data_job", "training_job", "evaluation_job", "retraining_job"):
        assert defs.resolve_job_def(name) is not None
    for sensor in ("new_raw_videos", "new_clips_since_champion"):
        assert defs.resolve_sensor_def(sensor).default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("retraining_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.job_name == "retraining_job"
    assert schedule.cron_schedule == loaded_params().retraining.cron == "0 3 * * 1"  # weekly by default
    retraining = defs.resolve_job_def("retraining_job")
    assert retraining.tags[COMMIT_TAG] == "true"  # its outputs go into dvc.lock when it ends
    checks = {c.name for c in graph.get_check_keys_for_assets(graph.get_all_asset_keys())}
    assert checks == {"ingest_rejected_share", "candidate_promoted"}
    assert {p.to_user_string() for p in graph.get(dg.AssetKey("promote")).parent_keys} == {"evaluation"}
    assert {p.to_user_string() for p in graph.get(dg.AssetKey("benchmark")).parent_keys} == {"promote"}
    for key in graph.get_all_asset_keys():  # the catalogue shows an owner and what each asset is made with
        node = graph.get(key)
        assert node.owners == ["team:lipsync"] and node.kinds, key
        assert node.pools == {WRITER_POOL}, key  # every asset writes under data/: one writer at a time
    assert {"pytorch", "mlflow"} <= graph.get(dg.AssetKey("generator")).kinds
    assert "webdataset" in graph.get(dg.AssetKey("shards")).kinds


def test_sensor_adds_a_partition_per_new_file_and_requests_one_run(tmp_path):
    project = make_project(tmp_path / "proj", {"paths": {"raw_videos": "raw"}})
    raw = project.layout.raw_videos
    raw.mkdir(parents=True)
    write(raw / "a.mp4")
    write(raw / "b.mp4", seconds=1.2)
    instance = dg.DagsterInstance.ephemeral()
    resource = LipsyncProject(root=str(project.root))

    def evaluate():
        with dg.build_sensor_context(instance=instance, resources={"lipsync": resource}) as context:
            return new_raw_videos(context)

    first = evaluate()
    added = first.dynamic_partitions_requests[0].partition_keys
    assert len(added) == 2 and len(first.run_requests) == 1
    tags = first.run_requests[0].tags
    assert {tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]} == set(added)
    instance.add_dynamic_partitions(videos_partitions.name, list(added))
    assert evaluate().skip_reason.skip_message == "no new raw videos"
    shutil.copyfile(raw / "a.mp4", raw / "copy_of_a.mp4")  # a copy: its own partition (a duplicate row)
    write(raw / "c.mp4", seconds=1.4)
    third = evaluate().dynamic_partitions_requests[0].partition_keys
    assert len(third) == 2 and not set(third) & set(added)


def test_rejected_share_check_fails_above_the_threshold(raw_project):
    from assets.ingest import ingest_rejected_share
    from lipsync.stages import ingest

    raw = raw_project.layout.raw_videos
    write(raw / "good.mp4")
    resource = LipsyncProject(root=str(raw_project.root))
    ingest.run(raw_project.params, raw_project.layout)
    assert ingest_rejected_share(lipsync=resource).passed
    (raw / "empty.mp4").write_bytes(b"")
    (raw / "notes.mp4").write_text("not a video")
    ingest.run(raw_project.params, raw_project.layout)
    result = ingest_rejected_share(lipsync=resource)
    assert not result.passed and result.metadata["rejected_share"].value == 2 / 3


def test_launching_needs_a_persistent_instance():
    from pipelines.launch import open_workspace

    with pytest.raises(RuntimeError, match="persistent Dagster instance"):
        with open_workspace(dg.DagsterInstance.ephemeral()):
            pass
