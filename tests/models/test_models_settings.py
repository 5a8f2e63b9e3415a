"""The models: section loads strictly into the settings dataclasses; size rules fail loudly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lipsync.models import ModelsSettings
from lipsync.params_loader import ParamsError, from_mapping
from tests.builders import derived_mapping

ROOT = Path(__file__).resolve().parents[2]


def models_section() -> dict:
    """The models: mapping of the scratch file that will become part of params.yaml."""
    return derived_mapping()["models"]


def test_models_section_loads():
    settings = from_mapping(ModelsSettings, models_section(), "models")
    assert settings.generator.image_size == 96
    assert settings.generator.levels == 4
    assert settings.generator.widths == settings.generator.channels[-5:]
    assert len(settings.syncnet.channels) == 5


def test_misspelt_key_is_named():
    section = models_section()
    section["generator"]["audio"]["dims"] = section["generator"]["audio"].pop("dim")
    with pytest.raises(ParamsError, match=r"models\.generator\.audio\.dims"):
        from_mapping(ModelsSettings, section, "models")


@pytest.mark.parametrize(("size", "levels", "grid"), [(96, 4, 6), (128, 4, 8), (192, 5, 6), (256, 5, 8)])
def test_levels_follow_image_size(size, levels, grid):
    generator = from_mapping(ModelsSettings, models_section(), "models").generator
    resized = dataclasses.replace(generator, image_size=size)
    assert resized.levels == levels
    assert size // 2**levels == grid
    assert len(resized.widths) == levels + 1


def test_bad_sizes_are_refused():
    generator = from_mapping(ModelsSettings, models_section(), "models").generator
    with pytest.raises(ValueError, match="not divisible"):
        dataclasses.replace(generator, image_size=100)
    with pytest.raises(ValueError, match="needs 6"):
        dataclasses.replace(generator, image_size=256, channels=(16, 32, 64, 128, 192))
