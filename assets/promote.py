"""Asset ``promote`` (group ``evaluation``) and its check ``candidate_promoted``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.metadata import mlflow_ui_url
from assets.resources import LipsyncProject
from lipsync.stages import promote as stage
from lipsync.stages import registry
from lipsync.tracking.ui_links import model_version_url, run_url

CHECK = "candidate_promoted"
ENTRY = registry.stage(stage.STAGE)


def decision_metadata(outcome: dict, mlflow_ui: str) -> dict:
    """One model's decision: candidate and champion versions (numbers), the outcome, every rule
    with both values, links to the promotion's MLflow run and the champion's version page."""
    name = outcome["model"]
    meta = {
        f"{name}/candidate": dg.MetadataValue.int(int(outcome["candidate"])),
        f"{name}/champion": dg.MetadataValue.int(int(outcome["champion"] or 0)),
        f"{name}/promoted": dg.MetadataValue.bool(bool(outcome["promoted"])),
        f"{name}/decision": dg.MetadataValue.text(outcome["summary"]),
        f"{name}/reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in outcome["reasons"]) or "- unchanged"),
    }
    if outcome.get("mlflow_run_id"):
        link = run_url(mlflow_ui, outcome["mlflow_experiment_id"], outcome["mlflow_run_id"])
        meta[f"{name}/mlflow_run"] = dg.MetadataValue.url(link)
    if outcome["champion"]:
        meta[f"{name}/champion_version"] = dg.MetadataValue.url(model_version_url(mlflow_ui, name, outcome["champion"]))
    return meta


@dg.asset(name=ENTRY.name, group_name=ENTRY.group, deps=list(ENTRY.upstream), kinds={"mlflow", "dvc"}, owners=OWNERS,
          code_version="1", pool=WRITER_POOL, check_specs=[dg.AssetCheckSpec(CHECK, asset=ENTRY.name, description=(
              "Each candidate won against its champion (WARN when the rule kept the champion: the reasons say why)."
          ))])  # fmt: skip
def promote(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Compares each version the training stages just registered (`lipsync-generator`, `wav2lip-baseline`)
    with its `champion` alias by the `promote` rule in params.yaml (primary metric with a margin, guards,
    floors, the evaluator's self-checks, the same evaluator: the champion is re-scored when needed). The
    candidate becomes `challenger`, and `champion` only when it wins; the decision and every rule with both
    values go to its version tags, an MLflow run and data/reports/promotion/promotion.md. Then old versions'
    files are pruned (retention)."""
    project = lipsync.open()
    result = stage.run(project.params, project.layout)
    ui = mlflow_ui_url(project.params)
    metadata = {"report": dg.MetadataValue.path(result["report"]), "evaluator": dg.MetadataValue.text(
        result["evaluator"]), "lse_reliable": dg.MetadataValue.bool(bool(result["lse_reliable"]))}  # fmt: skip
    for outcome in result["models"].values():
        context.log.info(f"promote: {outcome['model']} {outcome['summary']}")
        metadata |= decision_metadata(outcome, ui)
    won = all(o["promoted"] or o["decision"] == "unchanged" for o in result["models"].values())
    lines = "; ".join(f"{o['model']}: {o['summary']}" for o in result["models"].values())
    check = dg.AssetCheckResult(check_name=CHECK, passed=won, severity=dg.AssetCheckSeverity.WARN, description=lines,
                                metadata={o["model"]: o["decision"] for o in result["models"].values()})  # fmt: skip
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
