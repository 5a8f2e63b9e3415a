"""`lipsync bench report`: the README figures table is rebuilt from the benchmark JSON."""

import json

from lipsync.bench.report import faces_rows, mouth_rows, write_report
from tests.builders import make_project

MEL = {
    "float32": {"realtime_factor": 2500.0},
    "float64": {"realtime_factor": 1800.0},
    "cold_start_seconds": 15.0,
    "goal_realtime_factor": 1000,
}
SHARDS = {
    "frames_per_sample": 25,
    "readers": {"shards": {"samples_per_second": 900.0}, "jpeg_folder_wav": {"samples_per_second": 200.0}},
    "speedup_vs_wav2lip_layout": 4.5,
    "speedup_vs_jpeg_with_mel_npy": 2.2,
    "goal_speedup": 3.0,
    "met": True,
}
MODEL = {"parameters": 1e6, "gmac_per_frame": 0.27, "inference_fps": 140.0, "training_fps": 30.0}
MODELS = {
    "batch_frames": 40,
    "inference_speedup": 4.0,
    "training_speedup": 8.0,
    "goal_inference_speedup": 5.0,
    "models": {"ours_96": MODEL, "ours_256": MODEL, "wav2lip_96": MODEL | {"parameters": 3.6e7}},
}


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


def trained(stage: str, steps: int, seconds: float, metrics: dict) -> dict:
    return {"stage": stage, "steps": steps, "train_seconds": seconds, "metrics": metrics}


def generated(mouth_l1: float, sync_loss: float) -> dict:
    """Generator metrics against a copy L1 of 0.1 and a real-clip sync loss of 0.75."""
    return {
        "mouth_l1": mouth_l1,
        "copy_l1": 0.1,
        "mouth_l1_ratio": mouth_l1 / 0.1,
        "sync_loss_generated": sync_loss,
        "sync_loss_truth": 0.75,
        "sync_loss_ratio": sync_loss / 0.75,
    }


def test_report_snapshots_the_trained_models_and_judges_them(tmp_path):
    project = make_project(tmp_path / "proj")
    readme = project.root / "README.md"
    readme.write_text("<!-- bench:start -->\n<!-- bench:end -->\n")
    results = {
        "syncnet_expert": trained("syncnet_expert", 1000, 291.3, {"accuracy": 0.631, "auc": 0.71, "pairs": 1000.0}),
        "generator": trained("generator", 1700, 444.4, generated(0.09, 0.9)),
        "wav2lip_baseline": trained("wav2lip_baseline", 220, 511.1, generated(0.126, 1.39)),
    }
    for stage, result in results.items():
        project.layout.model_result(stage).parent.mkdir(parents=True, exist_ok=True)
        project.layout.model_result(stage).write_text(json.dumps(result))
    summary = write_report(project)
    text = readme.read_text()
    assert summary["benchmarks"] == ["training"] and summary["rows"] == 4
    assert json.loads((project.layout.bench / "training.json").read_text()) == results
    assert "| 63.1% on 1000 pairs, AUC 0.71 (1000 steps, 291 s) | >= 95% | **not met** |" in text
    assert "| 0.0900 vs 0.1000 = 0.90x (1700 steps, 444 s) | <= 0.80x | **not met** |" in text
    assert "| 0.900 vs 0.750 = 1.20x | <= 1.5x | met |" in text
    assert "mouth L1 0.1260 = 1.26x copy, sync loss 1.85x real (220 steps, 511 s) |  |  |" in text


def test_report_rows_of_the_evaluation_benchmark(tmp_path):
    project = make_project(tmp_path / "proj")
    readme = project.root / "README.md"
    readme.write_text("<!-- bench:start -->\n<!-- bench:end -->\n")
    project.layout.bench.mkdir(parents=True)
    result = {
        "clips": 18, "clip_seconds": 80.0, "lpips": "n/a: no AlexNet weights",
        "scoring": {"seconds": 40.0, "clip_seconds_per_second": 2.0, "share": {
            "sync": 0.2, "image": 0.1, "lpips": 0.0, "landmarks": 0.5, "identity": 0.15, "temporal": 0.05}},
        "self_checks": {"seconds": 8.0, "clip_seconds_per_second": 10.0, "shifts": 6},
        "generation_ours": {"seconds": 4.0, "frames_per_second": 500.0},
    }  # fmt: skip
    (project.layout.bench / "evaluation.json").write_text(json.dumps(result))
    summary = write_report(project)
    text = readme.read_text()
    assert summary["benchmarks"] == ["evaluation"] and summary["rows"] == 2
    assert (
        "| 2.0 clip-seconds/s (landmarks 50%, sync 20%, identity 15%, image 10%, temporal 5%; LPIPS: n/a: no AlexNet"
        in text
    )
    assert "10.0 clip-seconds/s; ours generates 500 frames/s" in text


THROUGHPUT = {"faces_fps": 120.0, "decode_fps": 280.0, "vs_decode": 0.43, "realtime_factor": 4.8}
SPEAKERS = {"frames_with_face": 1.0, "mean_iou": 0.84, "mean_iou_raw": 0.72}
FACES = {
    "corpus_256": THROUGHPUT,
    "clip_1280x720": THROUGHPUT,
    "per_frame_mtcnn": {"speedup": 5.7, "tracking_fps": 1655.0, "per_frame_fps": 290.0, "mean_iou_to_per_frame": 0.93},
    "ground_truth": {"test_speakers": SPEAKERS, "all_speakers": SPEAKERS},
    "goals": {
        "vs_decode": 0.25,
        "realtime_factor": 10,
        "vs_per_frame": 4.0,
        "iou_to_per_frame": 0.9,
        "frames_with_face": 0.99,
        "ground_truth_iou": 0.8,
        "rss_growth": 0.2,
    },
}


def faces_memory(short_mb: float, long_mb: float) -> dict:
    return {
        "15s": {"peak_rss_mb": short_mb, "frames": 375, "seconds": 9.0},
        "180s": {"peak_rss_mb": long_mb, "frames": 4500, "seconds": 110.0},
        "growth": round(long_mb / short_mb - 1, 3),
        "frame_size": [1280, 720],
    }


def test_faces_memory_row_judges_the_growth_between_lengths():
    row = faces_rows(FACES | {"memory": faces_memory(900.0, 990.0)})[-1]
    assert row == (
        "| faces peak memory, 1280x720 clip of 15s vs 180s (fresh process each) | 900 MB vs 990 MB (+10.0%) "
        "| < 20% apart | met | `lipsync bench faces` |"
    )
    grown = faces_rows(FACES | {"memory": faces_memory(900.0, 12000.0)})[-1]
    assert "900 MB vs 12000 MB (+1233.3%) | < 20% apart | **not met** |" in grown
    assert not any("peak memory" in r for r in faces_rows(FACES))  # results from before the figure


def test_mouth_rows_one_per_photo_with_the_ceiling():
    def reading(found, r):
        return {"clips": 4, "frames": 400, "found_share": found, "open_correlation": r}

    result = {
        "goal_found_share": 0.99,
        "goal_open_correlation": 0.9,
        "photos": {
            "frontal": {"warp": reading(1.0, 0.95), "lens": reading(1.0, 0.7), "photo": reading(1.0, 0.01)},
            "turned": {"warp": reading(0.65, 0.43), "lens": reading(0.35, None), "photo": reading(0.59, 0.1)},
        },
    }
    rows = mouth_rows(result)
    assert len(rows) == 2
    assert "warp: found 100.0%, r = 0.95 over 400 frames (4 clips); lens (old): found 100.0%, r = 0.70" in rows[0]
    assert rows[0].endswith("| found >= 99%, r >= 0.9 | met | `lipsync bench mouth` |")
    assert "lens (old): found 35.0%, r undefined; still photo: found 59.0%" in rows[1] and "**not met**" in rows[1]


def test_report_puts_the_sync_ceiling_beside_the_expert(tmp_path):
    project = make_project(tmp_path / "proj")
    readme = project.root / "README.md"
    readme.write_text("<!-- bench:start -->\n<!-- bench:end -->\n")
    expert = trained("syncnet_expert", 1000, 291.3, {"accuracy": 0.631, "auc": 0.71, "pairs": 1000.0})
    expert["ceiling"] = {"accuracy": 0.842, "auc": 0.92, "pairs": 1000, "train_accuracy": 0.886, "train_auc": 0.95}
    results = {
        "syncnet_expert": expert,
        "generator": trained("generator", 1700, 444.4, generated(0.09, 0.9)),
        "wav2lip_baseline": trained("wav2lip_baseline", 220, 511.1, generated(0.126, 1.39)),
    }
    for stage, result in results.items():
        project.layout.model_result(stage).parent.mkdir(parents=True, exist_ok=True)
        project.layout.model_result(stage).write_text(json.dumps(result))
    assert write_report(project)["rows"] == 6
    text = readme.read_text()
    assert "| 84.2% held out, 88.6% train speakers | >= 95% | **not met** |" in text
    assert "| 21.1 points below (63.1% vs 84.2%) | <= 10 points | **not met** |" in text


def test_mouth_rows_sum_up_many_photos_in_one_row():
    def reading(found, r):
        return {"clips": 4, "frames": 100, "found_share": found, "open_correlation": r}

    photos = {f"face{i:02d}": {"warp": reading(1.0, 0.95)} for i in range(5)}
    photos["face05"] = {"warp": reading(0.97, 0.91)}
    result = {"goal_found_share": 0.99, "goal_open_correlation": 0.9, "photo_source": "data/photos", "photos": photos}
    (row,) = mouth_rows(result)
    assert "on the data/photos photos (warp)" in row
    summary = "5 of 6 photos meet both; found: lowest 97.0%, median 100.0%; r: lowest 0.91, median 0.95 (600 frames)"
    assert summary in row
    assert "**not met**" in row
