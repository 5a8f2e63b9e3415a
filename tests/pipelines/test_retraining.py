"""The retraining triggers' evaluation functions (build_schedule_context / build_sensor_context)
on a registry whose champions carry their data, params and code versions; and, slow, one full
cycle on the tiny profile with a real Dagster instance and MLflow store: a zero-step candidate
refused by a named rule, new speakers added, the sensors, the retraining, its decision, and a
clean ``dvc status`` after it."""

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import LipsyncProject
from lipsync.config import select_sections
from lipsync.stages.registry import stage as registry_entry
from lipsync.stages.training_stage import SOURCE_ROOT, code_hash
from lipsync.tracking import flatten_params, params_hash
from lipsync.tracking.promotion import commit_decision
from pipelines.retraining import new_clips_since_champion, retraining_schedule
from tests.builders import TINY, deep_update, make_project
from tests.tracking.registry_fixtures import Store, complete

MODELS = {"generator": "lipsync-generator", "wav2lip_baseline": "wav2lip-baseline"}


def manifest(data_version: str, clips: int) -> dict:
    ids = [f"{i:016x}" for i in range(clips)]
    return {"data_version": data_version, "splits": {"train": {"video_ids": ids[2:]}, "test": {"video_ids": ids[:2]}}}


def write_manifest(project, data_version: str, clips: int) -> None:
    project.layout.shards_manifest.parent.mkdir(parents=True, exist_ok=True)
    project.layout.shards_manifest.write_text(json.dumps(manifest(data_version, clips)))


def champion_now(project, store: Store, clips: int = 10) -> None:
    """Both models get a champion trained on the current params and code and ``clips`` clips (data ``d1``)."""
    for stage, name in MODELS.items():
        entry = registry_entry(stage)
        tags = {"data_version": "d1", "code_version": code_hash(SOURCE_ROOT, entry.code),
                "params_hash": params_hash(flatten_params(select_sections(project.params, entry.params)))}  # fmt: skip
        version = store.add(name=name, manifest=manifest("d1", clips))
        commit_decision(store.client, store.mlruns, name, version, complete(version, "none") | tags, promote=True)


@pytest.fixture
def registry(tmp_path):
    project = make_project(tmp_path / "proj")
    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        yield project, Store(project.root), instance


TICK = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # a Monday, 03:00: a tick of the default cron


def schedule_tick(project, instance):
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=TICK, resources={
            "lipsync": LipsyncProject(root=str(project.root))}) as context:  # fmt: skip
        return retraining_schedule(context)


def sensor_tick(project, instance):
    with dg.build_sensor_context(instance=instance, resources={"lipsync": LipsyncProject(root=str(
            project.root))}) as context:  # fmt: skip
        return new_clips_since_champion(context)


def test_the_schedule_skips_when_nothing_changed_since_the_champion(registry):
    project, store, instance = registry
    assert "nothing to retrain on yet" in schedule_tick(project, instance).skip_message  # no shards
    write_manifest(project, "d1", 10)
    first = schedule_tick(project, instance)
    assert isinstance(first, dg.RunRequest)  # no champion yet: train one
    assert "has no champion or candidate yet" in first.tags["lipsync/changes"]
    champion_now(project, store)
    skip = schedule_tick(project, instance)
    assert skip.skip_message == ("nothing changed since the champion (or the challenger, already judged): same "
                                 "data version, params and code for generator, wav2lip_baseline")  # fmt: skip
    write_manifest(project, "d2", 10)  # new shards
    request = schedule_tick(project, instance)
    assert isinstance(request, dg.RunRequest) and request.tags["lipsync/trigger"] == "schedule"
    assert request.run_key == "scheduled-2026-12-07T03:00:00+00:00"
    assert "generator: data_version d1 (v1, champion) -> d2" in request.tags["lipsync/changes"]


def test_the_schedule_skips_when_the_challenger_was_trained_on_this_data(registry):
    project, store, instance = registry
    write_manifest(project, "d1", 10)
    champion_now(project, store)
    write_manifest(project, "d2", 12)  # new shards: a retraining is due
    assert "data_version d1 (v1, champion) -> d2" in schedule_tick(project, instance).tags["lipsync/changes"]
    for stage, name in MODELS.items():  # ... it ran: candidates trained on d2 lost against the champions
        entry = registry_entry(stage)
        tags = {"data_version": "d2", "code_version": code_hash(SOURCE_ROOT, entry.code),
                "params_hash": params_hash(flatten_params(select_sections(project.params, entry.params)))}  # fmt: skip
        version = store.add(name=name, manifest=manifest("d2", 12))
        commit_decision(store.client, store.mlruns, name, version, complete(version, "v1") | tags, promote=False)
    assert schedule_tick(project, instance).skip_message.startswith("nothing changed since the champion (or the ")
    write_manifest(project, "d3", 13)
    request = schedule_tick(project, instance)  # changes are named against the champion
    assert "generator: data_version d1 (v1, champion) -> d3" in request.tags["lipsync/changes"]


def test_the_schedule_sees_a_params_change(registry):
    project, store, instance = registry
    write_manifest(project, "d1", 10)
    champion_now(project, store)
    params = (project.root / "params.yaml").read_text()
    (project.root / "params.yaml").write_text(params.replace("steps: 1700", "steps: 1800"))  # ours only
    request = schedule_tick(project, instance)
    assert request.tags["lipsync/changes"].startswith("generator: params_hash ")
    assert "wav2lip_baseline" not in request.tags["lipsync/changes"]


def test_the_sensor_waits_for_enough_new_clips(registry):
    project, store, instance = registry
    assert "the data job has not made shards yet" in sensor_tick(project, instance).skip_message
    write_manifest(project, "d1", 10)
    champion_now(project, store, clips=10)
    assert sensor_tick(project, instance).skip_message == (
        "0 usable new clip(s) of 10 since lipsync-generator v1 (champion); a retraining starts at 12"
    )
    write_manifest(project, "d2", 21)  # 11 new: below the threshold, quiet
    assert sensor_tick(project, instance).skip_message.startswith("11 usable new clip(s) of 21 since")
    write_manifest(project, "d3", 22)
    request = sensor_tick(project, instance)
    assert isinstance(request, dg.RunRequest) and request.run_key == "new-clips-d3"
    assert request.tags["lipsync/new_clips"].startswith("12 usable new clip(s) of 22 since lipsync-generator v1")


# --- one full cycle, end to end (slow) ---------------------------------------------------------------------------

ZERO_STEPS = deep_update(TINY, {
    "training": {"generator": {"loop": {"steps": 0}}},  # registers the starting weights: copy-the-reference
    # a rule this tiny evaluator can be judged by: mouth landmarks (dlib), not LSE (its self-checks fail)
    "promote": {"self_checks": "lse", "primary": {"metric": "reconstruction/lmd", "better": "lower", "margin": 0.001},
                "guards": {"reconstruction/mouth_ssim": {"better": "higher", "tolerance": 0.01}},
                "floors": {"reconstruction/lmd": {"better": "lower", "than": "copy_reference", "margin": 0.001}}},
    "retraining": {"min_new_clips": 2},
})  # fmt: skip
DVC_FILES = ("lipsync", "assets", "pipelines", "dvc.yaml", "workspace.yaml")


def materialization(instance, asset: str, run_id: str) -> dict:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=10).records
    event = next(r for r in records if r.run_id == run_id)
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def dvc(project, *args: str) -> str:
    env = {"DVC_NO_ANALYTICS": "1", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    done = subprocess.run([str(Path(sys.executable).parent / "dvc"), *args], cwd=project.root, capture_output=True,
                          text=True, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_full_retraining_cycle(tmp_path):
    from lipsync.stages import extra_speakers
    from lipsync.tracking import open_tracking
    from pipelines.instance import DAGSTER_YAML
    from pipelines.launch import launch, open_workspace
    from pipelines.main_run import run_main_job

    project = make_project(tmp_path / "proj", ZERO_STEPS)
    for name in DVC_FILES:  # the project is a DVC repository, as a clone is
        source = SOURCE_ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copyfile
        copy(source, project.root / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir()
                                             else {}))  # fmt: skip
    dvc(project, "init", "--no-scm", "-q")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    client = open_tracking(project.layout.mlruns)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        first = run_main_job(project, instance=instance)
        assert first["success"], first
        decided = materialization(instance, "promote", first["runs"]["evaluation_job"]["run_id"])
        assert decided["lipsync-generator/promoted"] is False and decided["lipsync-generator/champion"] == 0
        assert "FAILED floor reconstruction/lmd (lower is better): candidate" in decided["lipsync-generator/reasons"]
        assert "vs copy_reference" in decided["lipsync-generator/reasons"]
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("promote"), "candidate_promoted")])  # fmt: skip
        assert list(check.values())[0].status.value == "FAILED"  # severity WARN: the rule kept the champion
        candidate = client.get_registered_model("lipsync-generator").aliases["challenger"]

        added = extra_speakers.run(project.params, project.layout, 1)  # the demonstration's command
        assert added["videos"] == TINY["corpus"]["clips_per_speaker"] and added["speakers"] == ["spk03-camera"]
        data = run_main_job(
            project, instance=instance, with_corpus=False, with_training=False
        )  # what new_raw_videos runs
        assert data["success"] and data["new_partitions"] == added["videos"]
        tick = sensor_tick(project, instance)
        assert isinstance(tick, dg.RunRequest), tick
        assert tick.tags["lipsync/new_clips"].startswith("2 usable new clip(s)")
        run_config = {"resources": {"lipsync": {"config": {"root": str(project.root)}}}}
        with open_workspace(instance) as workspace:
            retrained = launch(workspace, "retraining_job", run_config, tick.tags)
        assert retrained.status == dg.DagsterRunStatus.SUCCESS
        second = materialization(instance, "promote", retrained.run_id)
        assert second["lipsync-generator/candidate"] != int(candidate) and not second["lipsync-generator/promoted"]
        assert int(client.get_registered_model("lipsync-generator").aliases["challenger"]) == second[
            "lipsync-generator/candidate"]  # fmt: skip
        recorded = materialization(instance, "benchmark", retrained.run_id)  # the job's last step
        assert recorded["dvc"] == "clean" and "up to date" in dvc(project, "status")
        assert schedule_tick(project, instance).skip_message.startswith("nothing changed since the champion")
