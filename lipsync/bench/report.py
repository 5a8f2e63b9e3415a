"""``lipsync bench report``: the README's figures table, built from ``<paths.bench>/*.json``."""

from __future__ import annotations

import json
import re

import numpy as np

from lipsync.atomic import atomic_path
from lipsync.project import Project

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _load(project: Project, name: str) -> dict | None:
    path = project.layout.bench / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _row(what: str, measured: str, goal: str, met: bool | None, command: str) -> str:
    verdict = {True: "met", False: "**not met**", None: ""}[met]
    return f"| {what} | {measured} | {goal} | {verdict} | `{command}` |"


def faces_rows(r: dict) -> list[str]:
    c, hd, pf, gt = r["corpus_256"], r["clip_1280x720"], r["per_frame_mtcnn"], r["ground_truth"]
    g = r["goals"]
    cmd = "lipsync bench faces"
    return (
        [
            _row(
                "faces 256x256: decode+track+crop vs decode only",
                f"{c['faces_fps']:.0f} vs {c['decode_fps']:.0f} frames/s = {c['vs_decode']:.2f}x",
                f">= {g['vs_decode']}x",
                c["vs_decode"] >= g["vs_decode"],
                cmd,
            ),
            _row(
                "faces 256x256: real-time factor",
                f"{c['realtime_factor']:.1f}x",
                f">= {g['realtime_factor']}x",
                c["realtime_factor"] >= g["realtime_factor"],
                cmd,
            ),
            _row(
                "faces 1280x720: decode+track+crop vs decode only",
                f"{hd['faces_fps']:.0f} vs {hd['decode_fps']:.0f} frames/s = {hd['vs_decode']:.2f}x",
                f">= {g['vs_decode']}x",
                hd["vs_decode"] >= g["vs_decode"],
                cmd,
            ),
            _row(
                "faces 1280x720: real-time factor",
                f"{hd['realtime_factor']:.1f}x",
                f">= {g['realtime_factor']}x",
                hd["realtime_factor"] >= g["realtime_factor"],
                cmd,
            ),
            _row(
                "tracking vs MTCNN on every frame (256x256)",
                f"{pf['speedup']:.1f}x faster ({pf['tracking_fps']:.0f} vs {pf['per_frame_fps']:.0f} frames/s)",
                f">= {g['vs_per_frame']}x",
                pf["speedup"] >= g["vs_per_frame"],
                cmd,
            ),
            _row(
                "tracked boxes: mean IoU to per-frame MTCNN boxes",
                f"{pf['mean_iou_to_per_frame']:.3f}",
                f">= {g['iou_to_per_frame']}",
                pf["mean_iou_to_per_frame"] >= g["iou_to_per_frame"],
                cmd,
            ),
            _row(
                "frames with the face found (test speakers / all)",
                f"{gt['test_speakers']['frames_with_face']:.2%} / {gt['all_speakers']['frames_with_face']:.2%}",
                f">= {g['frames_with_face']:.0%}",
                gt["test_speakers"]["frames_with_face"] >= g["frames_with_face"],
                cmd,
            ),
            _row(
                "mean IoU to ground-truth boxes, one convention (test / all)",
                f"{gt['test_speakers']['mean_iou']:.3f} / {gt['all_speakers']['mean_iou']:.3f} "
                f"(raw {gt['test_speakers']['mean_iou_raw']:.3f})",
                f">= {g['ground_truth_iou']}",
                gt["test_speakers"]["mean_iou"] >= g["ground_truth_iou"],
                cmd,
            ),
        ]
        + _steadiness_rows(r.get("steadiness"), g, cmd)
        + _memory_rows(r.get("memory"), g, cmd)
    )


def _steadiness_rows(st: dict | None, g: dict, cmd: str) -> list[str]:
    if st is None:  # results from before the steadiness figures
        return []
    still, goal = st["still"], g["still_movement_px"]
    worst = max(still["max_movement_px_256"], still["max_movement_px_112"])
    return [
        _row(
            f"still image, {still['frames']} identical frames: tracked box movement (256 / 112 px video, "
            f"{still['videos']} faces)",
            f"{still['max_movement_px_256']:.2f} / {still['max_movement_px_112']:.2f} px",
            f"<= {goal} px",
            worst <= goal,
            cmd,
        ),
        _row(
            "faces sliding right and back at 2-4 px/frame: tracked box behind per-frame MTCNN",
            f"{st['max_lag_frames_from_2px']:.2f} frames (at 1-4 px/frame: at most {st['max_lag_px']:.2f} px; "
            f"smoothing alone {st['max_smoothing_lag_frames']:.2f} frames)",
            f"<= {g['lag_frames']} frames",
            st["max_lag_frames_from_2px"] <= g["lag_frames"],
            cmd,
        ),
    ]


def _memory_rows(m: dict | None, g: dict, cmd: str) -> list[str]:
    """Peak RSS of the faces stage on a short and a long clip: streaming keeps them close."""
    if m is None:  # results from before the memory figure
        return []
    lengths = sorted((key for key in m if key.endswith("s") and key[:-1].isdigit()), key=lambda key: int(key[:-1]))
    return [
        _row(
            f"faces peak memory, {'x'.join(map(str, m['frame_size']))} clip of {' vs '.join(lengths)} "
            "(fresh process each)",
            " vs ".join(f"{m[k]['peak_rss_mb']:.0f} MB" for k in lengths) + f" ({m['growth']:+.1%})",
            f"< {g['rss_growth']:.0%} apart",
            abs(m["growth"]) < g["rss_growth"],
            cmd,
        )
    ]


def mel_rows(r: dict) -> list[str]:
    cmd = "lipsync bench mel"
    return [
        _row(
            "mel, warm, float32 (the pipeline's setting)",
            f"{r['float32']['realtime_factor']:.0f}x real time",
            f">= {r['goal_realtime_factor']}x",
            r["float32"]["realtime_factor"] >= r["goal_realtime_factor"],
            cmd,
        ),
        _row("mel, warm, float64", f"{r['float64']['realtime_factor']:.0f}x real time", "", None, cmd),
        _row(
            "mel, first call in a fresh process (numba compile, imports)",
            f"{r['cold_start_seconds']:.1f} s (once per environment; cached after)",
            "",
            None,
            cmd,
        ),
    ]


def shards_rows(r: dict) -> list[str]:
    cmd = "lipsync bench shards"
    rd = r["readers"]
    return [
        _row(
            f"training samples ({r['frames_per_sample']} frames + mel) from shards vs Wav2Lip's JPEG folders",
            f"{rd['shards']['samples_per_second']:.0f} vs {rd['jpeg_folder_wav']['samples_per_second']:.0f} "
            f"samples/s = {r['speedup_vs_wav2lip_layout']:.1f}x",
            f">= {r['goal_speedup']}x",
            r["met"],
            cmd,
        ),
        _row(
            "... vs JPEG folders with the mel precomputed", f"{r['speedup_vs_jpeg_with_mel_npy']:.1f}x", "", None, cmd
        ),
    ]


def models_rows(r: dict) -> list[str]:
    cmd = "lipsync bench models"
    m = r["models"]
    ours, theirs, big = m["ours_96"], m["wav2lip_96"], m["ours_256"]
    return [
        _row(
            "generator size: ours vs Wav2Lip (96 px)",
            f"{ours['parameters'] / 1e6:.2f}M vs "
            f"{theirs['parameters'] / 1e6:.1f}M parameters, {ours['gmac_per_frame']:.2f} vs "
            f"{theirs['gmac_per_frame']:.2f} GMAC/frame",
            "",
            None,
            cmd,
        ),
        _row(
            f"inference, batch {r['batch_frames']} frames, 96 px",
            f"{ours['inference_fps']:.0f} vs {theirs['inference_fps']:.0f} frames/s = {r['inference_speedup']:.1f}x",
            f">= {r['goal_inference_speedup']:.0f}x",
            r["inference_speedup"] >= r["goal_inference_speedup"],
            cmd,
        ),
        _row(
            "training (L1 + sync loss, backward, Adam), 96 px",
            f"{ours['training_fps']:.0f} vs {theirs['training_fps']:.1f} frames/s = {r['training_speedup']:.1f}x",
            "",
            None,
            cmd,
        ),
        _row(
            "ours at 256 px",
            f"{big['inference_fps']:.0f} frames/s inference, {big['training_fps']:.0f} training, "
            f"{big['gmac_per_frame']:.2f} GMAC/frame",
            "",
            None,
            cmd,
        ),
    ]


def evaluation_rows(r: dict) -> list[str]:
    cmd = "lipsync bench evaluation"
    s, checks, gen = r["scoring"], r["self_checks"], r["generation_ours"]
    shares = ", ".join(
        f"{name} {share:.0%}" for name, share in sorted(s["share"].items(), key=lambda x: -x[1]) if share
    )
    return [
        _row(
            f"evaluation: scoring one row, both settings, every metric ({r['clips']} clips, {r['clip_seconds']:.0f} s)",
            f"{s['clip_seconds_per_second']:.1f} clip-seconds/s ({shares}; LPIPS: {r['lpips']})",
            "",
            None,
            cmd,
        ),
        _row(
            f"evaluation: the evaluator's self-check ({checks['shifts']} shifted audios per clip)",
            f"{checks['clip_seconds_per_second']:.1f} clip-seconds/s; ours generates {gen['frames_per_second']:.0f} "
            "frames/s",
            "",
            None,
            cmd,
        ),
    ]


def training_rows(r: dict) -> list[str]:
    cmd = "make run"
    e, g, w = r["syncnet_expert"], r["generator"], r["wav2lip_baseline"]
    em, gm, wm = e["metrics"], g["metrics"], w["metrics"]
    budget = lambda x: f"{x['steps']} steps, {x['train_seconds']:.0f} s"  # noqa: E731
    return [
        _row(
            "expert: off-sync accuracy, test speakers",
            f"{em['accuracy']:.1%} on {em['pairs']:.0f} pairs, AUC {em['auc']:.2f} ({budget(e)})",
            ">= 95%",
            em["accuracy"] >= 0.95,
            cmd,
        ),
        *_ceiling_rows(e.get("ceiling"), em["accuracy"], cmd),
        _row(
            "ours: mouth L1 vs copying the reference (test speakers)",
            f"{gm['mouth_l1']:.4f} vs {gm['copy_l1']:.4f} = {gm['mouth_l1_ratio']:.2f}x ({budget(g)})",
            "<= 0.80x",
            gm["mouth_l1_ratio"] <= 0.8,
            cmd,
        ),
        _row(
            "ours: expert sync loss, generated vs real clips",
            f"{gm['sync_loss_generated']:.3f} vs {gm['sync_loss_truth']:.3f} = {gm['sync_loss_ratio']:.2f}x",
            "<= 1.5x",
            gm["sync_loss_ratio"] <= 1.5,
            cmd,
        ),
        _row(
            "Wav2Lip baseline: same data, trainer and expert, about the same wall-clock",
            f"mouth L1 {wm['mouth_l1']:.4f} = {wm['mouth_l1_ratio']:.2f}x copy, sync loss "
            f"{wm['sync_loss_ratio']:.2f}x real ({budget(w)})",
            "",
            None,
            cmd,
        ),
    ]


def _ceiling_rows(ceiling: dict | None, expert_accuracy: float, cmd: str) -> list[str]:
    """The sync ceiling the expert stage measured on its own pairs (absent in older results)."""
    if not ceiling:
        return []
    return [
        _row(
            "sync ceiling: a perfect eye (true mouth params) on the expert's pairs",
            f"{ceiling['accuracy']:.1%} held out, {ceiling['train_accuracy']:.1%} train speakers",
            ">= 95%",
            ceiling["accuracy"] >= 0.95,
            cmd,
        ),
        _row(
            "expert: distance to the sync ceiling, test speakers",
            f"{100 * (ceiling['accuracy'] - expert_accuracy):.1f} points below "
            f"({expert_accuracy:.1%} vs {ceiling['accuracy']:.1%})",
            "<= 10 points",
            ceiling["accuracy"] - expert_accuracy <= 0.10,
            cmd,
        ),
    ]


def ceiling_rows(r: dict) -> list[str]:
    return [
        _row(
            "sync ceiling of the params' corpus (articulated, no video)",
            f"{r['held_out_accuracy']:.1%} held out ({r['held_out_pairs']} pairs), {r['train_accuracy']:.1%} train "
            f"speakers ({r['speakers']} x {r['clips_per_speaker']} clips)",
            ">= 95%",
            r["held_out_accuracy"] >= 0.95,
            "lipsync bench ceiling",
        )
    ]


def inference_rows(r: dict) -> list[str]:
    cmd, g, b, s, m = "lipsync bench inference", r["goals"], r["batch"], r["stream"], r["memory"]
    trained = all(model["trained"] for model in r["models"].values())
    weights = "" if trained else " (untrained weights: speed only)"
    rows = []
    for size, goal in (("256x256", None), ("1280x720", g["batch_720p_fps"])):
        ours, theirs = b[size]["ours"]["fps"], b[size]["wav2lip"]["fps"]
        rows.append(_row(f"inference end to end (decode, track, generate, paste, encode), {size}: ours vs Wav2Lip"
                         f"{weights}", f"{ours:.1f} vs {theirs:.1f} frames/s = {ours / theirs:.1f}x",
                         f">= {goal:.0f} frames/s" if goal else "", ours >= goal if goal else None, cmd))  # fmt: skip
    ours, theirs = s["ours"], s["wav2lip"]
    size = "x".join(map(str, ours["frame_size"]))
    rows.append(_row(
        f"streaming a {size} photo in real time ({ours['chunk_ms']:.0f} ms chunks): frames/s, ours vs Wav2Lip",
        f"{ours['sustained_fps']:.1f} vs {theirs['sustained_fps']:.1f} (capacity {ours['capacity_fps']:.0f} vs "
        f"{theirs['capacity_fps']:.0f})", f">= {g['stream_fps']:.0f}", ours["sustained_fps"] >= g["stream_fps"], cmd,
    ))  # fmt: skip
    rows.append(_row(
        "streaming: processing latency p50 / p95, ours (Wav2Lip)",
        f"{ours['latency_ms']['p50']:.0f} / {ours['latency_ms']['p95']:.0f} ms ({theirs['latency_ms']['p50']:.0f} / "
        f"{theirs['latency_ms']['p95']:.0f} ms); plus {ours['algorithmic_delay_ms']:.1f} ms algorithmic delay",
        f"p95 <= {g['stream_p95_ms']:.0f} ms", ours["latency_ms"]["p95"] <= g["stream_p95_ms"], cmd,
    ))  # fmt: skip
    lengths = sorted((key for key in m if key.endswith("s") and key[:-1].isdigit()), key=lambda key: int(key[:-1]))
    rows.append(_row(
        f"inference peak memory, {'x'.join(map(str, m['frame_size']))} input of {' vs '.join(lengths)} (ours)",
        " vs ".join(f"{m[k]['peak_rss_mb']:.0f} MB" for k in lengths) + f" ({m['growth']:+.1%})",
        f"< {g['rss_growth']:.0%} apart", abs(m["growth"]) < g["rss_growth"], cmd,
    ))  # fmt: skip
    return rows


def lipsync_rows(r: dict) -> list[str]:
    lag0 = r["correlation_lag0"]
    best = r["correlation_by_lag"][str(r["best_lag_frames"])]
    figure = "undefined (the opening or the energy never varied)" if lag0 is None else f"r = {lag0:.2f}"
    peak = f"best r = {best:.2f} at lag {r['best_lag_frames']}" if best is not None else "no lag correlates"
    return [
        _row(
            f"inner-lip opening vs audio energy per frame, unseen photo and voice ({r['voice']}), lag 0",
            f"{figure} over {r['frames']} frames ({peak}); strip: `{r['strip']}`",
            ">= 0.5",
            r["met"],
            "lipsync bench lipsync",
        )
    ] + _truth_rows(r.get("truth"))


def _truth_rows(truth: dict | None) -> list[str]:
    """The same figure on the held-out clips' real frames: the ceiling a model of this corpus meets."""
    if not truth:
        return []
    low, high = truth["correlation_lag0_range"]
    return [
        _row(
            f"the same on the {truth['split']} clips' real frames and audio (the corpus's own ceiling)",
            f"r = {truth['correlation_lag0_mean']:.2f} mean over {truth['clips']} clips ({low:.2f} to {high:.2f}); "
            f"pooled {truth['correlation_lag0_pooled']:.2f}",
            "",
            None,
            "lipsync bench lipsync",
        )
    ]


def mouth_rows(r: dict) -> list[str]:
    """Per photo: dlib on the warped mouth, with the old lens mouth and the still photo beside it
    where measured; more than four photos (the packages' faces) make one summary row."""
    goal_found, goal_r = r["goal_found_share"], r["goal_open_correlation"]

    def cell(x: dict) -> str:
        corr = "r undefined" if x["open_correlation"] is None else f"r = {x['open_correlation']:.2f}"
        return f"found {x['found_share']:.1%}, {corr}"

    def meets(x: dict) -> bool:
        return x["found_share"] >= goal_found and (x["open_correlation"] or 0) >= goal_r

    goal, command = f"found >= {goal_found:.0%}, r >= {goal_r}", "lipsync bench mouth"
    if len(r["photos"]) > 4:
        warps = [by["warp"] for by in r["photos"].values()]
        found = sorted(w["found_share"] for w in warps)
        corr = sorted(w["open_correlation"] or 0 for w in warps)
        figure = (f"{sum(map(meets, warps))} of {len(warps)} photos meet both; found: lowest {found[0]:.1%}, "
                  f"median {float(np.median(found)):.1%}; r: lowest {corr[0]:.2f}, median {float(np.median(corr)):.2f} "
                  f"({sum(w['frames'] for w in warps)} frames)")  # fmt: skip
        title = f"dlib reads the corpus mouth on the {r.get('photo_source', 'corpus')} photos (warp)"
        return [_row(title, figure, goal, all(map(meets, warps)), command)]
    rows = []
    for photo, by in r["photos"].items():
        w = by["warp"]
        others = (f"; lens (old): {cell(by['lens'])}" if "lens" in by else "") + (
            f"; still photo: found {by['photo']['found_share']:.1%}" if "photo" in by else ""
        )
        rows.append(_row(
            f"dlib reads the corpus mouth, photo `{photo}`: face found, inner-lip opening vs truth `open`",
            f"warp: {cell(w)} over {w['frames']} frames ({w['clips']} clips){others}", goal, meets(w), command,
        ))  # fmt: skip
    return rows


def snapshot_training(project: Project) -> None:
    """Copy the trained models' results (data/models/*/result.json) into the bench folder."""
    from lipsync.atomic import write_json

    stages = ("syncnet_expert", "generator", "wav2lip_baseline")
    if all(project.layout.model_result(s).exists() for s in stages):
        results = {s: json.loads(project.layout.model_result(s).read_text()) for s in stages}
        write_json(project.layout.bench / "training.json", results)


def write_report(project: Project) -> dict:
    snapshot_training(project)
    rows = ["| figure | measured | goal | | command |", "|---|---|---|---|---|"]
    used = []
    for name, build in (
        ("faces", faces_rows),
        ("mel", mel_rows),
        ("shards", shards_rows),
        ("models", models_rows),
        ("evaluation", evaluation_rows),
        ("training", training_rows),
        ("ceiling", ceiling_rows),
        ("inference", inference_rows),
        ("lipsync", lipsync_rows),
        ("mouth", mouth_rows),
    ):
        result = _load(project, name)
        if result:
            rows += build(result)
            used.append(name)
    table = "\n".join(rows)
    readme = project.root / "README.md"
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} ... {END} block for the figures")
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{table}\n{END}", text, flags=re.S)
    with atomic_path(readme) as tmp:
        tmp.write_text(new)
    return {"report": str(readme), "benchmarks": used, "rows": len(rows) - 2}
