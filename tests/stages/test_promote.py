"""Stage promote: the candidate (the version a training stage recorded) against the champion by
the params' rule, recorded in tags, an MLflow run and the report; a champion deleted, removed or
from another evaluation, and a candidate the evaluation did not score, each get a clear decision."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from lipsync.stages import benchmark, promote, runner
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
    # the benchmark report, made after the decision, ends with it: rules, versions, the champion in bold
    benchmark.run(params, project.layout)
    page = (project.layout.benchmark / "benchmark.html").read_text()
    assert "<h2>Registry: Promotion decisions" in page and f"<h3>{NAME}: v{version} unchanged" in page
    assert re.search(rf"<td><strong>v{version}</strong></td>\s*<td>[a-z, ]*champion", page)
    markdown = (project.layout.benchmark / "benchmark.md").read_text()
    assert "#### Versions" in markdown and re.search(rf"\| \*\*v{version}\*\* \| [a-z, ]*champion", markdown)
    shards = json.loads(project.layout.shards_manifest.read_text())["data_version"]
    header = markdown.splitlines()[0]
    assert f"shard data {shards}, generators' filtered train data {produced['data_version']}" in header


@pytest.mark.slow
def test_rescoring_a_version_reproduces_its_evaluation(tiny_evaluated):
    """Re-scoring (the champion's path when another evaluation scored the candidate) is the
    evaluation's own scoring: the version the evaluation scored gets the same figures again."""
    from lipsync.stages.promote_rescore import rescore

    project, _ = tiny_evaluated
    summary = json.loads(project.layout.evaluation_summary.read_text())  # what is on disk now
    client = open_tracking(project.layout.mlruns)
    scored = summary["models"]["ours"]
    ref = ModelRef.from_dict({key: scored[key] for key in ("name", "version", "run_id")})
    figures, run_id = rescore(project.params, project.layout, client, "generator", ref, summary)
    expected = {f"{setting}/{metric}": value for setting, rows in summary["means"].items()
                for metric, value in rows["ours"].items()}  # fmt: skip
    assert {key for key, value in figures.items() if value is not None} == {
        key for key, value in expected.items() if value is not None}  # fmt: skip
    for key, value in expected.items():
        if value is not None:
            assert figures[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    run = client.get_run(run_id)
    assert (
        run.data.tags["rescore_of_champion"] == "true" and run.data.tags["evaluator"] == summary["evaluator"]["model"]
    )
    assert run.data.metrics["cross_audio/champion/lse_c"] == pytest.approx(expected["cross_audio/lse_c"], rel=1e-5)


# --- the stage on a registry whose versions are cheap (no training): three rounds and the faults -------------------

BASELINE = "wav2lip-baseline"
ROWS = {"generator": (NAME, "ours"), "wav2lip_baseline": (BASELINE, "wav2lip_baseline")}
GOOD = {"cross_audio/lse_c": 2.00, "reconstruction/mouth_ssim": 0.60, "reconstruction/lmd": 0.030,
        "cross_audio/identity": 0.10, "cross_audio/jitter_ratio": 1.10}  # fmt: skip
COPY = {"cross_audio/lse_c": 1.00, "reconstruction/lmd": 0.040}  # the copy-the-reference row: the floors


def candidates(project, store: Store, figures: dict[str, dict], evaluation: str = "eval1") -> dict:
    """A new version of each promoted model, its result.json, and an evaluation summary that scored
    it with ``figures[stage]`` (written where the stage reads it); returns the summary."""
    from lipsync.atomic import write_json

    models, means = {}, {}
    for stage, (name, row) in ROWS.items():
        version = store.add(name=name)
        ref = {"name": name, "version": version, "run_id": store.client.get_model_version(name, str(version)).run_id}
        write_json(project.layout.model_result(stage), {"model": ref, "data_version": "d1", "params_hash": "p1",
                                                        "code_version": "c1"})  # fmt: skip
        models[row] = ref | {"model": f"{name} v{version}"}
        for table_row, values in ((row, figures[stage]), ("copy_reference", COPY)):
            for key, value in values.items():
                setting, metric = key.split("/")
                means.setdefault(setting, {}).setdefault(table_row, {})[metric] = value
    summary = {"data_version": evaluation, "evaluator": {"model": "syncnet-evaluator v2"}, "lse_reliable": True,
               "self_checks": [{"name": "offset", "passed": True}], "models": models, "means": means, "clips": 2,
               "mlflow_run_id": f"run-of-{evaluation}"}  # fmt: skip
    write_json(project.layout.evaluation_summary, summary)
    return summary


@pytest.fixture
def registry(tmp_path):
    from tests.builders import make_project

    project = make_project(tmp_path / "proj")
    return project, Store(project.root)


def test_three_rounds_first_champion_a_winner_a_loser_and_an_evaluator_change(registry):
    project, store = registry
    client = store.client
    candidates(project, store, {"generator": GOOD, "wav2lip_baseline": GOOD})
    first = promote.run(project.params, project.layout)["models"]
    assert first["generator"]["promoted"] and first["generator"]["summary"].startswith(
        "promoted over first champion (floors)")  # fmt: skip
    assert champion_of(client, NAME) == 1 and champion_of(client, BASELINE) == 1
    assert not rec.missing_for_champion(store.tags(1)) and store.tags(1)[rec.PREVIOUS_CHAMPION] == "none"
    assert store.tags(1)["benchmark.cross_audio.lse_c"] == "2" and store.tags(1)["evaluation_run"] == "run-of-eval1"

    worse = GOOD | {"cross_audio/lse_c": 1.90}
    candidates(project, store, {"generator": GOOD | {"cross_audio/lse_c": 2.20}, "wav2lip_baseline": worse})
    second = promote.run(project.params, project.layout)["models"]
    assert second["generator"]["promoted"] and champion_of(client, NAME) == 2
    assert store.tags(2)[rec.PREVIOUS_CHAMPION] == "1" and store.tags(2)[rec.COMPARED_WITH] == f"{NAME} v1"
    lost = second["wav2lip_baseline"]
    assert not lost["promoted"] and champion_of(client, BASELINE) == 1  # the champion is untouched
    assert int(client.get_registered_model(BASELINE).aliases["challenger"]) == 2
    assert lost["summary"] == (f"not promoted against {BASELINE} v1: primary cross_audio/lse_c (higher is better): "
                               f"candidate 1.9 vs {BASELINE} v1 2: -0.1 better, needs more than +0.05")  # fmt: skip
    assert store.tags(2, BASELINE)[rec.REASONS].splitlines()[2].startswith("FAILED primary cross_audio/lse_c")
    report = (project.layout.promote / "promotion.md").read_text()
    assert f"## {BASELINE}: v2 not promoted (champion: v1)" in report and "| **v1** | champion |" in report

    # another evaluator scored the next candidate: the champion's figures are not comparable and, with
    # no evaluator on disk to re-score it, the evaluator rule refuses however good the candidate looks
    candidates(project, store, {"generator": GOOD | {"cross_audio/lse_c": 3.0}, "wav2lip_baseline": GOOD},
               evaluation="eval2")  # fmt: skip
    third = promote.run(project.params, project.layout)["models"]["generator"]
    assert not third["promoted"] and champion_of(client, NAME) == 2
    assert [v["rule"] for v in third["verdicts"] if not v["passed"]] == ["evaluator"]
    assert third["notes"][0].startswith(f"re-scoring {NAME} v2 failed: ")
    assert "syncnet_evaluator/result.json is missing" in third["notes"][0]


def test_a_failing_store_never_moves_the_champion_half_way(registry, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    project, store = registry
    candidates(project, store, {"generator": GOOD, "wav2lip_baseline": GOOD})
    promote.run(project.params, project.layout)
    candidates(project, store, {"generator": GOOD | {"cross_audio/lse_c": 2.5}, "wav2lip_baseline": GOOD})
    move = MlflowClient.set_registered_model_alias

    def failing(self, name, alias, version):
        if alias == "champion":
            raise MlflowException("database is locked")
        return move(self, name, alias, version)

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", failing)
    with pytest.raises(RuntimeError, match=r"promote: the MLflow store .*mlruns failed \(database is locked\)"):
        promote.run(project.params, project.layout)
    assert champion_of(store.client, NAME) == 1  # the tags of v2 are written, the alias did not move
    assert json.loads(project.layout.promote_decision.read_text())["models"]["generator"]["candidate"] == 1
    monkeypatch.undo()
    assert promote.run(project.params, project.layout)["models"]["generator"]["promoted"]  # the rerun completes it
    assert champion_of(store.client, NAME) == 2


def test_a_candidate_missing_from_the_store_is_refused(registry):
    project, store = registry
    candidates(project, store, {"generator": GOOD, "wav2lip_baseline": GOOD})
    store.client.delete_model_version(NAME, "1")  # as when mlruns/ was reset under data/
    with pytest.raises(RuntimeError, match=r"lipsync-generator v1 \(run .*\), which .*generator/result.json names, "
                                           r"is not in the registry at .*mlruns"):  # fmt: skip
        promote.run(project.params, project.layout)
    assert not project.layout.promote_decision.exists()
