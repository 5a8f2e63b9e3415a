"""Corpus settings for the tests: the real ``corpus:`` section of params.yaml, shrunk."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lipsync.corpus.settings import CorpusSettings
from tests.builders import real_section

ROOT = Path(__file__).resolve().parents[2]


def real_corpus_settings() -> CorpusSettings:
    return real_section(CorpusSettings, "corpus")


@pytest.fixture(scope="session")
def real_settings() -> CorpusSettings:
    """The real settings, unchanged."""
    return real_corpus_settings()


@pytest.fixture(scope="session")
def corpus_settings(real_settings) -> CorpusSettings:
    """The real settings with the real photos, voices and mouth; 128 px frames."""
    return dataclasses.replace(real_settings, frame_size=128, workers=1)


@pytest.fixture(scope="session")
def tiny_settings(corpus_settings) -> CorpusSettings:
    """2 speakers (astronaut: train, grace_hopper: test) x 1 clip x 1.2 s at 128 px."""
    return dataclasses.replace(
        corpus_settings,
        speakers=2,
        clips_per_speaker=1,
        min_seconds=1.2,
        max_seconds=1.2,
        test_speakers=1,
        val_speakers=0,
    )
