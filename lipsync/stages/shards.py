"""Stage ``shards``: WebDataset tar shards per split (train/val/test) and their manifest.

Samples are face-run segments of ``shards.segment_frames`` frames with their mel slice and
their 16-bit audio (the SyncNet evaluator's input).
Each split gets at least ``shards.readers`` (reader processes x workers) shards with equal
sample counts (so every rank and worker sees the same number), in a seeded order. The whole set is
written into a temporary folder and swapped in, so readers never see a half-written set.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lipsync.atomic import remove_stale_temporaries, replace_folder, write_json
from lipsync.audio.mel import mel_start_index
from lipsync.config import Params, section_hash
from lipsync.data.shards import Sample, data_version, write_shard
from lipsync.data.splits import segment_bounds, speaker_split
from lipsync.layout import SPLITS, Layout
from lipsync.media.reader import read_pcm16
from lipsync.stages import records as rec
from lipsync.stages.writer_lock import writes_data

log = logging.getLogger("lipsync")
STAGE = "shards"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    started = time.perf_counter()
    final = layout.shards
    remove_stale_temporaries(final.parent, STAGE)  # .shards.tmp-<pid> of a killed run
    remove_stale_temporaries(final, STAGE, recursive=True)
    plan = plan_segments(params, layout)
    _refuse_empty(plan, layout)
    staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    splits = {}
    try:
        for split in SPLITS:
            rows = plan[plan.split == split]
            splits[split] = _write_split(rows, split, params, layout, staging / split, progress)
        manifest = _manifest(params, plan, splits)
        write_json(staging / layout.shards_manifest.name, manifest)
        replace_folder(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = time.perf_counter() - started
    return {
        "stage": STAGE,
        "data_version": manifest["data_version"],
        "samples": {s: splits[s]["samples"] for s in SPLITS},
        "shards": {s: len(splits[s]["shards"]) for s in SPLITS},
        "speakers": {s: splits[s]["speakers"] for s in SPLITS},
        "warnings": manifest["warnings"],
        "seconds": round(seconds, 3),
        "samples_per_second": round(len(plan) / seconds, 1) if seconds else None,
        "manifest": str(layout.shards_manifest),
    }


class EmptyShardSet(RuntimeError):
    """The shards stage would replace a shard set that has samples with one that has none."""


def _refuse_empty(plan: pd.DataFrame, layout: Layout) -> None:
    """An empty plan may only write an empty set: it never replaces shards that hold samples
    (a bad parameter or an upstream stage that rejected everything should not erase the data)."""
    if len(plan) or not layout.shards_manifest.exists():
        return
    previous = json.loads(layout.shards_manifest.read_text())
    samples = sum(split.get("samples", 0) for split in previous.get("splits", {}).values())
    if samples:
        raise EmptyShardSet(
            f"shards: no segment to write (no video has both an accepted face track and mel features, or no "
            f"face run is as long as one sync window); refusing to replace {layout.shards} ({samples} samples, "
            f"data version {previous.get('data_version')}). Check the faces and mel manifests and "
            f"shards.segment_frames; delete {layout.shards} to accept an empty shard set."
        )


def _corpus_splits(layout: Layout) -> dict[str, str]:
    """speaker -> split the corpus gave it (by its face's identity); empty without a corpus."""
    try:
        speakers = json.loads(layout.corpus_speakers.read_text())
    except FileNotFoundError:
        return {}
    return {name: entry["split"] for name, entry in speakers.items()}


def plan_segments(params: Params, layout: Layout) -> pd.DataFrame:
    """One row per sample: video_id, speaker, clip, split, start, stop, key (sorted by key)."""
    if not layout.faces_manifest.exists() or not layout.mel_manifest.exists():
        raise FileNotFoundError("shards: the faces/mel manifests are missing: run `lipsync run faces` and `mel`")
    faces = pd.read_parquet(layout.faces_manifest)
    mel = pd.read_parquet(layout.mel_manifest)
    ingested = pd.read_parquet(layout.ingest_manifest, columns=["video_id", "status"])
    ready = sorted(
        set(faces.video_id[faces.status == rec.OK])
        & set(mel.video_id[mel.status == rec.OK])
        & set(ingested.video_id[ingested.status == rec.OK])
    )
    corpus_splits = _corpus_splits(layout)
    rows = []
    for video_id in ready:
        ingest = rec.read_record(layout.ingest_record(video_id))
        face = rec.read_record(layout.face_record(video_id))
        split = speaker_split(ingest["speaker"], params.shards.split, corpus_splits.get(ingest["speaker"]))
        runs = [tuple(s) for s in face["segments"]]
        for start, stop in segment_bounds(runs, params.shards.segment_frames, params.format.sync_window):
            rows.append(
                {
                    "video_id": video_id,
                    "speaker": ingest["speaker"],
                    "clip": ingest["clip"],
                    "split": split,
                    "start": start,
                    "stop": stop,
                    "key": f"{video_id}_{start:06d}",
                }
            )
    columns = ["video_id", "speaker", "clip", "split", "start", "stop", "key"]
    return pd.DataFrame(rows, columns=columns).sort_values("key", ignore_index=True)


def _write_split(rows: pd.DataFrame, split: str, params: Params, layout: Layout, folder: Path, progress: bool) -> dict:
    from tqdm import tqdm

    s = params.shards
    wanted = s.readers
    count = max(wanted, math.ceil(len(rows) / s.samples_per_shard)) if len(rows) >= wanted else max(1, len(rows))
    order = np.random.default_rng(params.seed).permutation(len(rows))
    cache = _VideoCache(layout, params)
    shards = []
    for index, part in enumerate(
        tqdm(np.array_split(order, count) if len(rows) else [], desc=f"shards {split}", disable=not progress)
    ):
        samples = (cache.sample(rows.iloc[i], split) for i in part)
        shards.append(write_shard(folder / f"shard-{index:06d}.tar", samples, s.mtime))
    log.info("shards %s: %d samples in %d shards", split, len(rows), len(shards))
    return {
        "samples": len(rows),
        "shards": shards,
        "speakers": sorted(set(rows.speaker)),
        "videos": int(rows.video_id.nunique()),
        "video_ids": sorted(set(rows.video_id)),
        "wanted_shards": wanted,
    }


class _VideoCache:
    """Memory-mapped crops and mel, and the track arrays, of every video seen so far."""

    def __init__(self, layout: Layout, params: Params) -> None:
        self.layout, self.params, self.videos = layout, params, {}

    def _load(self, video_id: str) -> dict:
        if video_id not in self.videos:
            track = np.load(self.layout.face_track(video_id))
            self.videos[video_id] = {
                "crops": np.load(self.layout.face_crops(video_id), mmap_mode="r"),
                "boxes": track["boxes"],
                "landmarks": track["landmarks"],
                "mel": np.load(self.layout.mel_features(video_id), mmap_mode="r"),
                "audio": read_pcm16(self.layout.normalised_audio(video_id))[0],
            }
        return self.videos[video_id]

    def sample(self, row, split: str) -> Sample:
        d, fps = self._load(row["video_id"]), self.params.format.fps
        start, stop = int(row["start"]), int(row["stop"])
        m0 = mel_start_index(start, fps, self.params.mel)
        width = round((stop - start) * self.params.mel.frames_per_second / fps)  # 16 per 5-frame window
        mel = np.asarray(d["mel"][:, m0 : m0 + width], dtype=np.float32)
        if mel.shape[1] < width:  # the clip's audio ends inside the last window: pad with silence
            pad = np.full((mel.shape[0], width - mel.shape[1]), -self.params.mel.max_abs_value, np.float32)
            mel = np.concatenate([mel, pad], axis=1)
        per_frame = self.params.format.sample_rate // fps
        audio = np.zeros((stop - start) * per_frame, np.int16)  # silence past the end of the audio
        clip = d["audio"][start * per_frame : stop * per_frame]
        audio[: len(clip)] = clip
        meta = {
            "video_id": row["video_id"],
            "speaker": row["speaker"],
            "clip": row["clip"],
            "split": split,
            "start_frame": start,
            "frames": stop - start,
            "fps": fps,
            "mel_start": m0,
            "sample_rate": self.params.format.sample_rate,
        }
        return Sample(
            row["key"],
            np.ascontiguousarray(d["crops"][start:stop]),
            mel,
            d["boxes"][start:stop].astype(np.float32),
            d["landmarks"][start:stop].astype(np.float32),
            meta,
            audio,
        )


def _manifest(params: Params, plan: pd.DataFrame, splits: dict) -> dict:
    digests = [sh["sha256"] for s in SPLITS for sh in splits[s]["shards"]]
    warnings = [
        f"split {s} has {len(splits[s]['shards'])} shard(s), fewer than reader_processes x "
        f"reader_workers = {splits[s]['wanted_shards']} (too few samples)"
        for s in SPLITS
        if len(splits[s]["shards"]) < splits[s]["wanted_shards"]
    ]
    for w in warnings:
        log.warning("shards: %s", w)
    return {
        "data_version": data_version(digests),
        "params": section_hash((params.shards, params.faces, params.mel, params.ingest)),
        "segment_frames": params.shards.segment_frames,
        "face_size": params.format.face_size,
        "fps": params.format.fps,
        "splits": {s: {k: v for k, v in splits[s].items() if k != "wanted_shards"} for s in SPLITS},
        "warnings": warnings,
    }
