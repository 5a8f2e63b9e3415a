"""``lipsync bench inference`` and ``lipsync bench lipsync``: their README rows, and the pieces
of the lip-sync measurement (energy per frame, correlation at a lag)."""

from __future__ import annotations

import json

import numpy as np

from lipsync.bench.lipsync_bench import _correlation, _frame_energy
from lipsync.bench.report import write_report
from tests.builders import make_project


def side(fps: float) -> dict:
    return {"frames": 250, "seconds": 250 / fps, "fps": fps}


def streamed(fps: float, p95: float) -> dict:
    return {"sustained_fps": fps, "capacity_fps": 2 * fps, "latency_ms": {"p50": p95 / 2, "p95": p95, "max": p95},
            "algorithmic_delay_ms": 212.5, "chunk_ms": 40.0, "frame_size": [512, 512]}  # fmt: skip


INFERENCE = {
    "models": {"ours": {"identity": "models:/lipsync-generator/3 (run r)", "trained": True},
               "wav2lip": {"identity": "models:/wav2lip-baseline/2 (run s)", "trained": True}},
    "batch": {"256x256": {"ours": side(61.0), "wav2lip": side(20.0)},
              "1280x720": {"ours": side(27.5), "wav2lip": side(11.0)}},
    "stream": {"ours": streamed(25.0, 48.0), "wav2lip": streamed(14.0, 900.0)},
    "memory": {"180s": {"peak_rss_mb": 721.0}, "60s": {"peak_rss_mb": 700.0}, "growth": 0.03,  # as saved: sorted
               "frame_size": [1280, 720]},
    "goals": {"batch_720p_fps": 25.0, "stream_fps": 25.0, "stream_p95_ms": 100.0, "rss_growth": 0.2},
}  # fmt: skip
LIPSYNC = {"voice": "en-us+paul", "frames": 260, "correlation_lag0": 0.41, "best_lag_frames": 2, "met": False,
           "correlation_by_lag": {"0": 0.41, "2": 0.55}, "strip": "benchmarks/lipsync_strip.png",
           "truth": {"split": "test", "clips": 18, "clips_without_face": 0, "correlation_lag0_mean": 0.52,
                     "correlation_lag0_range": [0.31, 0.7], "correlation_lag0_pooled": 0.49}}  # fmt: skip


def test_inference_and_lipsync_rows(tmp_path):
    project = make_project(tmp_path / "proj")
    readme = project.root / "README.md"
    readme.write_text("<!-- bench:start -->\n<!-- bench:end -->\n")
    project.layout.bench.mkdir(parents=True)
    (project.layout.bench / "inference.json").write_text(json.dumps(INFERENCE))
    (project.layout.bench / "lipsync.json").write_text(json.dumps(LIPSYNC))
    summary = write_report(project)
    text = readme.read_text()
    assert summary["benchmarks"] == ["inference", "lipsync"] and summary["rows"] == 7
    assert "1280x720: ours vs Wav2Lip | 27.5 vs 11.0 frames/s = 2.5x | >= 25 frames/s | met |" in text
    assert "| 25.0 vs 14.0 (capacity 50 vs 28) | >= 25 | met |" in text
    assert "| 24 / 48 ms (450 / 900 ms); plus 212.5 ms algorithmic delay | p95 <= 100 ms | met |" in text
    assert "1280x720 input of 60s vs 180s (ours) | 700 MB vs 721 MB (+3.0%) | < 20% apart | met |" in text
    assert "| r = 0.41 over 260 frames (best r = 0.55 at lag 2)" in text and "| >= 0.5 | **not met** |" in text
    assert (
        "test clips' real frames and audio (the corpus's own ceiling) | r = 0.52 mean over 18 clips (0.31 to "
        "0.70); pooled 0.49 |" in text
    )


def test_energy_follows_each_frame_and_correlation_finds_the_lag():
    rate, fps = 16000, 25
    loudness = np.abs(np.sin(np.arange(100) / 5.0))  # per frame
    audio = np.repeat(loudness, rate // fps) * np.sin(np.arange(100 * 640) * 0.3)
    energy = _frame_energy(audio.astype(np.float32), 100, rate, fps)
    assert energy.shape == (100,) and np.corrcoef(energy, loudness)[0, 1] > 0.99
    opening = np.roll(loudness, 3)  # the mouth follows the sound three frames late
    opening[:3] = np.nan
    assert _correlation(opening, energy, -3) > 0.99 > _correlation(opening, energy, 0)
    assert _correlation(np.full(100, np.nan), energy, 0) is None
