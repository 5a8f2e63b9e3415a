"""Stage ``benchmark``: the Wav2Lip benchmark report from the ``evaluation`` stage's outputs.

Writes ``benchmark.md`` and ``benchmark.html`` (self-contained: its figures embedded) with
``curves.png`` (mean embedding distance per AV offset, every row), ``bars.png`` (headline
metrics) and ``strip.png`` (the same frames: real, copy, ours, Wav2Lip) into
``paths.benchmark`` (the DVC output), and logs each run's copy to MLflow (experiment
``benchmark``, the report's history). Every cell is a value the evaluation measured or a
cost of the row's model: parameters and GMAC per frame counted on the model, inference
frames/s timed during the evaluation on this machine, training seconds from the training
stage's result.

It runs after ``promote``, so the report ends with the registry's section: the promotion
decision on each model this run trained, every rule with both values, and the table of its
versions with the champion in bold (``paths.promote``'s ``promotion.md``, rendered into the
page by markdown-it-py, the Markdown parser Dagster's own dependencies bring).
"""

from __future__ import annotations

import json
import time

import numpy as np

from lipsync.atomic import atomic_path, write_json
from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.training_stage import read_result
from lipsync.stages.writer_lock import writes_data

STAGE = "benchmark"
TABLE_START, TABLE_END = "<!-- table:start -->", "<!-- table:end -->"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    from lipsync.evaluation import report

    if not layout.evaluation_summary.exists():
        raise FileNotFoundError(
            f"benchmark: {layout.evaluation_summary} is missing: run `lipsync run evaluation` first"
        )
    summary = json.loads(layout.evaluation_summary.read_text())
    curves = dict(np.load(layout.evaluation_curves))
    strip = dict(np.load(layout.evaluation_strip))
    costs = row_costs(params, layout, summary)
    settings = (("reconstruction", report.RECONSTRUCTION), ("cross_audio", report.CROSS_AUDIO))
    tables = {setting: report.table(summary, setting, columns, costs) for setting, columns in settings}
    offsets = np.arange(-params.evaluation.sync.max_offset, params.evaluation.sync.max_offset + 1)
    figures = {
        "curves.png": report.curves_figure(curves, offsets, params.benchmark.dpi),
        "bars.png": report.bars_figure(summary, params.benchmark.dpi),
        "strip.png": report.strip_figure(strip, params.benchmark.zoom, params.benchmark.dpi),
    }
    findings = report.findings(summary)
    versions = _versions(layout, summary)
    registry = _promotion_section(layout)
    markdown = _markdown(summary, versions, tables, findings, params, registry)
    page = _html(summary, versions, tables, findings, figures, params, registry)
    layout.benchmark.mkdir(parents=True, exist_ok=True)
    for name, data in figures.items():
        with atomic_path(layout.benchmark / name) as tmp:
            tmp.write_bytes(data)
    for name, text in (("benchmark.md", markdown), ("benchmark.html", page)):
        with atomic_path(layout.benchmark / name) as tmp:
            tmp.write_text(text)
    result = {
        "stage": STAGE,
        "report": str(layout.benchmark / "benchmark.html"),
        "markdown": str(layout.benchmark / "benchmark.md"),
        "table": report.markdown_table(*tables["reconstruction"]),
        "cross_audio_table": report.markdown_table(*tables["cross_audio"]),
        "findings": findings,
        "lse_reliable": summary["lse_reliable"],
        "means": summary["means"],
        "evaluator": summary["evaluator"],
        "figures": {name: str(layout.benchmark / name) for name in figures},
    }
    result["mlflow_experiment_id"], result["mlflow_run_id"] = _track(layout, result, summary)
    write_json(layout.benchmark / "benchmark.json", result)
    return result


def row_costs(params: Params, layout: Layout, summary: dict) -> dict[str, dict]:
    """{row: parameters_m, gmac, inference_fps, train_seconds} for every generator row."""
    from lipsync.models import LipSyncGenerator, Wav2Lip, count_parameters, macs_per_frame

    size, bands = params.format.face_size, params.format.mel_bands
    faces, mel = np.zeros((1, 6, size, size), np.float32), np.zeros((1, 1, bands, 16), np.float32)
    import torch

    faces_t, mel_t = torch.from_numpy(faces), torch.from_numpy(mel)
    ours, wav2lip = LipSyncGenerator(params.models.generator).eval(), Wav2Lip().eval()
    models = {
        "ours": (ours, lambda f, m: ours(f, m).face, "generator"),
        "wav2lip_baseline": (wav2lip, lambda f, m: wav2lip(m, f), "wav2lip_baseline"),
        "wav2lip_official": (wav2lip, lambda f, m: wav2lip(m, f), None),
    }
    fps = summary.get("inference_fps", {})
    costs = {"copy_reference": {"parameters_m": 0.0, "gmac": 0.0, "inference_fps": fps.get("copy_reference")}}
    for row, (model, forward, stage) in models.items():
        if row not in summary["models"]:
            continue
        costs[row] = {
            "parameters_m": count_parameters(model) / 1e6,
            "gmac": macs_per_frame(forward, (faces_t, mel_t)) / 1e9,
            "inference_fps": fps.get(row),
            "train_seconds": read_result(layout, stage, STAGE).get("train_seconds") if stage else None,
        }
    return costs


def _versions(layout: Layout, summary: dict) -> str:
    """``evaluation <hash>, shard data <hash>, the generators' filtered train data <hash>``: what
    the report's figures were computed on (the last where the syncfilter stage has run)."""
    manifest, filtered = layout.shards_manifest, layout.syncfilter_manifest
    shards = json.loads(manifest.read_text()).get("data_version", "?") if manifest.exists() else "?"
    text = f"evaluation {summary['data_version']}, shard data {shards}"
    if filtered.exists():
        text += f", generators' filtered train data {json.loads(filtered.read_text()).get('data_version', '?')}"
    return text


def _promotion_section(layout: Layout) -> str | None:
    """``promotion.md`` with its headings one level down and its title prefixed ``Registry:``
    (the report's last section), or None when the ``promote`` stage has not run."""
    path = layout.promote / "promotion.md"
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    title = "## Registry: " + lines[0].lstrip("# ") if lines else "## Registry"
    return "\n".join([title, *("#" + line if line.startswith("#") else line for line in lines[1:])])


def _markdown(summary: dict, versions: str, tables: dict, findings: list[str], params: Params,
              registry: str | None) -> str:  # fmt: skip
    from lipsync.evaluation.report import markdown_table

    lines = [f"# Wav2Lip benchmark ({time.strftime('%Y-%m-%d')}, {versions})", ""]
    lines += _context(summary, params) + ["", "## Reconstruction (own audio, against the real frames)", "", TABLE_START,
              markdown_table(*tables["reconstruction"]), TABLE_END, "",
              "## Cross-audio dubbing (another clip's audio)", "", markdown_table(*tables["cross_audio"]), "",
              "## Evaluator self-checks", ""]  # fmt: skip
    lines += [
        f"- {'passed' if c['passed'] else '**failed**'} `{c['name']}`: {c['detail']}" for c in summary["self_checks"]
    ]
    lines += ["", "## Findings", "", *(f"- {f}" for f in findings), "", "![offset curves](curves.png)",
              "![metrics](bars.png)", "![frames](strip.png)", ""]  # fmt: skip
    if registry:
        lines += [registry, ""]
    return "\n".join(lines)


def _context(summary: dict, params: Params) -> list[str]:
    evaluator = summary["evaluator"]
    held_out = evaluator.get("held_out", {})
    accuracy = (
        f", off-sync accuracy {held_out['pair_accuracy']:.1%} on held-out pairs" if "pair_accuracy" in held_out else ""
    )
    models = "; ".join(f"{row}: {ref['model']}" for row, ref in summary["models"].items())
    official = (
        ""
        if "wav2lip_official" in summary["models"]
        else (" The official Wav2Lip row is absent: give `evaluation.wav2lip_file` (wav2lip.pth) to add it.")
    )
    skipped = "; ".join(f"{k}: {v}" for k, v in summary["skipped"].items()) or "none"
    return [
        f"{summary['clips']} held-out clips (split `{params.evaluation.split}`), scored by evaluator "
        f"{evaluator['model']}{accuracy}. LSE per clip by the syncnet_python protocol (offsets "
        f"-{params.evaluation.sync.max_offset}..+{params.evaluation.sync.max_offset}); dataset figures: "
        f"{summary['averaging']}.",
        f"Models: {models}. The Wav2Lip baseline was trained here on the same shards, with the same trainer "
        f"and expert and about the same wall-clock budget as ours (training seconds in the table).{official}",
        f"Clips not scored: {skipped}.",
    ]


def _html(summary: dict, versions: str, tables: dict, findings: list[str], figures: dict[str, bytes], params: Params,
          registry: str | None) -> str:  # fmt: skip
    import html

    from markdown_it import MarkdownIt

    from lipsync.evaluation.report import embedded, html_table

    registry_html = MarkdownIt("commonmark", {"html": False}).enable("table").render(registry) if registry else ""
    checks = "".join(f"<li>{'passed' if c['passed'] else '<b>failed</b>'} {html.escape(c['name'])}: "
                     f"{html.escape(c['detail'])}</li>" for c in summary["self_checks"])  # fmt: skip
    context = "".join(f"<p>{html.escape(line)}</p>" for line in _context(summary, params))
    return "\n".join([
        "<!doctype html><html><head><meta charset='utf-8'><title>Wav2Lip benchmark</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #bbb;"
        "padding:3px 6px;font-size:13px}img{max-width:100%}</style></head><body>",
        f"<h1>Wav2Lip benchmark</h1><p>{html.escape(versions)}</p>{context}",
        "<h2>Reconstruction (own audio)</h2>", html_table(*tables["reconstruction"]),
        "<h2>Cross-audio dubbing</h2>", html_table(*tables["cross_audio"]),
        f"<h2>Evaluator self-checks</h2><ul>{checks}</ul>",
        "<h2>Findings</h2><ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in findings) + "</ul>",
        *(embedded(data, name) for name, data in figures.items()),
        registry_html,
        "</body></html>",
    ])  # fmt: skip


def _track(layout: Layout, result: dict, summary: dict) -> tuple[str, str]:
    from lipsync.tracking import ensure_experiment, open_tracking

    client = open_tracking(layout.mlruns)
    experiment = ensure_experiment(client, STAGE, layout.mlruns)
    tags = {"data_version": summary["data_version"], "lse_reliable": str(summary["lse_reliable"]).lower(),
            "evaluation_run": summary.get("mlflow_run_id", "")}  # fmt: skip
    run = client.create_run(experiment, run_name=f"benchmark-{summary['data_version'][:8]}", tags=tags)
    for name in ("benchmark.md", "benchmark.html", *result["figures"]):
        client.log_artifact(run.info.run_id, str(layout.benchmark / name))
    client.set_terminated(run.info.run_id, "FINISHED")
    return experiment, run.info.run_id
