"""The evaluation settings load strictly from params.yaml; the official evaluator's shape is a
constant that a YAML mapping of the published values reproduces."""

from __future__ import annotations

import copy

import pytest
import yaml

from lipsync.config import params_from_mapping
from lipsync.evaluation.settings import EvaluationSettings, SyncNetV2Settings
from lipsync.evaluation.syncnet_v2 import OFFICIAL_SYNCNET_V2
from lipsync.params_loader import ParamsError, from_mapping
from tests.builders import real_params, real_section

OFFICIAL = yaml.safe_load("""
audio_channels: [64, 192, 384, 256, 256, 512]
face_channels: [96, 256, 256, 256, 256, 512]
hidden_dim: 512
embedding_dim: 1024
face_size: 224
channel_order: bgr
face_crop_top: 0.0
""")


def test_the_project_sections_load():
    settings = real_section(EvaluationSettings, "evaluation")
    assert settings.split == "test" and settings.sync.max_offset == 15 and settings.evaluator_file is None
    assert settings.self_checks.shifts == (-10, -5, -2, 2, 5, 10) and settings.self_checks.min_share == 0.9
    cpu = real_section(SyncNetV2Settings, "models.syncnet_evaluator")
    assert cpu != OFFICIAL_SYNCNET_V2 and cpu.face_size == 96
    assert from_mapping(SyncNetV2Settings, OFFICIAL, "models.syncnet_evaluator") == OFFICIAL_SYNCNET_V2


def test_a_wrong_or_missing_key_is_named():
    data = copy.deepcopy(real_params())
    data["evaluation"]["sync"]["max_ofset"] = data["evaluation"]["sync"].pop("max_offset")
    with pytest.raises(ParamsError, match="evaluation.sync.max_ofset"):
        params_from_mapping(data)
    with pytest.raises(ParamsError, match="face_channels' must have 6 items"):
        from_mapping(SyncNetV2Settings, {**OFFICIAL, "face_channels": [96, 256]}, "models.syncnet_evaluator")
    with pytest.raises(ValueError, match="face_crop_top 1.0 is outside"):
        from_mapping(SyncNetV2Settings, {**OFFICIAL, "face_crop_top": 1.0}, "models.syncnet_evaluator")
    data = copy.deepcopy(real_params())
    data["evaluation"]["reference_offset"] = 1.5
    with pytest.raises(ValueError, match="reference_offset"):
        params_from_mapping(data)
