"""Stage syncfilter: every train clip scored by the registered evaluator, dropped or realigned
by the params, the surviving segments written as the generators' train shards (and only theirs),
the same bytes on a second run."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from lipsync.data.shards import read_samples
from lipsync.evaluation.sync_filter import DECISIONS, KEPT, REALIGNED, decide, realign
from lipsync.stages import syncfilter
from lipsync.stages.training_stage import TrainingStage


def filtered(params, **changes):
    return dataclasses.replace(params, syncfilter=dataclasses.replace(params.syncfilter, **changes))


def test_decisions_and_shards_follow_the_scores(tiny_expert):
    project, _ = tiny_expert  # the fixture ran the evaluator and this stage with the project's params
    layout, params = project.layout, project.params
    manifest = json.loads(layout.syncfilter_manifest.read_text())
    shards = json.loads(layout.shards_manifest.read_text())
    rows = manifest["per_clip"]
    assert sorted(r["video_id"] for r in rows) == sorted(shards["splits"]["train"]["video_ids"])
    assert all(r["confidence"] is not None and r["decision"] == decide(r["offset"], r["confidence"], params.syncfilter)
               for r in rows)  # fmt: skip
    assert manifest["clips"] == {d: sum(r["decision"] == d for r in rows) for d in DECISIONS}
    assert manifest["ground_truth"]["clips"] == len(rows) and manifest["ground_truth"]["dirty"] == 0  # TINY is clean
    originals = {s.key: s for s in read_samples(sorted(layout.shard_dir("train").glob("*.tar")))}
    survivors = list(read_samples(sorted(layout.syncfilter_train.glob("*.tar"))))
    fate = {r["video_id"]: r for r in rows}
    for sample in survivors:
        row, original = fate[sample.meta["video_id"]], originals[sample.key]
        assert row["decision"] in (KEPT, REALIGNED)
        expected = original if row["decision"] == KEPT else realign(original, row["offset"], 5, params.mel)
        assert sample.meta == expected.meta and np.array_equal(sample.frames, expected.frames)
        assert np.array_equal(sample.mel, expected.mel) and np.array_equal(sample.audio, expected.audio)
    segments = manifest["segments"]
    assert segments["in"] == len(originals)
    assert segments["out"] == len(survivors) == manifest["splits"]["train"]["samples"]
    assert segments["in"] == segments["out"] + segments["dropped"] + segments["too_short_after_realign"]
    # the generators train on these shards, the expert on the unfiltered ones
    generator = TrainingStage("generator", params, layout, filtered=True)
    assert generator.data_version == manifest["data_version"] != shards["data_version"]
    assert TrainingStage("syncnet_expert", params, layout).data_version == shards["data_version"]


def test_thresholds_drop_and_nothing_left_is_an_error(tiny_expert):
    project, _ = tiny_expert
    layout, params = project.layout, project.params
    before = layout.syncfilter_manifest.read_bytes()
    offsets = [abs(r["offset"]) for r in json.loads(before)["per_clip"]]
    limit = min(offsets)  # the clip(s) nearest to sync survive, farther ones are dropped
    strict = syncfilter.run(filtered(params, max_offset=limit), layout)
    realigned, beyond = sum(0 < o <= limit for o in offsets), sum(o > limit for o in offsets)
    expected = {"kept": offsets.count(0), "realigned": realigned, "dropped_low_confidence": 0, "dropped_offset": beyond}
    assert strict["clips"] == expected
    with pytest.raises(RuntimeError, match="syncfilter: no training segment survives.*syncfilter.min_confidence"):
        syncfilter.run(filtered(params, min_confidence=1e6), layout)
    assert json.loads(layout.syncfilter_manifest.read_text())["clips"] == strict["clips"]  # the last set is kept
    again = syncfilter.run(params, layout)  # the project's own again, for the generator tests: the same bytes
    assert layout.syncfilter_manifest.read_bytes() == before
    assert again["data_version"] == json.loads(before)["data_version"]


def test_bench_scores_clean_and_shifted_train_clips(tiny_expert):
    from lipsync.bench import run_benchmark

    project, _ = tiny_expert
    result = run_benchmark("syncfilter", project, quick=True)
    train = json.loads(project.layout.shards_manifest.read_text())["splits"]["train"]["video_ids"]
    assert [row["video_id"] for row in result["clips"]] == train[:2]
    low, high = project.params.corpus.dirty.shift_frames
    assert all(low <= abs(row["shift"]) <= high for row in result["clips"])
    manifest = {r["video_id"]: r for r in json.loads(project.layout.syncfilter_manifest.read_text())["per_clip"]}
    for row in result["clips"]:  # the clean score is the stage's
        assert (row["clean_offset"], row["clean_confidence"]) == (manifest[row["video_id"]]["offset"],
                                                                  manifest[row["video_id"]]["confidence"])  # fmt: skip
    by = {row["min_confidence"]: row for row in result["thresholds"]}
    assert by[0.0]["clean_kept"] == 1.0  # TINY keeps every offset up to the search's 15
    assert (project.layout.bench / "syncfilter.json").exists()


def test_asset_reports_counts_reasons_and_truth(tiny_expert):
    import dagster as dg

    from assets.resources import LipsyncProject
    from assets.syncfilter import syncfilter as asset

    project, _ = tiny_expert
    result = dg.materialize([asset], resources={"lipsync": LipsyncProject(root=str(project.root))})
    event = result.asset_materializations_for_node("syncfilter")[0]
    meta = {key: value.value for key, value in event.metadata.items()}
    manifest = json.loads(project.layout.syncfilter_manifest.read_text())
    assert meta["data_version"] == manifest["data_version"] == event.tags["dagster/data_version"]
    assert {d: meta[f"clips_{d}"] for d in DECISIONS} == manifest["clips"]
    assert meta["segments_out"] == manifest["segments"]["out"] and meta["truth/dirty"] == 0
    assert meta["applied"] is manifest["applied"] is True and meta["applied_reason"] == manifest["reason"]
    assert meta.get("truth/precision") == manifest["ground_truth"]["precision"]  # 0 when clean clips were flagged
    assert "truth/recall" not in meta  # no dirty clip: no recall, not a made-up one


def test_an_evaluator_that_cannot_tell_sync_keeps_every_clip(tiny_expert):
    """Under ``min_evaluator_accuracy`` the filter records what it would decide but drops nothing."""
    project, _ = tiny_expert
    layout, params = project.layout, project.params
    before = layout.syncfilter_manifest.read_bytes()
    accuracy = json.loads(layout.model_result("syncnet_evaluator").read_text())["metrics"]["pair_accuracy"]
    result = syncfilter.run(filtered(params, min_evaluator_accuracy=1.0, max_offset=0), layout)
    assert accuracy < 1.0 and result["applied"] is False
    assert f"pair accuracy {accuracy:.3f} is under syncfilter.min_evaluator_accuracy 1.0" in result["reason"]
    manifest = json.loads(layout.syncfilter_manifest.read_text())
    rows = manifest["per_clip"]
    # the would-be decisions (max_offset 0: every clip off by a frame or more would go) are recorded ...
    assert all(r["decision"] == decide(r["offset"], r["confidence"], filtered(params, max_offset=0).syncfilter)
               for r in rows)  # fmt: skip
    # ... but every segment is kept as it is
    segments = manifest["segments"]
    assert segments["in"] == segments["out"] == segments["kept"] and segments["dropped"] == 0
    originals = [s.key for s in read_samples(sorted(layout.shard_dir("train").glob("*.tar")))]
    assert sorted(s.key for s in read_samples(sorted(layout.syncfilter_train.glob("*.tar")))) == sorted(originals)
    syncfilter.run(params, layout)  # the project's own again, for the generator tests: the same bytes
    assert layout.syncfilter_manifest.read_bytes() == before
