"""MODEL resolution: checkpoint paths of ours and of the published Wav2Lip (``module.`` prefixes),
registry URIs, the default, and the errors that name what is wrong."""

from __future__ import annotations

import pytest
import torch

from lipsync.inference.model_source import ModelSourceError, load_generator
from lipsync.models import LipSyncGenerator, Wav2Lip
from tests.builders import loaded_params

SETTINGS = loaded_params().models.generator


def official_wav2lip(path):
    """A checkpoint in the published format: a dict saved from DataParallel (``module.`` keys)."""
    torch.manual_seed(0)
    state = {f"module.{key}": value for key, value in Wav2Lip().state_dict().items()}
    torch.save({"state_dict": state, "optimizer": None, "global_step": 253000, "global_epoch": 9}, path)
    return path


def test_an_official_wav2lip_checkpoint_loads_by_path(tmp_path):
    loaded = load_generator(str(official_wav2lip(tmp_path / "wav2lip_gan.pth")), SETTINGS, tmp_path, tmp_path / "r")
    assert isinstance(loaded.model, Wav2Lip) and not loaded.model.training
    assert "wav2lip_gan.pth (Wav2Lip, wav2lip-dict, step 253000)" in loaded.identity


def test_our_checkpoint_loads_by_path_whatever_its_name(tmp_path, ours_checkpoint):
    renamed = tmp_path / "wav2lip_lookalike.pth"  # the name suggests Wav2Lip; the weights decide
    renamed.write_bytes(ours_checkpoint.read_bytes())
    loaded = load_generator(str(renamed), SETTINGS, tmp_path, tmp_path / "r")
    assert isinstance(loaded.model, LipSyncGenerator) and "step 7" in loaded.identity


def test_unusable_models_are_refused_with_the_reason(tmp_path):
    with pytest.raises(ModelSourceError, match="nowhere.pth: no such file"):
        load_generator(str(tmp_path / "nowhere.pth"), SETTINGS, tmp_path, tmp_path / "r")
    other = tmp_path / "other.pth"
    torch.save({"state_dict": {"layer.weight": torch.zeros(2)}}, other)
    with pytest.raises(ModelSourceError, match="fits neither generator"):
        load_generator(str(other), SETTINGS, tmp_path, tmp_path / "r")
    with pytest.raises(ModelSourceError, match="none trained"):
        load_generator(None, SETTINGS, tmp_path / "mlruns", tmp_path / "result.json")
    with pytest.raises(ModelSourceError, match=r"is not a registry URI \(models:/NAME@ALIAS or models:/NAME/VERSION\)"):
        load_generator("models:/lipsync-generator", SETTINGS, tmp_path / "mlruns", tmp_path / "result.json")


def test_registry_versions_and_aliases_load_by_identity(tmp_path):
    import numpy as np

    from lipsync.tracking import TrainingRun, ensure_experiment, open_tracking, set_alias

    mlruns = tmp_path / "mlruns"
    client = open_tracking(mlruns)
    experiment = ensure_experiment(client, "generator", mlruns)
    model = LipSyncGenerator(SETTINGS).eval()
    example = (np.zeros((1, 6, 96, 96), np.float32), np.zeros((1, 1, 80, 16), np.float32))
    tags = {"data_version": "test", "git_commit": "test", "model_kind": "generator"}
    with TrainingRun(client, experiment, "generator-test", {}, tags) as run:
        ref = run.log_model(model, example, "lipsync-generator", {"steps": 1})
    by_version = load_generator(ref.uri, SETTINGS, mlruns, tmp_path / "result.json")
    assert by_version.identity == f"models:/lipsync-generator/{ref.version} (run {ref.run_id})"
    set_alias(client, ref, "champion")
    by_default = load_generator(None, SETTINGS, mlruns, tmp_path / "result.json")  # no result.json: the champion
    assert by_default.identity == by_version.identity
    for name, value in model.state_dict().items():
        assert torch.equal(by_default.model.state_dict()[name], value)
