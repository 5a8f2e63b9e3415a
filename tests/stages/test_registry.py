"""The stage registry is the one list of stages: each entry has its params keys, runner,
DVC stage (tracking exactly those params), Dagster asset, test file and README row."""

from __future__ import annotations

import importlib
import inspect

import pytest
import yaml

from lipsync.stages.registry import STAGES, Stage
from pipelines.definitions import defs
from tests.builders import ROOT, loaded_params

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
README = (ROOT / "README.md").read_text()
GRAPH = defs.resolve_asset_graph()


def lookup(root, dotted: str):
    value = root
    for name in dotted.split("."):
        value = getattr(value, name)
    return value


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stage_has_its_five_things(stage: Stage):
    params = loaded_params()
    for key in stage.params:
        lookup(params, key)  # AttributeError names a key that params.yaml lacks
    if stage.kind != "training":  # its own params section (photos: corpus.photos, the name for it)
        assert any(key.split(".")[-1] == stage.name for key in stage.params)
    if stage.kind == "training":
        assert f"training.{stage.name}" in stage.params and stage.registered_model
    if stage.architecture:
        assert stage.architecture.startswith("models.") and stage.architecture in stage.params
    runner = importlib.import_module(f"lipsync.stages.{stage.name}")
    assert runner.STAGE == stage.name and "params" in inspect.signature(runner.run).parameters
    dvc = DVC[stage.name]
    assert dvc["cmd"] == f"lipsync run {stage.name}"
    assert dvc["params"] == ["profile", "profiles", *stage.params]
    assert f"lipsync/stages/{stage.name}.py" in stage.code
    assert [d for d in dvc["deps"] if not d.startswith("${")] == list(stage.code)  # the code DVC watches
    assert all((ROOT / path).exists() for path in stage.code)
    node = GRAPH.get(__import__("dagster").AssetKey(stage.name))
    assert node.group_name == stage.group
    assert {p.to_user_string() for p in node.parent_keys} == set(stage.upstream)
    assert (ROOT / "tests" / "stages" / f"test_{stage.name}.py").is_file()
    row = next((line for line in README.splitlines() if line.startswith(f"| {stage.name} |")), None)
    assert row is not None, f"README stage table has no row for {stage.name}"
    for cell in (f"`lipsync/stages/{stage.name}.py`", f"`tests/stages/test_{stage.name}.py`"):
        assert cell in row, (stage.name, cell)
    for cell in filter(None, (stage.registered_model, stage.architecture)):
        assert f"`{cell}`" in row, (stage.name, cell)


def test_nothing_outside_the_registry():
    names = {s.name for s in STAGES}
    assert set(DVC) == names
    assert {k.to_user_string() for k in GRAPH.get_all_asset_keys()} == names
    runners = {p.stem for p in (ROOT / "lipsync" / "stages").glob("*.py")}
    shared = {"__init__", "registry", "per_video", "records", "training_stage", "generator_inputs", "mouth_truth",
              "evaluation_inputs", "evaluation_summary", "ingest_duplicates"}  # fmt: skip
    shared |= {"writer_lock", "promote_champion", "promote_rescore", "promote_report", "retraining", "model_commands",
               "extra_speakers", "faces_passes"}  # fmt: skip
    job_runners = {"batch_inference"}  # runners of jobs that are not pipeline stages (lipsync infer)
    assert runners - shared - job_runners == names
    rows = {line.split("|")[1].strip() for line in README.split("## Stages", 1)[1].splitlines()
            if line.startswith("| ") and not line.startswith(("| stage", "|---"))}  # fmt: skip
    assert rows >= names
