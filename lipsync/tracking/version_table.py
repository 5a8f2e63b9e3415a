"""The versions of a registered model as a table: aliases, benchmark figures, provenance,
decision. What ``lipsync models list/compare`` print and the promotion report shows.

Everything comes from version tags (:mod:`lipsync.tracking.version_records`), so a table of
many versions costs one registry query, no run reads; only :func:`params_diff` opens runs.
"""

from __future__ import annotations

import datetime

from mlflow import MlflowClient

from lipsync.tracking import version_records as rec
from lipsync.tracking.registry import aliases_by_version


def version_rows(client: MlflowClient, name: str) -> list[dict]:
    """One dict per version of ``name``, oldest first: version, aliases, created (UTC, minutes),
    run_id, figures ``{"<setting>/<metric>": float}``, provenance (data_version, params_hash,
    code_version, git_commit), evaluator, evaluation, lse_reliable, decision, summary, retention,
    rolled_back (when and why the champion was taken back from it, else empty)."""
    aliases = aliases_by_version(client, name)
    rows = []
    for found in client.search_model_versions(filter_string=f"name = '{name}'"):
        tags, version = found.tags, int(found.version)
        created = datetime.datetime.fromtimestamp(found.creation_timestamp / 1000, datetime.UTC)
        rows.append({
            "version": version, "aliases": aliases.get(version, []), "created": created.strftime("%Y-%m-%d %H:%M"),
            "run_id": found.run_id, "figures": rec.figures_from_tags(tags),
            **{key: tags.get(key, "") for key in rec.PROVENANCE},
            "evaluator": tags.get(rec.EVALUATOR, ""), "evaluation": tags.get(rec.EVALUATION, ""),
            "lse_reliable": tags.get(rec.LSE_RELIABLE, ""), "decision": tags.get(rec.DECISION, "not evaluated"),
            "summary": tags.get(rec.SUMMARY, ""), "retention": tags.get(rec.RETENTION, ""),
            "rolled_back": tags.get(rec.ROLLED_BACK, ""),
        })  # fmt: skip
    return sorted(rows, key=lambda row: row["version"])


def params_diff(client: MlflowClient, name: str, first: int, second: int) -> dict[str, tuple[str, str]]:
    """``{param: (value in first, value in second)}`` for the training params that differ
    (a param one run lacks shows as ``"-"``); evaluation constants (``eval.*``) left out."""
    params = []
    for version in (first, second):
        run_id = client.get_model_version(name, str(version)).run_id
        params.append({k: v for k, v in client.get_run(run_id).data.params.items() if not k.startswith("eval.")})
    keys = sorted(set(params[0]) | set(params[1]))
    return {k: (params[0].get(k, "-"), params[1].get(k, "-")) for k in keys if params[0].get(k) != params[1].get(k)}


def markdown(rows: list[dict], metrics: list[str], provenance: bool = True) -> str:
    """A Markdown table of ``rows`` with one column per metric; the champion's version is bold
    and its row says ``champion``."""
    header = ["version", "aliases", *metrics, "evaluator", "decision"]
    header += ["data", "params", "commit", "files"] if provenance else []
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        champion = "champion" in row["aliases"]
        cells = [f"**v{row['version']}**" if champion else f"v{row['version']}", ", ".join(row["aliases"]) or "-"]
        cells += [_figure(row["figures"].get(metric)) for metric in metrics]
        cells += [row["evaluator"] or "-", row["decision"] + (", rolled back" if row["rolled_back"] else "")]
        if provenance:
            cells += [row["data_version"][:8] or "-", row["params_hash"][:8] or "-", row["git_commit"][:8] or "-",
                      "deleted" if row["retention"] else "kept"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
