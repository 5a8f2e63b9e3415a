"""`lipsync bench report`: the README figures table is rebuilt from the benchmark JSON."""

import json

from lipsync.bench.report import write_report
from tests.builders import make_project

MEL = {"float32": {"realtime_factor": 2500.0}, "float64": {"realtime_factor": 1800.0}, "cold_start_seconds": 15.0,
       "goal_realtime_factor": 1000}
SHARDS = {"frames_per_sample": 25, "readers": {"shards": {"samples_per_second": 900.0},
                                               "jpeg_folder_wav": {"samples_per_second": 200.0}},
          "speedup_vs_wav2lip_layout": 4.5, "speedup_vs_jpeg_with_mel_npy": 2.2, "goal_speedup": 3.0, "met": True}
MODEL = {"parameters": 1e6, "gmac_per_frame": 0.27, "inference_fps": 140.0, "training_fps": 30.0}
MODELS = {"batch_frames": 40, "inference_speedup": 4.0, "training_speedup": 8.0, "goal_inference_speedup": 5.0,
          "models": {"ours_96": MODEL, "ours_256": MODEL, "wav2lip_96": MODEL | {"parameters": 3.6e7}}}


def test_report_replaces_the_block_with_verdicts(tmp_path):
    project = make_project(tmp_path / "proj")
    readme = project.root / "README.md"
    readme.write_text("intro\n<!-- bench:start -->\nold\n<!-- bench:end -->\noutro\n")
    project.layout.bench.mkdir(parents=True)
    for name, result in (("mel", MEL), ("shards", SHARDS), ("models", MODELS)):
        (project.layout.bench / f"{name}.json").write_text(json.dumps(result))
    summary = write_report(project)
    text = readme.read_text()
    assert summary["benchmarks"] == ["mel", "shards", "models"] and summary["rows"] == 9
    assert text.startswith("intro\n<!-- bench:start -->\n| figure |") and text.endswith("<!-- bench:end -->\noutro\n")
    assert "\nold\n" not in text
    assert "| mel, warm, float32 (the pipeline's setting) | 2500x real time | >= 1000x | met |" in text
    assert "900 vs 200 samples/s = 4.5x | >= 3.0x | met" in text
    assert "140 vs 140 frames/s = 4.0x | >= 5x | **not met**" in text  # a shortfall is shown, not hidden
