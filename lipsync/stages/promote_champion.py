"""The other side of a promotion: the champion's figures, comparable with the candidate's.

The champion's recorded figures (its version tags) are used as they are when the same
evaluator scored them on the same evaluation as the candidate; otherwise it is re-scored
(:mod:`lipsync.stages.promote_rescore`) and its tags are updated. A champion that cannot be
scored (files deleted, the version gone) is reported in a note, and the rule then refuses:
the ``evaluator`` verdict fails, missing figures never promote.
"""

from __future__ import annotations

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.registry import stage as registry_entry

FIRST = "first champion (floors)"


def champion_scored(params: Params, layout: Layout, client, stage: str, current: int | None, candidate,
                    summary: dict):  # fmt: skip
    """(the champion as :class:`Scored` or None when there is none, notes on how its figures were found)."""
    from mlflow.exceptions import MlflowException

    from lipsync.tracking import ModelRef
    from lipsync.tracking import version_records as rec
    from lipsync.tracking.promotion import LAST_CHAMPION

    name = registry_entry(stage).registered_model
    if current is None:
        return None, _why_no_champion(client, name, client.get_registered_model(name).tags.get(LAST_CHAMPION))
    label = f"{name} v{current}"
    try:
        found = client.get_model_version(name, str(current))
    except MlflowException:
        return None, [f"the champion alias names v{current}, which no longer exists: judged as the {FIRST}"]
    recorded = rec.scored_from_tags(label, found.tags)
    same = recorded is not None and candidate is not None and (recorded.evaluator, recorded.evaluation) == (
        candidate.evaluator, candidate.evaluation)  # fmt: skip
    if candidate is None or same:
        return recorded or _unscored(label), [f"{label}'s figures from its tags (same evaluator and evaluation)"]
    was = f"{recorded.evaluator} on evaluation {recorded.evaluation[:8]}" if recorded else "no evaluation"
    if found.tags.get(rec.RETENTION):
        return recorded or _unscored(label), [f"{label} cannot be re-scored: {found.tags[rec.RETENTION]}"]
    from lipsync.stages.promote_rescore import rescore
    from lipsync.tracking import Scored

    try:
        figures, run_id = rescore(params, layout, client, stage, ModelRef.from_dict(
            {"name": name, "version": current, "run_id": found.run_id}), summary)  # fmt: skip
    except (RuntimeError, OSError, ValueError, KeyError, MlflowException) as error:
        return recorded or _unscored(label), [f"re-scoring {label} failed: {error}"]
    scored = Scored(label, figures, candidate.evaluator, candidate.evaluation, candidate.lse_reliable,
                    candidate.failed_checks)  # fmt: skip
    for key, value in rec.scored_tags(scored, run_id).items():
        client.set_model_version_tag(name, str(current), key, value)
    return scored, [f"{label} re-scored by {candidate.evaluator} on evaluation {candidate.evaluation[:8]} "
                    f"(its figures were from {was}), MLflow run {run_id}"]  # fmt: skip


def decision_for(candidate, champion, summary: dict, row: str, params: Params, label: str):
    """The rule's decision, or a refusal naming the evaluation when the candidate was not scored."""
    from lipsync.tracking import decide
    from lipsync.tracking.promotion_rule import Decision, Verdict

    if candidate is None:
        scored = summary.get("models", {}).get(row, {}).get("model", "no version")
        detail = (f"evaluation: the evaluation summary scored {scored} as row {row!r}, not {label}: the candidate's "
                  "evaluation failed or is older than its training; rerun `lipsync run evaluation`")  # fmt: skip
        verdict = Verdict("evaluation", None, None, None, "", False, detail)
        return Decision(False, champion.label if champion else FIRST, (verdict,))
    rows = {}
    for setting, by_row in summary["means"].items():
        for name, values in by_row.items():
            rows.setdefault(name, {}).update({f"{setting}/{metric}": value for metric, value in values.items()})
    return decide(candidate, champion, rows, params.promote)


def _why_no_champion(client, name: str, last: str | None) -> list[str]:
    from mlflow.exceptions import MlflowException

    if not last:
        return [f"{name} has no champion yet: the candidate is judged as the {FIRST}"]
    try:
        client.get_model_version(name, last)
    except MlflowException:
        return [f"the last champion v{last} was deleted from the registry: the candidate is judged as the {FIRST}"]
    return [f"the champion alias was removed by hand (the last champion was v{last}): judged as the {FIRST}"]


def _unscored(label: str):
    from lipsync.tracking import Scored

    return Scored(label, {}, "no evaluator (not scored)", "-", False)
