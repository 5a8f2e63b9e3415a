"""The ``promote`` stage's report: ``promotion.md`` beside ``decision.json`` in ``paths.promote``.

Per model: the decision, every rule with the candidate's and the reference's value and the
threshold, notes (re-scoring, a missing champion, retention), and the table of its versions
(figures of the rule's metrics, evaluator, decision, provenance, files) with the champion in
bold. The ``benchmark`` stage, which runs next, ends its report with it (a file of its own
because each DVC stage owns its output folder).
"""

from __future__ import annotations

import time
from pathlib import Path

from lipsync.atomic import atomic_path
from lipsync.config import Params
from lipsync.layout import Layout


def rule_metrics(params: Params) -> list[str]:
    """The metrics the rule reads, primary first, each once."""
    rule = params.promote
    return list(dict.fromkeys([rule.primary.metric, *rule.guards, *rule.floors]))


def write_report(params: Params, layout: Layout, client, result: dict) -> Path:
    """Write ``promotion.md``; returns its path."""
    from lipsync.tracking import version_rows
    from lipsync.tracking.version_table import markdown

    rule = params.promote
    reliable = "reliable" if result["lse_reliable"] else "unreliable (the evaluator failed a self-check)"
    lines = [f"# Promotion decisions ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Evaluation `{result['evaluation']}` scored by {result['evaluator']}; its LSE figures are {reliable}.",
             f"Rule (`promote` in params.yaml): primary `{rule.primary.metric}` ({rule.primary.better} is better) must "
             f"beat the champion by more than {rule.primary.margin:g}; guards "
             + ", ".join(f"`{m}` within {g.tolerance:g}" for m, g in rule.guards.items())
             + "; floors " + ", ".join(f"`{m}` beats {f.than} by {f.margin:g}" for m, f in rule.floors.items())
             + f"; self-checks: {rule.self_checks}.", ""]  # fmt: skip
    for outcome in result["models"].values():
        name = outcome["model"]
        champion = f"v{outcome['champion']}" if outcome["champion"] else "none"
        lines += [f"## {name}: v{outcome['candidate']} {outcome['decision']} (champion: {champion})", "",
                  outcome["summary"], ""]  # fmt: skip
        if outcome.get("verdicts"):
            lines += ["| rule | metric | candidate | against | reference | result |", "|---|---|---|---|---|---|"]
            lines += [f"| {v['rule']} | {v['metric'] or '-'} | {_value(v['candidate'])} | {v['against'] or '-'} | "
                      f"{_value(v['reference'])} | {'passed' if v['passed'] else '**failed**'}: {_tail(v['detail'])} |"
                      for v in outcome["verdicts"]]  # fmt: skip
            lines.append("")
        lines += [f"- {note}" for note in outcome.get("notes", [])]
        lines += [f"- retention: v{p['version']} files deleted ({p['bytes'] / 1e6:.1f} MB)" for p in outcome.get(
            "pruned", [])]  # fmt: skip
        lines += ["", "### Versions", "", markdown(version_rows(client, name), rule_metrics(params)), ""]
    path = layout.promote / "promotion.md"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines))
    return path


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _tail(detail: str) -> str:
    """The part of a verdict after the values (``+0.12 better, needs more than +0.05``)."""
    return detail.rsplit(": ", 1)[-1].replace("|", "/")
