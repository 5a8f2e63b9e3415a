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


def project_data() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("shards.segment_frames", -25, "'shards.segment_frames' is -25: it must be >= 1"),
        ("shards.samples_per_shard", 0, "'shards.samples_per_shard' is 0: it must be >= 1"),
        ("faces.tracker.detect_every", -15, "'faces.tracker.detect_every' is -15: it must be >= 1"),
        ("training.generator.loop.lr", -0.001, "'training.generator.loop.lr' is -0.001: it must be > 0"),
        ("training.generator.adversarial.lr", 0.0, "'training.generator.adversarial.lr' is 0.0: it must be > 0"),
        ("format.fps", -25, "'format.fps' is -25: it must be >= 1"),
        ("format.fps", 0, "'mel.hop_length' and 'format.fps' must be >= 1, got 0"),
        ("format.sample_rate", -16000, "'format.sample_rate' is -16000: it must be >= 1"),
        ("ingest.av_length_tolerance_s", -0.5, "'ingest.av_length_tolerance_s' is -0.5: it must be >= 0"),
        ("shards.split.val_fraction", 1.5, "'shards.split.val_fraction' is 1.5: it must be <= 1"),
        ("training.data.shuffle_buffer", 0, "'training.data.shuffle_buffer' is 0: it must be >= 1"),
        ("training.syncnet_expert.loop.batch", 0, "params section 'training.syncnet_expert.loop'"),
    ],
)
def test_a_number_out_of_range_is_named_with_its_value_and_rule(key, value, message):
    data = project_data()
    *parents, leaf = key.split(".")
    section = data
    for name in parents:
        section = section[name]
    section[leaf] = value
    with pytest.raises(ParamsError) as exc:
        params_from_mapping(data)
    assert message in str(exc.value)


def test_every_range_rule_applies_to_a_real_key():
    from lipsync.params_ranges import RANGES, check_ranges

    check_ranges(to_mapping(load_params(ROOT / "params.yaml")))  # the file passes, and no rule matches nothing
    with pytest.raises(ParamsError, match="'shards.segmnet_frames >= 1' matches no numeric key"):
        check_ranges({"shards": {"segment_frames": 25}}, (("shards.segmnet_frames", ">=", 1),))
    assert len(RANGES) > 40


def test_a_segment_too_short_for_the_experts_negatives_is_refused():
    """segment_frames 5 once passed (a multiple of the window) and hung the expert at step 0:
    a 5-frame segment has one window start, so no off-sync window 5..15 frames away."""
    data = project_data()
    data["shards"]["segment_frames"] = 5
    with pytest.raises(ParamsError) as exc:
        params_from_mapping(data)
    assert "'shards.segment_frames' is 5: it must be at least 10 frames" in str(exc.value)
    assert "training.data.negative_offsets[0] = 5 + 5" in str(exc.value)
    data["shards"]["segment_frames"] = 10  # the shortest that works: window starts 0..5, offset 5 fits
    assert params_from_mapping(data).shards.segment_frames == 10
    data["training"]["data"]["reference_gap"] = 8  # now the generator's reference frame decides
    with pytest.raises(ParamsError, match=r"at least 13 frames = format.sync_window \+ training.data.reference_gap"):
        params_from_mapping(data)
