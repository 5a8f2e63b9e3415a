"""``lipsync models list|compare|promote|rollback``: the registry as a user reads and steers it.

Tables come from version tags (:mod:`lipsync.tracking.version_table`); manual promotion and
rollback go through the same locked, ordered alias moves as the ``promote`` stage
(:mod:`lipsync.tracking.promotion`), each recorded as a run of experiment ``promote`` and in
the version's tags. Each function returns the text to print; ValueError carries a message
for the user (an unknown model or version, nothing to roll back to).
"""

from __future__ import annotations

from lipsync.project import Project
from lipsync.stages.promote_report import rule_metrics


def _client(project: Project, name: str):
    from lipsync.tracking import open_tracking

    client = open_tracking(project.layout.mlruns)
    if not client.search_registered_models(f"name = '{name}'"):
        known = ", ".join(sorted(m.name for m in client.search_registered_models())) or "none yet"
        raise ValueError(f"no registered model {name!r} in {project.layout.mlruns} (registered: {known})")
    return client


def list_versions(project: Project, name: str) -> str:
    """Every version of ``name``: aliases, the rule's figures, evaluator, decision, provenance."""
    from lipsync.tracking import version_rows
    from lipsync.tracking.version_table import markdown

    rows = version_rows(_client(project, name), name)
    return f"{name}: {_aliases(rows)}\n\n" + markdown(rows, rule_metrics(project.params))


def compare(project: Project, name: str, versions: list[int] | None = None) -> str:
    """Versions (all, or the two given) with figures, data version, params that differ and decisions."""
    from lipsync.tracking import params_diff, version_rows
    from lipsync.tracking.version_table import markdown

    client = _client(project, name)
    rows = version_rows(client, name)
    aliases = _aliases(rows)
    if versions:
        missing = sorted(set(versions) - {row["version"] for row in rows})
        if missing:
            raise ValueError(f"{name} has no version(s) {missing} (versions: {[row['version'] for row in rows]})")
        rows = [row for row in rows if row["version"] in versions]
    lines = [f"{name}: {aliases}", "", markdown(rows, rule_metrics(project.params)), ""]
    for before, after in zip(rows, rows[1:], strict=False):
        diff = params_diff(client, name, before["version"], after["version"])
        changed = "; ".join(f"{k}: {a} -> {b}" for k, (a, b) in diff.items()) or "none"
        lines.append(f"v{before['version']} -> v{after['version']}: params that differ: {changed}")
    lines.append("")
    for row in rows:
        rolled_back = f"; {row['rolled_back']}" if row["rolled_back"] else ""
        lines.append(f"v{row['version']} decision: {row['summary'] or row['decision']}{rolled_back}")
    return "\n".join(lines)


def promote(project: Project, name: str, version: int, reason: str) -> str:
    from lipsync.tracking import promote_by_hand

    run = promote_by_hand(_client(project, name), project.layout.mlruns, name, version, reason)
    return f"{name} v{version} is the champion (promoted by hand: {reason}); recorded in MLflow run {run}"


def rollback(project: Project, name: str, reason: str) -> str:
    from lipsync.tracking import rollback as roll_back

    before, after, run = roll_back(_client(project, name), project.layout.mlruns, name, reason)
    return f"{name}: champion rolled back from v{before} to v{after} ({reason}); recorded in MLflow run {run}"


def _aliases(rows: list[dict]) -> str:
    named = [f"{alias} v{row['version']}" for row in rows for alias in row["aliases"]]
    return ", ".join(named) or "no champion yet"
