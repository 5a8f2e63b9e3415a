"""The strict params loader: every bad key is named at load time."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from lipsync.config import load_params, params_from_mapping
from lipsync.params_loader import ParamsError, from_mapping, to_mapping

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Inner:
    rate: float
    names: tuple[str, ...]


@dataclass(frozen=True)
class Outer:
    count: int
    flag: bool
    inner: Inner
    pair: tuple[int, int]


def good() -> dict:
    return {"count": 3, "flag": True, "inner": {"rate": 2, "names": ["a", "b"]}, "pair": [1, 2]}


def test_builds_nested_frozen_dataclasses_with_tuples():
    out = from_mapping(Outer, good())
    assert out == Outer(3, True, Inner(2.0, ("a", "b")), (1, 2))
    assert isinstance(out.inner.rate, float)
    assert to_mapping(out) == {"count": 3, "flag": True, "inner": {"rate": 2.0, "names": ["a", "b"]}, "pair": [1, 2]}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("count"), "missing params key 'count'"),
        (lambda d: d["inner"].update(rat=1), "unknown params key(s): inner.rat"),
        (lambda d: d.update(count="3"), "'count' must be an integer"),
        (lambda d: d.update(count=True), "'count' must be an integer"),
        (lambda d: d.update(flag=1), "'flag' must be true or false"),
        (lambda d: d["inner"].update(names="a"), "'inner.names' must be a list"),
        (lambda d: d.update(pair=[1, 2, 3]), "'pair' must have 2 items"),
        (lambda d: d.update(inner=5), "'inner' must be a mapping"),
    ],
)
def test_errors_name_the_key(edit, message):
    data = good()
    edit(data)
    with pytest.raises(ParamsError) as exc:
        from_mapping(Outer, data)
    assert message in str(exc.value)


def test_project_params_load_and_misspelt_key_fails(tmp_path):
    params = load_params(ROOT / "params.yaml")
    assert params.ingest.fps == 25 and params.mel.n_mels == 80
    assert params.shards.segment_frames % 5 == 0
    data = yaml.safe_load((ROOT / "params.yaml").read_text())
    bad = copy.deepcopy(data)
    bad["mel"]["hop_lenght"] = bad["mel"].pop("hop_length")
    with pytest.raises(ParamsError, match="mel.hop_lenght"):
        params_from_mapping(bad)
    bad = copy.deepcopy(data)
    bad["shards"]["segment_frames"] = 24
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ParamsError, match="segment_frames"):
        load_params(path)


def test_params_file_has_no_duplicate_keys():
    """PyYAML keeps the last of two equal keys; DVC's parser (ruamel) refuses the file."""
    import ruamel.yaml

    ruamel.yaml.YAML(typ="rt").load((ROOT / "params.yaml").read_text())


def test_profiles_override_only_the_keys_they_name():
    data = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert data["profile"] == "cpu" and data["profiles"]["cpu"] == {}
    cpu = params_from_mapping(data)
    without = params_from_mapping({k: v for k, v in data.items() if k not in ("profile", "profiles")})
    assert cpu == without  # the file as written is the CPU profile
    gpu = params_from_mapping(data | {"profile": "gpu"})
    assert gpu.models.syncnet.channels == (32, 64, 128, 256, 512)  # the reference width
    assert gpu.training.syncnet_expert.loop.steps == 20000 and gpu.training.syncnet_expert.loop.lr == 0.0001
    assert gpu.training.syncnet_expert.loop.betas == cpu.training.syncnet_expert.loop.betas  # untouched siblings
    assert gpu.models.generator == cpu.models.generator and gpu.corpus == cpu.corpus


@pytest.mark.parametrize(
    ("profile", "profiles", "message"),
    [
        ("tpu", {"cpu": {}}, "'profile' is 'tpu', but 'profiles' defines only ['cpu']"),
        (
            "gpu",
            {"gpu": {"training": {"syncnet_expert": {"loop": {"stpes": 5}}}}},
            "'profiles.gpu.training.syncnet_expert.loop.stpes'",
        ),
        (
            "gpu",
            {"gpu": {"training": {"syncnet_expert": {"loop": {"steps": "many"}}}}},
            "'training.syncnet_expert.loop.steps'",
        ),
    ],
)
def test_a_bad_profile_is_named(profile, profiles, message):
    data = yaml.safe_load((ROOT / "params.yaml").read_text()) | {"profile": profile, "profiles": profiles}
    with pytest.raises(ParamsError) as exc:
        params_from_mapping(data)
    assert message in str(exc.value)
