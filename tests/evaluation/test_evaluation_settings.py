"""The evaluation settings load strictly from YAML (the section the stage will add to params.yaml)."""

from __future__ import annotations

import pytest
import yaml

from lipsync.evaluation.settings import FaceSettings, ImageSettings, LpipsSettings, SyncNetV2Settings, SyncSettings
from lipsync.evaluation.syncnet_v2 import OFFICIAL_SYNCNET_V2
from lipsync.params_loader import ParamsError, from_mapping

PROPOSED = yaml.safe_load("""
syncnet_v2:                   # official: the published syncnet_v2.model (loads that file)
  audio_channels: [64, 192, 384, 256, 256, 512]
  face_channels: [96, 256, 256, 256, 256, 512]
  hidden_dim: 512
  embedding_dim: 1024
  face_size: 224
  channel_order: bgr
sync: {max_offset: 15, batch_size: 32}
image: {ssim_window: 7, psnr_cap_db: 100.0}
lpips: {accept_unverified_weights: false, batch_size: 16}
faces:
  detector_upsample: 1
  fallback_box: [0.14, 0.05, 0.89, 0.81]
  landmark_upscale: 4
  identity_jitters: 0
  same_person_threshold: 0.6
""")


def test_proposed_section_loads_and_the_official_shape_is_the_constant():
    assert from_mapping(SyncNetV2Settings, PROPOSED["syncnet_v2"], "syncnet_v2") == OFFICIAL_SYNCNET_V2
    assert from_mapping(SyncSettings, PROPOSED["sync"], "sync").max_offset == 15
    assert from_mapping(ImageSettings, PROPOSED["image"], "image").psnr_cap_db == 100.0
    assert not from_mapping(LpipsSettings, PROPOSED["lpips"], "lpips").accept_unverified_weights
    faces = from_mapping(FaceSettings, PROPOSED["faces"], "faces")
    assert faces.fallback_box == (0.14, 0.05, 0.89, 0.81)
    assert from_mapping(FaceSettings, {**PROPOSED["faces"], "fallback_box": None}, "faces").fallback_box is None


def test_a_wrong_or_missing_key_is_named():
    with pytest.raises(ParamsError, match="syncnet_v2.face_channels' must have 6 items"):
        from_mapping(SyncNetV2Settings, {**PROPOSED["syncnet_v2"], "face_channels": [96, 256]}, "syncnet_v2")
    with pytest.raises(ParamsError, match="missing params key 'sync.batch_size'"):
        from_mapping(SyncSettings, {"max_offset": 15}, "sync")
