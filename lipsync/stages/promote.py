"""Stage ``promote``: is the version each training stage just recorded the new ``champion``?

For each stage in ``promote.models`` (``generator`` -> ``lipsync-generator``, ``wav2lip_baseline``
-> ``wav2lip-baseline``) the candidate is the version its ``result.json`` names, by number; its
figures are its row of the ``evaluation`` summary. Under the registry lock (one promotion at a
time), the champion is read, re-scored when its figures came from another evaluation
(:mod:`lipsync.stages.promote_rescore`), and the rule of ``promote`` in params decides
(:func:`lipsync.tracking.decide`). Then, in this order: an MLflow run in experiment
``promote`` (rule params, both values per rule, reasons), every tag of the candidate (figures,
evaluator, evaluation, provenance, decision), ``challenger`` -> candidate, and only when it
won, ``champion`` -> candidate. Last, the retention policy deletes old versions' files.

Outputs (``paths.promote``): ``decision.json`` and ``promotion.md`` (decisions, every rule
with both values, the versions table with the champion marked).
"""

from __future__ import annotations

import json
import logging
import time

from lipsync.atomic import write_json
from lipsync.config import Params, section_hash
from lipsync.layout import Layout
from lipsync.stages.promote_report import write_report
from lipsync.stages.registry import stage as registry_entry
from lipsync.stages.training_stage import read_result
from lipsync.stages.writer_lock import writes_data

log = logging.getLogger("lipsync")
STAGE = "promote"
EVALUATION_ROWS = {"generator": "ours", "wav2lip_baseline": "wav2lip_baseline"}  # stage -> its evaluation row


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    from mlflow.exceptions import MlflowException

    from lipsync.tracking import open_tracking

    if not layout.evaluation_summary.exists():
        raise FileNotFoundError(f"promote: {layout.evaluation_summary} is missing: run `lipsync run evaluation` first")
    summary = json.loads(layout.evaluation_summary.read_text())
    client = open_tracking(layout.mlruns)
    unknown = [s for s in params.promote.models if s not in EVALUATION_ROWS]
    if unknown:
        raise KeyError(f"params key 'promote.models' names {unknown}; promotable stages: {', '.join(EVALUATION_ROWS)}")
    started = time.perf_counter()
    try:
        models = {stage: promote_model(params, layout, client, summary, stage) for stage in params.promote.models}
    except MlflowException as error:
        raise RuntimeError(
            f"promote: the MLflow store {layout.mlruns} failed ({error.message}); a champion alias moves only as "
            "the last step of its decision, so the failing model's champion is where it was"
        ) from error
    pruned = prune_inputs(params, layout, client)
    result = {"stage": STAGE, "models": models, "pruned_inputs": pruned, "evaluation": summary["data_version"],
              "evaluator": summary["evaluator"]["model"], "lse_reliable": summary["lse_reliable"],
              "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    result["report"] = str(write_report(params, layout, client, result))
    write_json(layout.promote_decision, result)
    return result


def promote_model(params: Params, layout: Layout, client, summary: dict, stage: str) -> dict:
    """Decide and record the promotion of ``stage``'s candidate; returns what happened (JSON-able)."""
    from lipsync.tracking import ModelRef, champion_of, commit_decision, registered_version_exists, registry_lock
    from lipsync.tracking import version_records as rec

    name, row = registry_entry(stage).registered_model, EVALUATION_ROWS[stage]
    produced = read_result(layout, stage, STAGE)
    ref = ModelRef.from_dict(produced["model"])
    label = f"{name} v{ref.version}"
    if not registered_version_exists(client, produced["model"]):
        raise RuntimeError(f"promote: {label} (run {ref.run_id}), which {layout.model_result(stage)} names, is not in "
                           f"the registry at {layout.mlruns}: the store was reset or replaced; rerun the training "
                           "stages (nothing was promoted)")  # fmt: skip
    candidate = candidate_scored(summary, row, ref, label)
    with registry_lock(layout.mlruns, f"promote {label}"):
        current = champion_of(client, name)
        if current == ref.version:  # nothing new was trained: the champion's figures follow the latest evaluation
            tags = rec.scored_tags(candidate, _run(summary)) if candidate is not None else {}
            commit_decision(client, layout.mlruns, name, ref.version, tags, False)
            return {"model": name, "candidate": ref.version, "champion": current, "promoted": False,
                    "decision": "unchanged", "summary": f"{label} is already the champion", "reasons": []}  # fmt: skip
        from lipsync.stages.promote_champion import champion_scored, decision_for

        champion, notes = champion_scored(params, layout, client, stage, current, candidate, summary)
        decision = decision_for(candidate, champion, summary, row, params, label)
        tags = _tags(client, produced, candidate, summary, decision)
        run_id = _log(client, layout, name, ref.version, decision, current, params, notes)
        tags |= {rec.RUN: run_id}
        commit_decision(client, layout.mlruns, name, ref.version, tags, decision.promoted)
    pruned = _retention(client, name, params.promote.retention.keep_last, {ref.version})
    outcome = "promoted" if decision.promoted else "not promoted"
    log.info("promote: %s %s: %s", label, outcome, decision.summary())
    return {"model": name, "candidate": ref.version, "champion": ref.version if decision.promoted else current,
            "previous_champion": current, "promoted": decision.promoted, "decision": outcome,
            "summary": decision.summary(), "reasons": decision.reasons(), "notes": notes,
            "verdicts": decision.to_dict()["verdicts"], "mlflow_run_id": run_id,
            "mlflow_experiment_id": client.get_run(run_id).info.experiment_id,
            "pruned": pruned}  # fmt: skip


def prune_inputs(params: Params, layout: Layout, client) -> dict[str, list[dict]]:
    """Retention for the other registered models (the expert, the evaluator): each keeps the
    version its stage's result.json names and the newest ``keep_last``; they have no champion."""
    from lipsync.stages.registry import stages_of

    out = {}
    for entry in stages_of(kind="training"):
        if entry.name in params.promote.models or not layout.model_result(entry.name).exists():
            continue
        current = read_result(layout, entry.name, STAGE)["model"]["version"]
        out[entry.registered_model] = _retention(client, entry.registered_model, params.promote.retention.keep_last,
                                                 {current})  # fmt: skip
    return out


def _retention(client, name: str, keep_last: int, protected: set[int]) -> list[dict]:
    """Retention after a decision is committed: a failure is logged, never undoes the decision."""
    from mlflow.exceptions import MlflowException

    from lipsync.tracking import apply_retention

    try:
        return apply_retention(client, name, keep_last, protected)
    except (MlflowException, OSError, ValueError) as error:
        log.warning("promote: retention of %s failed (%s); the files stay until the next promotion", name, error)
        return []


def candidate_scored(summary: dict, row: str, ref, label: str):
    """The candidate's figures as :class:`Scored`, or None when the evaluation did not score this
    very version (it failed, or it is older than the training)."""
    from lipsync.tracking import Scored

    scored = summary.get("models", {}).get(row, {})
    if scored.get("version") != ref.version or scored.get("run_id") != ref.run_id:
        return None
    figures = {f"{setting}/{metric}": value for setting, rows in summary["means"].items()
               for metric, value in rows.get(row, {}).items()}  # fmt: skip
    failed = tuple(check["name"] for check in summary["self_checks"] if not check["passed"])
    return Scored(label, figures, summary["evaluator"]["model"], summary["data_version"], summary["lse_reliable"],
                  failed)  # fmt: skip


def _tags(client, produced: dict, candidate, summary: dict, decision) -> dict[str, str]:
    from lipsync.tracking import params_hash
    from lipsync.tracking import version_records as rec

    run_params = client.get_run(produced["model"]["run_id"]).data.params
    tags = {"params_hash": produced.get("params_hash") or params_hash(run_params),
            "code_version": produced.get("code_version", ""), "data_version": produced["data_version"],
            rec.DECISION: "promoted" if decision.promoted else "not promoted", rec.SUMMARY: decision.summary(),
            rec.REASONS: "\n".join(decision.reasons()), rec.COMPARED_WITH: decision.compared_with,
            rec.TIME: time.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
    if candidate is not None:
        tags |= rec.scored_tags(candidate, _run(summary))
    return {key: value for key, value in tags.items() if value}


def _log(client, layout: Layout, name: str, version: int, decision, champion: int | None, params: Params,
         notes: list[str]) -> str:  # fmt: skip
    from lipsync.config import select_sections
    from lipsync.tracking import flatten_params
    from lipsync.tracking.promotion import log_event

    metrics = {"promoted": float(decision.promoted)}
    for verdict in decision.verdicts:
        if verdict.metric and verdict.candidate is not None:
            metrics[f"candidate/{verdict.metric}"] = verdict.candidate
        if verdict.metric and verdict.reference is not None:
            metrics[f"{verdict.rule}_reference/{verdict.metric}"] = verdict.reference
    rule = flatten_params(select_sections(params, ("promote",)))
    rule["promote.rule_hash"] = section_hash(params.promote)
    return log_event(client, layout.mlruns, name, version, "promotion", decision.summary(), champion,
                     [*decision.reasons(), *(f"note: {note}" for note in notes)], metrics, rule)  # fmt: skip


def _run(summary: dict) -> str | None:
    return summary.get("mlflow_run_id")
