"""Warm start (training.<stage>.warm_start): from scratch, from the champion (resolved to a version
once and recorded) or from a checkpoint file; the starting weights are loaded strictly, weights only."""

from __future__ import annotations

import pytest
import torch

from lipsync.models import LipSyncGenerator, Wav2Lip
from lipsync.stages.generator_inputs import load_start, warm_start
from lipsync.tracking.promotion import commit_decision
from lipsync.training.settings import WarmStartSettings
from tests.builders import make_project
from tests.tracking.registry_fixtures import NAME, Store, complete


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.clone() for key, value in model.state_dict().items()}


def test_scratch_and_checkpoint(tmp_path):
    project = make_project(tmp_path / "proj")
    assert warm_start(WarmStartSettings("scratch", None), project.layout, "generator") is None
    with pytest.raises(FileNotFoundError, match="'training.wav2lip_baseline.warm_start.checkpoint' names"):
        warm_start(WarmStartSettings("checkpoint", "wav2lip.pth"), project.layout, "wav2lip_baseline")
    torch.manual_seed(1)
    official = Wav2Lip()
    state = {f"module.{key}": value for key, value in official.state_dict().items()}  # as DataParallel saved it
    torch.save({"state_dict": state, "global_step": 1}, project.root / "wav2lip.pth")
    init = warm_start(WarmStartSettings("checkpoint", "wav2lip.pth"), project.layout, "wav2lip_baseline")
    assert (
        init["from"] == "checkpoint" and init["path"] == str(project.root / "wav2lip.pth") and len(init["sha256"]) == 16
    )
    torch.manual_seed(2)
    model = Wav2Lip()
    load_start(model, init, project.layout)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in official.state_dict().items())
    with pytest.raises(ValueError, match="exactly when source is checkpoint"):
        WarmStartSettings("champion", "wav2lip.pth")


def test_from_the_champion(tmp_path):
    project = make_project(tmp_path / "proj")
    settings = WarmStartSettings("champion", None)
    assert warm_start(settings, project.layout, "generator") == {
        "from": "scratch (lipsync-generator has no champion yet)"
    }
    store = Store(project.root)
    version = store.add()
    torch.manual_seed(1)
    champion = LipSyncGenerator(project.params.models.generator)
    run_id = store.client.get_model_version(NAME, str(version)).run_id
    (store.mlruns / "models" / run_id / "extra_files").mkdir()
    torch.save(weights(champion), store.mlruns / "models" / run_id / "extra_files" / "state_dict.pt")
    commit_decision(store.client, store.mlruns, NAME, version, complete(version, "none"), promote=True)
    init = warm_start(settings, project.layout, "generator")
    assert init == {"from": "champion", "name": NAME, "version": version, "run_id": run_id}  # the number, recorded
    torch.manual_seed(2)
    model = LipSyncGenerator(project.params.models.generator)
    load_start(model, init, project.layout)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in champion.state_dict().items())
    untouched = weights(model)
    load_start(model, None, project.layout)  # scratch: nothing loaded
    assert all(torch.equal(model.state_dict()[k], v) for k, v in untouched.items())
    assert project.params.training.generator.warm_start.source == "scratch"  # the default
