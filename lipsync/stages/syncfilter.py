"""Stage ``syncfilter``: the generators' training clips, filtered by sync confidence.

LatentSync's recipe (REFERENCE.md section 3) with the ``syncnet_evaluator`` stage's registered
evaluator: every video of the train split is scored once by the LSE protocol over its longest
face run (AV offset in +-``syncfilter.sync.max_offset`` frames, confidence = median - min of
the distance curve); clips under ``syncfilter.min_confidence`` or beyond
``syncfilter.max_offset`` are dropped, the others beyond ``syncfilter.offset_tolerance`` are realigned to 0
(:func:`lipsync.evaluation.sync_filter.realign`, cutting the frames whose sound the segment
does not hold). The decision is per video and applies to all its segments.

Outputs (``paths.syncfilter``): ``train/shard-*.tar``, the train shards with each input shard's
surviving samples in the same order (the shards stage's seeded order; byte-identical for the
same shards, evaluator and params), and ``manifest.json``: counts and reasons, every clip's
offset, confidence and decision, and, where the corpus truth exists, the decisions measured
against it (``audio_shift_frames``). The shard set in ``paths.shards`` is left as it is: the
expert and the evaluator train on the unfiltered clips, only the generators read these.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from lipsync.atomic import remove_stale_temporaries, replace_folder, write_json
from lipsync.config import Params, section_hash
from lipsync.data.shards import data_version, read_samples, write_shard
from lipsync.evaluation.sync_filter import DECISIONS, LOW_CONFIDENCE, REALIGNED, decide, ground_truth_figures, realign
from lipsync.layout import Layout
from lipsync.media.reader import read_wav
from lipsync.stages import records as rec
from lipsync.stages.training_stage import read_result
from lipsync.stages.writer_lock import writes_data

log = logging.getLogger("lipsync")
STAGE = "syncfilter"
EVALUATOR_STAGE = "syncnet_evaluator"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    started = time.perf_counter()
    if not layout.shards_manifest.exists():
        raise FileNotFoundError(f"{STAGE}: {layout.shards_manifest} is missing: run `lipsync run shards` first")
    shards = json.loads(layout.shards_manifest.read_text())
    evaluator, evaluator_ref = load_evaluator(params, layout)
    gate = evaluator_gate(params, layout)
    clips = score_clips(params, layout, evaluator, shards["splits"]["train"]["video_ids"], progress)
    final = layout.syncfilter
    remove_stale_temporaries(final.parent, STAGE)
    staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = _write_train(
            params, layout, shards["splits"]["train"]["shards"], clips, staging / "train", gate["applied"]
        )
        manifest = _manifest(params, shards, evaluator_ref, clips, written) | gate
        write_json(staging / layout.syncfilter_manifest.name, manifest)
        replace_folder(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not gate["applied"]:
        log.warning("%s: every clip kept: %s", STAGE, gate["reason"])
    log.info("%s: clips %s; segments %s", STAGE, manifest["clips"], manifest["segments"])
    return {
        "stage": STAGE,
        **gate,
        "data_version": manifest["data_version"],
        "clips": manifest["clips"],
        "segments": manifest["segments"],
        "ground_truth": manifest["ground_truth"],
        "evaluator": evaluator_ref,
        "seconds": round(time.perf_counter() - started, 1),
        "manifest": str(layout.syncfilter_manifest),
    }


def load_evaluator(params: Params, layout: Layout):
    """(SyncNetV2 in eval mode, its ModelRef dict): the version ``syncnet_evaluator`` registered."""
    from lipsync.evaluation.syncnet_v2 import SyncNetV2
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    produced = read_result(layout, EVALUATOR_STAGE, STAGE)
    ref = ModelRef.from_dict(produced["model"])
    net = SyncNetV2(params.models.syncnet_evaluator)
    net.load_state_dict(load_state_dict(open_tracking(layout.mlruns), ref))
    return net.eval(), produced["model"]


def evaluator_gate(params: Params, layout: Layout) -> dict:
    """``{"applied": bool, "reason": str}``: the filter acts only on an evaluator that tells sync
    apart, its held-out pair accuracy at least ``syncfilter.min_evaluator_accuracy``. Below it
    (an evaluator at chance finds random offsets and drops most clips at random) every clip is
    kept, the scores and decisions it would have made are still recorded, and ``reason`` says why."""
    accuracy = read_result(layout, EVALUATOR_STAGE, STAGE).get("metrics", {}).get("pair_accuracy")
    floor = params.syncfilter.min_evaluator_accuracy
    if accuracy is None or accuracy < floor:
        shown = "missing" if accuracy is None else f"{accuracy:.3f}"
        return {"applied": False, "reason": f"the evaluator's held-out pair accuracy {shown} is under "
                f"syncfilter.min_evaluator_accuracy {floor}: its offsets cannot be trusted"}  # fmt: skip
    return {"applied": True, "reason": f"the evaluator's held-out pair accuracy {accuracy:.3f} >= {floor}"}


def score_clips(params: Params, layout: Layout, evaluator, video_ids: list[str], progress: bool = False) -> list[dict]:
    """One row per video: video_id, speaker, frames scored, offset, confidence, decision, note
    and true_shift (the corpus truth's ``audio_shift_frames``; None for a video without truth).
    A video with no full sync window is dropped as low-confidence, its reason in ``note``."""
    from tqdm import tqdm

    from lipsync.evaluation.sync_clip import score_clip

    settings, rows = params.syncfilter, []
    for video_id in tqdm(video_ids, desc=STAGE, disable=not progress):
        record = rec.read_record(layout.ingest_record(video_id)) or {}
        row = {"video_id": video_id, "speaker": str(record.get("speaker", video_id)), "note": ""}
        try:
            faces, audio = longest_run(params, layout, video_id)
            scores = score_clip(evaluator, faces, audio, video_id, settings.sync)
            row |= {"frames": len(faces), "offset": scores.offset, "confidence": round(scores.lse_c, 4),
                    "decision": decide(scores.offset, scores.lse_c, settings)}  # fmt: skip
        except ValueError as error:
            row |= {"frames": 0, "offset": 0, "confidence": None, "decision": LOW_CONFIDENCE, "note": str(error)}
        rows.append(row | {"true_shift": true_shift(layout, record)})
    return rows


def longest_run(params: Params, layout: Layout, video_id: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (T, S, S, 3) crops of the video's longest face run and float32 (T * 640,) its audio."""
    segments = np.load(layout.face_track(video_id))["segments"]
    if not len(segments):
        raise ValueError(f"{STAGE}: video {video_id} has no face run")
    first, stop = max((tuple(int(v) for v in s) for s in segments), key=lambda s: s[1] - s[0])
    audio, rate = read_wav(layout.normalised_audio(video_id))
    per_frame = rate // params.format.fps
    span = np.zeros((stop - first) * per_frame, np.float32)  # silence past the end of the audio
    piece = audio[first * per_frame : stop * per_frame]
    span[: len(piece)] = piece
    return np.ascontiguousarray(np.load(layout.face_crops(video_id), mmap_mode="r")[first:stop]), span


def true_shift(layout: Layout, record: dict) -> int | None:
    truth = layout.corpus_truth / Path(record.get("source", "?")).with_suffix(".npz")
    if not truth.exists():
        return None
    with np.load(truth) as arrays:
        return int(arrays["audio_shift_frames"]) if "audio_shift_frames" in arrays else None


def _write_train(
    params: Params, layout: Layout, listed: list[dict], clips: list[dict], folder: Path, applied: bool = True
) -> dict:
    """Each train shard's surviving samples (dropped clips left out, realigned ones shifted)
    into a shard of the same name; a shard left empty is not written. Not ``applied``: every
    sample as it is."""
    fate = {row["video_id"]: row for row in clips}
    counts = {"in": 0, "kept": 0, "realigned": 0, "dropped": 0, "too_short_after_realign": 0}
    window, shards = params.format.sync_window, []

    def surviving(path: Path):
        for sample in read_samples([path]):
            counts["in"] += 1
            row = fate.get(sample.meta["video_id"])
            if not applied:
                counts["kept"] += 1
                yield sample
                continue
            if row is None or row["decision"] not in ("kept", REALIGNED):
                counts["dropped"] += 1
                continue
            if row["decision"] == REALIGNED:
                sample = realign(sample, int(row["offset"]), window, params.mel)
                if sample is None:
                    counts["too_short_after_realign"] += 1
                    continue
                counts["realigned"] += 1
            else:
                counts["kept"] += 1
            yield sample

    folder.mkdir(parents=True)
    for entry in listed:
        written = write_shard(folder / entry["path"], surviving(layout.shard_dir("train") / entry["path"]),
                              params.shards.mtime)  # fmt: skip
        if written["samples"]:
            shards.append(written)
        else:
            (folder / entry["path"]).unlink()
    counts["out"] = counts["kept"] + counts["realigned"]
    if not counts["out"]:
        raise RuntimeError(
            f"{STAGE}: no training segment survives the filter ({counts['in']} in; clips: "
            f"{ {d: sum(r['decision'] == d for r in clips) for d in DECISIONS} }); check the evaluator "
            f"({layout.model_result(EVALUATOR_STAGE)}) or lower syncfilter.min_confidence / raise syncfilter.max_offset"
        )
    return {"segments": counts, "shards": shards}


def _manifest(params: Params, shards: dict, evaluator_ref: dict, clips: list[dict], written: dict) -> dict:
    digests = [shards["data_version"], *(entry["sha256"] for entry in written["shards"])]
    kept = sorted({r["video_id"] for r in clips if r["decision"] in ("kept", REALIGNED)})
    return {
        "data_version": data_version(digests),
        "shards_data_version": shards["data_version"],
        "params": section_hash((params.syncfilter, params.format)),
        "evaluator": evaluator_ref,
        "clips": {d: sum(r["decision"] == d for r in clips) for d in DECISIONS},
        "segments": written["segments"],
        "ground_truth": _against_truth(clips),
        "splits": {"train": {"samples": written["segments"]["out"], "shards": written["shards"], "video_ids": kept}},
        "per_clip": clips,
    }


def _against_truth(clips: list[dict]) -> dict | None:
    """Precision / recall of the flagged clips and the confidence of clean and dirty clips,
    over the clips with corpus truth (None when there are none)."""
    known = [r for r in clips if r["true_shift"] is not None]
    if not known:
        return None
    offsets, truth = np.array([r["offset"] for r in known]), np.array([r["true_shift"] for r in known])
    figures = ground_truth_figures(offsets, [r["decision"] for r in known], truth)
    for name, dirty in (("clean", False), ("dirty", True)):
        values = [r["confidence"] for r in known if (r["true_shift"] != 0) == dirty and r["confidence"] is not None]
        if values:
            low, median, high = np.quantile(values, [0.1, 0.5, 0.9])
            figures[f"confidence_{name}"] = {"p10": round(low, 3), "median": round(median, 3), "p90": round(high, 3)}
    return figures
