"""Peak memory of the faces stage against the clip's length (``lipsync bench faces``, "memory").

Each length runs in a fresh process (``spawn``), so one's peak cannot hide another's: the child
runs the stage's own per-video work (``faces_video``: both decode passes, crops and track
written) on a synthetic face video of that length and reports its own peak RSS
(:mod:`lipsync.bench.peak_memory`). The stage streams
its frames, so the peaks should stay close whatever the length (goal: ``rss_growth``).
"""

from __future__ import annotations

import time
from pathlib import Path

from lipsync.bench.inference_inputs import face_video
from lipsync.bench.peak_memory import by_length, in_fresh_process
from lipsync.config import Params


def measure(folder: Path, params: Params, size: tuple[int, int], lengths: tuple[float, ...]) -> dict:
    """Peak RSS (MB) of a fresh process running the faces stage on a ``size`` (w, h) clip, per length.

    Returns ``{"<n>s": {"peak_rss_mb", "frames", "seconds"}, ..., "growth": last / first - 1,
    "frame_size": [w, h]}``; the clip is deleted after its run.
    """
    runs = {}
    for seconds in lengths:
        video = face_video(folder / f"faces-{seconds:.0f}s.mp4", size, seconds)
        runs[seconds] = in_fresh_process(_faces_measured, video, folder, params)
        video.unlink()
    return by_length(runs, size)


def _faces_measured(video: Path, folder: Path, params: Params) -> tuple[int, int, float]:
    """In a fresh process: the faces stage on ``video``, then (peak RSS in KB, frames, seconds)."""
    from lipsync.bench.peak_memory import peak_rss_kb
    from lipsync.stages.faces import faces_video

    started = time.perf_counter()
    record = faces_video(video, folder / "crops.npy", folder / "track.npz", params)
    if record["status"] != "ok":
        raise RuntimeError(f"bench faces: memory run on {video.name} rejected: {record['reason']}")
    return peak_rss_kb(), record["frames"], time.perf_counter() - started
