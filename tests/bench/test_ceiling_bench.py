"""``lipsync bench ceiling``: the corpus of the params, articulated without video, split as the
shards split it, with the ceiling's figures (a small corpus and a short fit)."""

from __future__ import annotations

import json

from lipsync.bench import run_benchmark
from tests.builders import make_project


def test_bench_measures_the_corpus_the_params_describe(tmp_path):
    changes = {
        "corpus": {"speakers": 7, "clips_per_speaker": 1, "test_speakers": 1, "val_speakers": 1},
        "training": {"syncnet_expert": {"eval_pairs": 60, "ceiling": {"epochs": 2}}},
    }
    project = make_project(tmp_path / "project", changes)
    result = run_benchmark("ceiling", project)
    assert json.loads((project.layout.bench / "ceiling.json").read_text()) == result
    # the corpus's split: spk05 validation, spk06 (the test photo) held out, the other 5 train
    segments = result["segments"]
    assert segments["val"] > 0 and segments["test"] > 0 and segments["train"] > 3 * segments["test"]
    assert result["held_out_pairs"] == 60 and 0.0 <= result["held_out_accuracy"] <= 1.0
    assert 0.0 <= result["train_accuracy"] <= 1.0 and result["speakers"] == 7
