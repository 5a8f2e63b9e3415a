"""The ``evaluation`` stage's summary (means per setting and row, self-checks, identities)
and its MLflow run, linked both ways to the model versions it scored."""

from __future__ import annotations

import math

import pandas as pd

from lipsync.config import Params, select_sections
from lipsync.layout import Layout

AVERAGING = "arithmetic mean over clips (Wav2Lip's LRS2 convention); NaN values (unmeasurable) left out"
METRICS = ("lse_d", "lse_c", "offset", "face_ssim", "face_psnr", "mouth_ssim", "mouth_psnr", "lpips", "identity",
           "same_person", "lmd", "flicker_ratio", "jitter_ratio")  # fmt: skip


def summarise(frame: pd.DataFrame, checks, evaluator: dict, models: dict, timing: dict, skipped: dict,
              clips: int) -> dict:  # fmt: skip
    """JSON-able summary: means[setting][row][metric], self-checks, identities, fps per row."""
    means: dict = {}
    for (setting, row), group in frame.groupby(["setting", "row"], sort=False):
        values = {m: _mean(group[m]) for m in METRICS if m in group}
        means.setdefault(setting, {})[row] = values
    reliable = bool(checks) and all(c.passed for c in checks)
    return {
        "clips": clips,
        "skipped": skipped,
        "averaging": AVERAGING,
        "evaluator": evaluator,
        "models": models,
        "self_checks": [vars(c) for c in checks],
        "lse_reliable": reliable,
        "means": means,
        "inference_fps": {r: round(t["frames"] / t["seconds"], 1) for r, t in timing.items() if t["seconds"] > 0},
    }


def _mean(values: pd.Series) -> float | None:
    kept = pd.to_numeric(values, errors="coerce").dropna()
    return float(kept.mean()) if len(kept) else None


def track_evaluation(
    params: Params, layout: Layout, summary: dict, generators: dict, evaluator: dict
) -> tuple[str, str]:
    """Log the evaluation as one MLflow run; tag each registered version it scored with the run id.
    Returns (experiment id, run id)."""
    from lipsync.tracking import ensure_experiment, flatten_params, git_commit, open_tracking

    client = open_tracking(layout.mlruns)
    experiment = ensure_experiment(client, "evaluation", layout.mlruns)
    tags = {"data_version": summary["data_version"], "lse_reliable": str(summary["lse_reliable"]).lower(),
            "evaluator": evaluator["model"]}  # fmt: skip
    commit = git_commit(layout.root)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    tags |= {f"model.{row}": ref["model"] for row, (_, ref) in generators.items()}
    run = client.create_run(experiment, run_name=f"evaluation-{summary['data_version'][:8]}", tags=tags)
    run_id = run.info.run_id
    for key, value in flatten_params(select_sections(params, ("evaluation",))).items():
        client.log_param(run_id, key, value[:6000])
    for setting, rows in summary["means"].items():
        for row, values in rows.items():
            for metric, value in values.items():
                if value is not None and math.isfinite(value):
                    client.log_metric(run_id, f"{setting}/{row}/{metric}", float(value))
    for check in summary["self_checks"]:
        client.log_metric(run_id, f"self_check/{check['name']}", float(check["share"]))
    for name in ("evaluation_clips", "evaluation_summary"):
        client.log_artifact(run_id, str(getattr(layout, name)))
    client.set_terminated(run_id, "FINISHED")
    for _, ref in generators.values():
        if "version" in ref:
            client.set_model_version_tag(ref["name"], str(ref["version"]), "evaluation_run", run_id)
    if "version" in evaluator:
        client.set_model_version_tag(evaluator["name"], str(evaluator["version"]), "last_evaluation_run", run_id)
    return experiment, run_id
