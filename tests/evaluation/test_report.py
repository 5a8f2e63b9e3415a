"""The report renders only what the evaluation measured: cells, daggers, notes, findings."""

from __future__ import annotations

import numpy as np

from lipsync.evaluation import report

ROW = {"lse_d": 7.0, "lse_c": 2.0, "face_ssim": 0.9, "mouth_ssim": 0.5, "lmd": 0.05, "identity": 0.1, "lpips": None}


def summary(reliable: bool) -> dict:
    means = {
        "reconstruction": {
            "ground_truth": {**ROW, "lse_c": 3.0, "mouth_ssim": 1.0, "lmd": 0.0},
            "copy_reference": {**ROW, "lse_c": 1.0, "mouth_ssim": 0.4, "lmd": 0.08},
            "ours": ROW,
        },
        "cross_audio": {
            "mismatched_audio": {**ROW, "lse_c": 0.5},
            "copy_reference": {**ROW, "lse_c": 0.6},
            "ours": {**ROW, "lse_c": 1.5},
        },  # fmt: skip
    }
    checks = [{"name": "offset_zero", "passed": reliable, "share": 1.0 if reliable else 0.5, "detail": "d"}]
    return {"means": means, "lse_reliable": reliable, "self_checks": checks}


def test_cells_daggers_and_the_lpips_note():
    header, rows = report.table(summary(False), "reconstruction", report.RECONSTRUCTION, {"ours": {"gmac": 0.27}})
    ours = dict(zip(header, rows[2], strict=True))
    assert ours["row"] == "ours" and ours["LSE-C ↑"] == "2.00 †" and ours["SSIM mouth ↑"] == "0.500"
    assert ours["LPIPS ↓"] == "n/a: no AlexNet weights" and ours["GMAC/frame"] == "0.27" and ours["training s"] == "n/a"
    _, reliable_rows = report.table(summary(True), "reconstruction", report.RECONSTRUCTION, {})
    assert "†" not in " ".join(reliable_rows[2])


def test_findings_restate_the_numbers():
    lines = report.findings(summary(True))
    assert lines[0] == "Evaluator self-checks: 1 of 1 passed; LSE figures are reliable."
    own = "ours: LSE-C with its own audio 2.00, not better than ground truth (3.00), better than copy the"
    assert f"{own} reference (1.00)." in lines
    assert "ours: LMD 0.050, better than copy the reference (0.080)." in lines
    assert any("another clip's audio 1.50, better than mismatched audio (0.50)" in line for line in lines)


def test_figures_are_pngs():
    curves = {"reconstruction/ours": np.ones((2, 31), np.float32), "cross_audio/ours": np.zeros((2, 31), np.float32)}
    assert report.curves_figure(curves, np.arange(-15, 16), 60).startswith(b"\x89PNG")
    assert report.bars_figure(summary(True), 60).startswith(b"\x89PNG")
    strip = {"real": np.zeros((3, 96, 96, 3), np.uint8), "ours": np.ones((3, 96, 96, 3), np.uint8)}
    assert report.strip_figure(strip, 1, 60).startswith(b"\x89PNG")
