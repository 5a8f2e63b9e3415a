"""Assets ``evaluation`` and ``benchmark`` (group ``evaluation``)."""

from pathlib import Path

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.dvc_record import COMMIT_TAG, commit_outputs
from assets.metadata import image_metadata, mlflow_ui_url, number
from assets.resources import LipsyncProject
from lipsync.stages import benchmark as benchmark_stage
from lipsync.stages import evaluation as evaluation_stage
from lipsync.stages import registry
from lipsync.tracking.ui_links import run_url

HEADLINES = (("reconstruction", "lse_c"), ("reconstruction", "lse_d"), ("reconstruction", "mouth_ssim"),
             ("reconstruction", "lmd"), ("reconstruction", "identity"), ("cross_audio", "lse_c"))  # fmt: skip


def headline_metadata(means: dict) -> dict:
    """One number entry per (setting, row, metric) headline figure, so the asset's plots chart it."""
    return {
        f"{setting}/{row}/{metric}": number(values[metric])
        for setting, metric in HEADLINES
        for row, values in means.get(setting, {}).items()
        if values.get(metric) is not None
    }


def _stage_asset(name: str, kinds: set[str]):
    entry = registry.stage(name)
    return dg.asset(name=name, group_name=entry.group, deps=list(entry.upstream), kinds=kinds, owners=OWNERS,
                    code_version="1", pool=WRITER_POOL)  # fmt: skip


@_stage_asset("evaluation", {"pytorch", "mlflow", "parquet"})
def evaluation(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Every generator (copy-the-reference, ours, the Wav2Lip baseline, the official Wav2Lip when given)
    re-generates the held-out clips from their own audio (reconstruction) and from another clip's audio
    (cross-audio); LSE-D/LSE-C by the syncnet_python protocol with the registered evaluator, SSIM/PSNR,
    LPIPS (real AlexNet weights only), identity, LMD, flicker and jitter; the evaluator's self-checks."""
    project = lipsync.open()
    summary = evaluation_stage.run(project.params, project.layout)
    for label, reason in summary["skipped"].items():
        context.log.warning(f"evaluation skipped {label}: {reason}")
    checks = {f"self_check/{c['name']}": number(c["share"]) for c in summary["self_checks"]}
    link = run_url(mlflow_ui_url(project.params), summary["mlflow_experiment_id"], summary["mlflow_run_id"])
    return dg.MaterializeResult(metadata={
        "clips": dg.MetadataValue.int(int(summary["clips"])),
        "lse_reliable": dg.MetadataValue.bool(bool(summary["lse_reliable"])),
        "evaluator": dg.MetadataValue.text(summary["evaluator"]["model"]),
        **headline_metadata(summary["means"]),
        **checks,
        "mlflow_run": dg.MetadataValue.url(link),
        "summary": dg.MetadataValue.path(str(project.layout.evaluation_summary)),
        "run_seconds": dg.MetadataValue.float(float(summary["seconds"])),
    })  # fmt: skip


@_stage_asset("benchmark", {"mlflow", "html"})
def benchmark(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The Wav2Lip benchmark report: one table per setting (every metric, inference frames/s, parameters,
    GMAC per frame, training seconds), offset curves, metric bars and a frame strip, in Markdown and a
    self-contained HTML page under data/reports/benchmark, ending with the promotion decision; each run's
    copy is logged to MLflow. In the retraining job, the last step: it records the run's outputs in dvc.lock."""
    project = lipsync.open()
    result = benchmark_stage.run(project.params, project.layout)
    images = {}
    for name, path in result["figures"].items():
        images |= image_metadata(name.removesuffix(".png"), Path(path))
    link = run_url(mlflow_ui_url(project.params), result["mlflow_experiment_id"], result["mlflow_run_id"])
    recorded = {}
    if context.run.tags.get(COMMIT_TAG) == "true":
        recorded["dvc"] = dg.MetadataValue.text(commit_outputs(project.root))
        context.log.info(f"benchmark: outputs recorded in dvc.lock: {recorded['dvc'].value}")
    return dg.MaterializeResult(metadata={
        "table": dg.MetadataValue.md(result["table"]),
        "cross_audio": dg.MetadataValue.md(result["cross_audio_table"]),
        "findings": dg.MetadataValue.md("\n".join(f"- {f}" for f in result["findings"])),
        "lse_reliable": dg.MetadataValue.bool(bool(result["lse_reliable"])),
        **headline_metadata(result["means"]),
        "report": dg.MetadataValue.path(result["report"]),
        **images,
        "mlflow_run": dg.MetadataValue.url(link),
        **recorded,
    })  # fmt: skip
