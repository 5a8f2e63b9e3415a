"""LPIPS only with verified AlexNet weights; a note, never a download, otherwise."""

from __future__ import annotations

import hashlib
import urllib.request

import numpy as np
import pytest
import torch
import torchvision

from lipsync.evaluation.lpips_distance import ALEXNET_FILE, LpipsMetric, alexnet_path, weights_problem
from lipsync.evaluation.settings import LpipsSettings
from tests.evaluation.evaluation_fixtures import cropped_clip

VERIFIED = LpipsSettings(accept_unverified_weights=False, batch_size=4)
OVERRIDE = LpipsSettings(accept_unverified_weights=True, batch_size=4)


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty torch hub under TORCH_HOME, and any attempt to reach the network fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("LPIPS tried to download something")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for module, name in ((urllib.request, "urlopen"), (torch.hub, "urlopen"), (torch.hub, "download_url_to_file")):
        monkeypatch.setattr(module, name, refuse)
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.fixture
def random_alexnet(offline_hub):
    """A random AlexNet (its features, all LPIPS reads) saved under the real file's name."""
    torch.manual_seed(0)
    features = torchvision.models.alexnet(weights=None).features.state_dict()
    offline_hub.mkdir(parents=True)
    torch.save({f"features.{key}": value for key, value in features.items()}, offline_hub / ALEXNET_FILE)
    return offline_hub / ALEXNET_FILE


@pytest.fixture(scope="module")
def faces():
    return cropped_clip(speaker=25, seconds=3.0).faces[::20]  # 4 frames


def test_refused_without_weights(offline_hub, faces):
    metric = LpipsMetric(VERIFIED)
    assert alexnet_path() == offline_hub / ALEXNET_FILE
    scores = metric.score(faces, faces)
    assert not metric.available and scores.per_frame is None and scores.mean is None
    assert scores.note.startswith("n/a: no AlexNet weights (") and "not found" in scores.note
    assert not any(offline_hub.parent.parent.rglob("*.pth"))


def test_computed_with_a_test_made_file_under_the_override(random_alexnet, faces):
    metric = LpipsMetric(OVERRIDE)
    assert metric.available
    same = metric.score(faces, faces.copy())
    assert same.note is None and same.per_frame.shape == (4,) and np.all(same.per_frame == 0.0)
    rng = np.random.default_rng(0)
    light, heavy = (np.clip(faces + rng.normal(0, s, faces.shape), 0, 255).astype(np.uint8) for s in (4, 24))
    assert 0.0 < metric.score(light, faces).mean < metric.score(heavy, faces).mean


def test_a_test_made_file_is_refused_without_the_override(random_alexnet):
    metric = LpipsMetric(VERIFIED)
    assert not metric.available
    assert (
        metric.note.startswith("n/a: no AlexNet weights (")
        and "its name says 7be5be79: not the real file" in metric.note
    )


def test_a_file_whose_hash_matches_its_name_is_accepted(tmp_path):
    content = b"weights"
    prefix = hashlib.sha256(content).hexdigest()[:8]
    path = tmp_path / f"alexnet-owt-{prefix}.pth"
    path.write_bytes(content)
    assert weights_problem(path, accept_unverified=False) is None
    assert "no hash" in weights_problem(path.rename(tmp_path / "alexnet.pth"), accept_unverified=False)


def test_a_file_without_alexnet_features_is_a_note_not_an_error(offline_hub):
    offline_hub.mkdir(parents=True)
    torch.save({"classifier.1.weight": torch.zeros(2, 2)}, offline_hub / ALEXNET_FILE)
    metric = LpipsMetric(OVERRIDE)
    assert not metric.available and "lacks or mis-shapes features.0.weight" in metric.note
