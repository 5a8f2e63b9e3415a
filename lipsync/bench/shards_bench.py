"""Benchmark ``shards``: training samples per second from our shards vs Wav2Lip's layout.

Baseline, built in the same run from the same samples: a folder of JPEG face frames per
video plus its ``audio.wav``, read the way Wav2Lip's data loader does (one ``imread`` per
frame, the wav loaded and its mel computed for each sample), and a kinder variant with the
mel precomputed as ``.npy``. Both layouts are read once before timing (warm page cache).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from lipsync.audio.mel import log_mel, mel_start_index
from lipsync.data.shards import read_samples
from lipsync.media.reader import read_wav
from lipsync.project import Project


def run(project: Project, quick: bool = False) -> dict:
    manifest = project.layout.shards_manifest
    if not manifest.exists():
        raise FileNotFoundError("bench shards: no shards; run `make run` (or `lipsync run shards`) first")
    urls = sorted(project.layout.shards.glob("*/shard-*.tar"))
    samples = list(read_samples(urls))[: 40 if quick else None]
    with tempfile.TemporaryDirectory() as tmp:
        folder = _write_jpeg_layout(project, samples, Path(tmp))
        wanted = [(s.meta["video_id"], s.meta["start_frame"], s.meta["frames"]) for s in samples]
        readers = {
            "shards": lambda: _read_shards(urls, len(samples)),
            "jpeg_folder_wav": lambda: _read_jpeg(folder, wanted, project, precomputed=False),
            "jpeg_folder_mel_npy": lambda: _read_jpeg(folder, wanted, project, precomputed=True),
        }
        results = {}
        for name, read in readers.items():
            read()  # warm the page cache and the code paths
            started = time.perf_counter()
            count = read()
            elapsed = time.perf_counter() - started
            results[name] = {
                "samples": count,
                "seconds": round(elapsed, 4),
                "samples_per_second": round(count / elapsed, 1),
            }
    ours = results["shards"]["samples_per_second"]
    return {
        "frames_per_sample": project.params.shards.segment_frames,
        "face_size": project.params.faces.size,
        "readers": results,
        "speedup_vs_wav2lip_layout": round(ours / results["jpeg_folder_wav"]["samples_per_second"], 2),
        "speedup_vs_jpeg_with_mel_npy": round(ours / results["jpeg_folder_mel_npy"]["samples_per_second"], 2),
        "goal_speedup": 3.0,
        "met": ours >= 3.0 * results["jpeg_folder_wav"]["samples_per_second"],
    }


def _read_shards(urls: list[Path], limit: int) -> int:
    count = 0
    for sample in read_samples(urls):
        _ = sample.frames.astype(np.float32), sample.mel  # what a training step consumes
        count += 1
        if count == limit:
            break
    return count


def _write_jpeg_layout(project: Project, samples, root: Path) -> Path:
    for sample in samples:
        video = root / sample.meta["video_id"]
        video.mkdir(exist_ok=True)
        for i, frame in enumerate(sample.frames):
            cv2.imwrite(str(video / f"{sample.meta['start_frame'] + i}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        if not (video / "audio.wav").exists():
            shutil.copyfile(project.layout.normalised_audio(sample.meta["video_id"]), video / "audio.wav")
            np.save(video / "mel.npy", np.load(project.layout.mel_features(sample.meta["video_id"])))
    return root


def _read_jpeg(root: Path, wanted, project: Project, precomputed: bool) -> int:
    settings, fps = project.params.mel, project.params.ingest.fps
    for video_id, start, frames in wanted:
        folder = root / video_id
        images = [cv2.cvtColor(cv2.imread(str(folder / f"{start + i}.jpg")), cv2.COLOR_BGR2RGB) for i in range(frames)]
        if precomputed:
            mel = np.load(folder / "mel.npy")
        else:
            mel = log_mel(read_wav(folder / "audio.wav")[0], settings)
        m0 = mel_start_index(start, fps, settings)
        _ = np.stack(images).astype(np.float32), mel[:, m0 : m0 + frames * 16 // 5]
    return len(wanted)
