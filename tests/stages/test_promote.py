"""Stage promote: the candidate (the version a training stage recorded) against the champion by
the params' rule, recorded in tags, an MLflow run and the report; a champion deleted, removed or
from another evaluation, and a candidate the evaluation did not score, each get a clear decision."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lipsync.stages import promote, runner
from lipsync.stages.promote_champion import _why_no_champion, decision_for
from lipsync.tracking import ModelRef, open_tracking
from lipsync.tracking import version_records as rec
from lipsync.tracking.promotion import champion_of
from lipsync.tracking.promotion_settings import FloorRule
from tests.builders import loaded_params
from tests.tracking.registry_fixtures import NAME, Store, complete

SUMMARY = {
    "data_version": "eval1", "evaluator": {"model": "syncnet-evaluator v2"}, "lse_reliable": True, "self_checks": [],
    "models": {"ours": {"name": NAME, "version": 4, "run_id": "r4", "model": f"{NAME} v4"}},
    "means": {"cross_audio": {"ours": {"lse_c": 2.0}, "copy_reference": {"lse_c": 1.0}}},
}  # fmt: skip


def test_the_candidate_is_the_version_the_evaluation_scored():
    ref = ModelRef(NAME, 4, "r4")
    scored = promote.candidate_scored(SUMMARY, "ours", ref, f"{NAME} v4")
    assert scored.figures == {"cross_audio/lse_c": 2.0} and scored.evaluator == "syncnet-evaluator v2"
    newer = ModelRef(NAME, 5, "r5")
    assert promote.candidate_scored(SUMMARY, "ours", newer, f"{NAME} v5") is None
    decision = decision_for(None, None, SUMMARY, "ours", loaded_params(), f"{NAME} v5")
    assert not decision.promoted and decision.failed[0].rule == "evaluation"
    assert "scored lipsync-generator v4 as row 'ours', not lipsync-generator v5" in decision.summary()
    assert "rerun `lipsync run evaluation`" in decision.summary()


def test_a_missing_champion_is_explained(tmp_path):
    store = Store(tmp_path)
    first = store.add()
    assert "has no champion yet" in _why_no_champion(store.client, NAME, None)[0]
    assert "removed by hand (the last champion was v1)" in _why_no_champion(store.client, NAME, str(first))[0]
    store.client.delete_model_version(NAME, str(first))
    assert "the last champion v1 was deleted from the registry" in _why_no_champion(store.client, NAME, "1")[0]


def test_a_deleted_champion_leaves_no_alias(tmp_path):
    from lipsync.tracking.promotion import commit_decision

    store = Store(tmp_path)
    first = store.add()
    commit_decision(store.client, store.mlruns, NAME, first, complete(first, "none"), promote=True)
    store.client.delete_model_version(NAME, str(first))
    assert champion_of(store.client, NAME) is None  # the promote stage then judges by the floors, with a note


@pytest.mark.slow
def test_promote_records_the_decision_everywhere(tiny_evaluated):
    project, summary = tiny_evaluated
    for stage in ("generator", "wav2lip_baseline"):  # earlier tests may have trained other versions: back to these
        runner(stage)(project.params, project.layout)
    scored = {json.loads(project.layout.model_result(s).read_text())["model"]["version"] for s in ("generator",)}
    if {summary["models"]["ours"]["version"]} != scored:
        summary = runner("evaluation")(project.params, project.layout)
    result = promote.run(project.params, project.layout)
    client = open_tracking(project.layout.mlruns)
    ours = result["models"]["generator"]
    produced = json.loads(project.layout.model_result("generator").read_text())
    version = produced["model"]["version"]
    assert ours["candidate"] == version and ours["model"] == NAME
    # the tiny evaluator fails its self-checks: its LSE figures never promote, and the reasons say so
    assert not summary["lse_reliable"] and not ours["promoted"] and ours["champion"] is None
    assert "evaluator self-checks failed" in ours["reasons"][0] and "first champion (floors)" in ours["summary"]
    tags = client.get_model_version(NAME, str(version)).tags
    assert tags[rec.DECISION] == "not promoted" and tags[rec.SUMMARY] == ours["summary"]
    assert tags[rec.EVALUATOR] == summary["evaluator"]["model"] and tags[rec.EVALUATION] == summary["data_version"]
    assert tags["params_hash"] == produced["params_hash"] and tags["data_version"] == produced["data_version"]
    assert tags["evaluation_run"] == summary["mlflow_run_id"] and tags[rec.RUN] == ours["mlflow_run_id"]
    lse = summary["means"]["cross_audio"]["ours"]["lse_c"]
    assert float(tags["benchmark.cross_audio.lse_c"]) == pytest.approx(lse, rel=1e-5)
    assert int(client.get_registered_model(NAME).aliases["challenger"]) == version
    run = client.get_run(ours["mlflow_run_id"])
    assert run.data.params["promote.primary.metric"] == "cross_audio/lse_c" and run.data.metrics["promoted"] == 0
    assert run.data.metrics["candidate/cross_audio/lse_c"] == pytest.approx(lse)
    report = (project.layout.promote / "promotion.md").read_text()
    assert f"## {NAME}: v{version} not promoted (champion: none)" in report and "| **failed**" in report
    assert json.loads(project.layout.promote_decision.read_text())["models"]["generator"]["promoted"] is False
    # a rule this tiny model passes (face SSIM above zero) promotes it: the first champion, tags complete
    passable = dataclasses.replace(project.params.promote, self_checks="lse", primary=dataclasses.replace(
        project.params.promote.primary, metric="reconstruction/face_ssim"), guards={},
        floors={"reconstruction/face_ssim": FloorRule("higher", 0.0, 0.0)})  # fmt: skip
    params = dataclasses.replace(project.params, promote=passable)
    won = promote.run(params, project.layout)["models"]["generator"]
    assert won["promoted"] and champion_of(client, NAME) == version
    assert not rec.missing_for_champion(client.get_model_version(NAME, str(version)).tags)
    again = promote.run(params, project.layout)["models"]["generator"]  # nothing new was trained
    assert again["decision"] == "unchanged" and champion_of(client, NAME) == version
