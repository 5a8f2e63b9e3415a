"""Stage ``mel``: the Wav2Lip-compatible log-mel spectrogram of every ingested video.

Outputs: ``features/<id>.npy`` float32 (80, T_mel) at 80 frames/s, aligned so that video
frame i starts at mel frame ``int(80 * i / 25)``; ``records/<id>.json``; ``manifest.parquet``.
"""

from __future__ import annotations

import functools
import time

from lipsync.atomic import write_npy
from lipsync.audio.mel import log_mel, single_threaded_blas
from lipsync.config import Params, section_hash
from lipsync.layout import Layout
from lipsync.media.reader import read_wav
from lipsync.stages import records as rec
from lipsync.stages.upstream import prune_outputs, selected_videos, summarise

STAGE = "mel"
COLUMNS = ["video_id", "status", "reason", "mel_frames", "seconds", "path"]


def run(params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False) -> dict:
    started = time.perf_counter()
    upstream = selected_videos(layout, video_ids)
    fingerprints = {v: section_hash((params.mel, r.get("sha256"), r.get("fingerprint"))) for v, r in upstream.items()}
    todo = [v for v in upstream if not _current(layout, v, fingerprints[v])]
    work = functools.partial(_mel_job, upstream=upstream, fingerprints=fingerprints, params=params, layout=layout)
    compute_started = time.perf_counter()
    with single_threaded_blas():
        fresh = rec.process_videos(todo, work, progress, STAGE)
    compute_seconds = time.perf_counter() - compute_started
    prune_outputs(layout, layout.mel, (("records", ".json"), ("features", ".npy")))
    return summarise(STAGE, layout.mel_manifest, layout.mel / "records", COLUMNS, upstream, fresh, started) | {
        "audio_seconds": round(sum(r.get("seconds", 0.0) for r in fresh), 3),
        "compute_seconds": round(compute_seconds, 3),
    }


def _current(layout: Layout, video_id: str, fingerprint: str) -> bool:
    record = rec.read_record(layout.mel_record(video_id))
    outputs = [layout.mel_features(video_id)] if record and record.get("status") == rec.OK else []
    return rec.is_current(record, fingerprint, outputs)


def _mel_job(video_id: str, upstream: dict, fingerprints: dict, params: Params, layout: Layout) -> dict:
    source = upstream[video_id]
    record = {"video_id": video_id, "fingerprint": fingerprints[video_id], "reason": ""}
    if source["status"] != rec.OK:
        record |= {"status": rec.SKIPPED, "reason": f"not ingested: {source['reason']}"}
    else:
        audio, rate = read_wav(layout.normalised_audio(video_id))
        if rate != params.mel.sample_rate:
            wav = layout.normalised_audio(video_id)
            raise ValueError(f"mel: {wav} is {rate} Hz, expected {params.mel.sample_rate}")
        mel = log_mel(audio, params.mel)  # (80, T_mel)
        write_npy(layout.mel_features(video_id), mel)
        record |= {"status": rec.OK, "mel_frames": int(mel.shape[1]), "seconds": len(audio) / rate,
                   "path": layout.mel_features(video_id).relative_to(layout.root).as_posix()}
    rec.save_record(layout.mel_record(video_id), record)
    return record
