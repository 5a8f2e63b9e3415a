"""Benchmark ``mel``: warm throughput as a multiple of real time, and the one-time compile.

The numba compile that librosa triggers on its first call is measured apart, in a fresh
process with an empty numba cache; warm throughput runs over the ingested wavs of the
corpus, in float32 (the pipeline's setting) and in float64 side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from lipsync.audio.mel import log_mel, single_threaded_blas
from lipsync.media.reader import read_wav
from lipsync.project import Project

COLD_SNIPPET = (
    "import time, numpy as np; t = time.perf_counter(); "
    "from lipsync.audio.mel import log_mel, single_threaded_blas; from lipsync.config import load_params; "
    "log_mel(np.zeros(16000, np.float32), load_params({params!r}).mel); print(time.perf_counter() - t)"
)


def run(project: Project, quick: bool = False) -> dict:
    wavs = sorted((project.layout.ingest / "audio").glob("*.wav"))
    if not wavs:
        raise FileNotFoundError("bench mel: no ingested audio; run `make run` (or `lipsync run ingest`) first")
    audio = [read_wav(p)[0] for p in wavs[: 4 if quick else None]]
    seconds_of_audio = sum(len(a) for a in audio) / project.params.mel.sample_rate
    out = {"files": len(audio), "audio_seconds": round(seconds_of_audio, 2), "cold_start_seconds": _cold_start(project)}
    for dtype in ("float32", "float64"):
        settings = replace(project.params.mel, dtype=dtype)
        log_mel(audio[0], settings)  # warm
        repeats = 1 if quick else 5
        with single_threaded_blas():
            started = time.perf_counter()
            for _ in range(repeats):
                for a in audio:
                    log_mel(a, settings)
        elapsed = (time.perf_counter() - started) / repeats
        out[dtype] = {"seconds": round(elapsed, 4), "realtime_factor": round(seconds_of_audio / elapsed, 1)}
    out["goal_realtime_factor"] = 1000
    out["met"] = out[project.params.mel.dtype]["realtime_factor"] >= 1000
    return out


def _cold_start(project: Project) -> float:
    """Seconds of the first mel call in a fresh process with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        code = COLD_SNIPPET.format(params=str(project.root / "params.yaml"))
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip().splitlines()[-1]), 2)
