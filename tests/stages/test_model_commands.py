"""``lipsync models list|compare|promote|rollback`` on a registry: tables from version tags, the
champion marked, params that differ, manual promotion and rollback recorded, clear refusals."""

from __future__ import annotations

from lipsync.cli import main
from lipsync.tracking import version_records as rec
from lipsync.tracking.promotion import champion_of, commit_decision
from tests.builders import make_project
from tests.tracking.registry_fixtures import NAME, Store, complete


def run(project, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(project.root), "models", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_models_commands(tmp_path, capsys):
    project = make_project(tmp_path / "proj")
    store = Store(project.root)
    first, second, third = store.add(steps=10), store.add(steps=20), store.add(steps=30)
    figures = rec.figure_tags({"cross_audio/lse_c": 2.5, "reconstruction/lmd": 0.031})
    commit_decision(store.client, store.mlruns, NAME, first, complete(first, "none") | figures, promote=True)
    commit_decision(store.client, store.mlruns, NAME, second, complete(second, "v1") | {rec.DECISION: "not promoted",
                    rec.SUMMARY: "not promoted against v1: primary ..."}, promote=False)  # fmt: skip
    code, out, _ = run(project, capsys, "list", NAME)
    assert code == 0 and out.startswith(f"{NAME}: champion v1, challenger v2")
    assert "| version | aliases | cross_audio/lse_c |" in out and "| **v1** | champion | 2.5 |" in out
    code, out, _ = run(project, capsys, "compare", NAME, "1", "2")
    assert code == 0 and "v1 -> v2: params that differ: training.generator.loop.steps: 10 -> 20" in out
    assert "v2 decision: not promoted against v1: primary ..." in out and "| v3 |" not in out
    assert run(project, capsys, "compare", NAME, "--all")[1].count("params that differ") == 2
    assert run(project, capsys, "compare", NAME, "1")[0] == 2  # two versions, or --all
    code, out, _ = run(project, capsys, "promote", NAME, str(third), "--reason", "preferred in a listening test")
    assert code == 0 and f"{NAME} v3 is the champion (promoted by hand: preferred in a listening test)" in out
    assert champion_of(store.client, NAME) == third and store.tags(third)[rec.DECISION] == "promoted by hand"
    code, out, _ = run(project, capsys, "rollback", NAME, "--reason", "artefacts on long clips")
    assert code == 0 and "champion rolled back from v3 to v1 (artefacts on long clips)" in out
    assert champion_of(store.client, NAME) == first
    code, out, _ = run(project, capsys, "compare", NAME, "--all")
    assert next(line for line in out.splitlines() if line.startswith("| v3 |")).endswith(
        "| - | promoted by hand, rolled back | - | - | - | kept |")  # fmt: skip
    decided = "v3 decision: promoted by hand over v1: preferred in a listening test (this version has no benchmark"
    assert decided + " figures); 20" in out  # then when, and the rollback
    assert "champion rolled back from v3 to v1 (artefacts on long clips)" in out.split("v3 decision:")[1]
    code, _, err = run(project, capsys, "rollback", NAME)
    assert code == 1 and "v1 replaced no earlier champion" in err
    code, _, err = run(project, capsys, "list", "no-such-model")
    assert code == 1 and "no registered model 'no-such-model'" in err and NAME in err
