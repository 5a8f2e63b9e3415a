"""Assets ``evaluation`` and ``benchmark`` (group ``evaluation``)."""

import dagster as dg

from assets.resources import LipsyncProject
from lipsync.stages import benchmark as benchmark_stage
from lipsync.stages import evaluation as evaluation_stage
from lipsync.stages import registry

HEADLINES = (("reconstruction", "lse_c"), ("reconstruction", "lse_d"), ("reconstruction", "mouth_ssim"),
             ("reconstruction", "lmd"), ("reconstruction", "identity"), ("cross_audio", "lse_c"))  # fmt: skip


def headline_metadata(means: dict) -> dict:
    """One float entry per (setting, row, metric) headline figure, so the asset plots chart it."""
    meta = {}
    for setting, metric in HEADLINES:
        for row, values in means.get(setting, {}).items():
            if values.get(metric) is not None:
                meta[f"{setting}/{row}/{metric}"] = dg.MetadataValue.float(float(values[metric]))
    return meta


@dg.asset(name="evaluation", group_name=registry.stage("evaluation").group,
          deps=list(registry.stage("evaluation").upstream), code_version="1")  # fmt: skip
def evaluation(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Every generator (copy-the-reference, ours, the Wav2Lip baseline, the official Wav2Lip when given)
    re-generates the held-out clips from their own audio (reconstruction) and from another clip's audio
    (cross-audio); LSE-D/LSE-C by the syncnet_python protocol with the registered evaluator, SSIM/PSNR,
    LPIPS (real AlexNet weights only), identity, LMD, flicker and jitter; the evaluator's self-checks."""
    project = lipsync.open()
    summary = evaluation_stage.run(project.params, project.layout)
    for label, reason in summary["skipped"].items():
        context.log.warning(f"evaluation skipped {label}: {reason}")
    checks = {f"self_check/{c['name']}": dg.MetadataValue.float(c["share"]) for c in summary["self_checks"]}
    return dg.MaterializeResult(metadata={
        "clips": summary["clips"],
        "lse_reliable": summary["lse_reliable"],
        "evaluator": summary["evaluator"]["model"],
        **headline_metadata(summary["means"]),
        **checks,
        "mlflow_run_id": summary["mlflow_run_id"],
        "summary": dg.MetadataValue.path(str(project.layout.evaluation_summary)),
        "seconds": dg.MetadataValue.float(float(summary["seconds"])),
    })  # fmt: skip


@dg.asset(name="benchmark", group_name=registry.stage("benchmark").group,
          deps=list(registry.stage("benchmark").upstream), code_version="1")  # fmt: skip
def benchmark(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The Wav2Lip benchmark report: one table per setting (every metric, inference frames/s, parameters,
    GMAC per frame, training seconds), offset curves, metric bars and a frame strip, in Markdown and a
    self-contained HTML page under data/reports/benchmark; each run's copy is logged to MLflow."""
    project = lipsync.open()
    result = benchmark_stage.run(project.params, project.layout)
    return dg.MaterializeResult(metadata={
        "table": dg.MetadataValue.md(result["table"]),
        "cross_audio": dg.MetadataValue.md(result["cross_audio_table"]),
        "findings": dg.MetadataValue.md("\\n".join(f"- {f}" for f in result["findings"])),
        "lse_reliable": result["lse_reliable"],
        **headline_metadata(result["means"]),
        "report": dg.MetadataValue.path(result["report"]),
        **{name: dg.MetadataValue.path(path) for name, path in result["figures"].items()},
        "mlflow_run_id": result["mlflow_run_id"],
    })  # fmt: skip
