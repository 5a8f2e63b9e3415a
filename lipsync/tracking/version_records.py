"""What a registered version records about its benchmark and its promotion, as version tags.

So the registry page and ``lipsync models compare`` show a version's figures without opening
runs, every evaluated version carries:

- ``benchmark.<setting>.<metric>``: its mean figures on the held-out clips (``benchmark.cross_audio.lse_c``);
- ``benchmark.evaluator`` (who measured the LSE figures), ``benchmark.evaluation`` (the
  evaluation's version: held-out clips and evaluation params), ``benchmark.lse_reliable``,
  ``benchmark.failed_checks``, ``evaluation_run`` (the MLflow run holding the same figures);
- ``data_version`` (shards), ``params_hash``, ``code_version``, ``git_commit`` (provenance);
- ``promotion.decision`` / ``.summary`` / ``.reasons`` / ``.compared_with`` / ``.run`` /
  ``.time`` and, once it was champion, ``promotion.previous_champion`` (the rollback target);
- ``retention`` once its files were deleted.
"""

from __future__ import annotations

import math

from lipsync.tracking.promotion_rule import Scored

FIGURE_PREFIX = "benchmark."
EVALUATOR, EVALUATION, LSE_RELIABLE, FAILED_CHECKS = (
    "benchmark.evaluator", "benchmark.evaluation", "benchmark.lse_reliable", "benchmark.failed_checks")  # fmt: skip
DECISION, SUMMARY, REASONS, COMPARED_WITH, RUN, TIME = (
    "promotion.decision", "promotion.summary", "promotion.reasons", "promotion.compared_with", "promotion.run",
    "promotion.time")  # fmt: skip
PREVIOUS_CHAMPION, ROLLED_BACK, RESTORED = "promotion.previous_champion", "promotion.rolled_back", "promotion.restored"
RETENTION = "retention"
PROVENANCE = ("data_version", "params_hash", "code_version", "git_commit")
# A champion never lacks these: the alias moves only after they are written (the race test checks it).
COMPLETE = (EVALUATOR, EVALUATION, LSE_RELIABLE, DECISION, SUMMARY, REASONS, RUN, "data_version", "params_hash")
TAG_LIMIT = 7900  # MLflow keeps at most 8000 characters of a tag value


def figure_tags(figures: dict[str, float | None]) -> dict[str, str]:
    """``{"cross_audio/lse_c": 5.2}`` -> ``{"benchmark.cross_audio.lse_c": "5.2"}`` (missing figures left out)."""
    return {
        FIGURE_PREFIX + key.replace("/", "."): f"{value:.6g}"
        for key, value in figures.items()
        if value is not None and math.isfinite(value)
    }


def figures_from_tags(tags: dict[str, str]) -> dict[str, float]:
    """Inverse of :func:`figure_tags`."""
    out = {}
    for key, value in tags.items():
        parts = key.split(".")
        if key.startswith(FIGURE_PREFIX) and len(parts) == 3:
            try:
                out[f"{parts[1]}/{parts[2]}"] = float(value)
            except ValueError:
                continue
    return out


def scored_from_tags(label: str, tags: dict[str, str]) -> Scored | None:
    """A version's recorded benchmark as :class:`Scored`, or None when it was never benchmarked."""
    if EVALUATOR not in tags or EVALUATION not in tags:
        return None
    failed = tuple(filter(None, tags.get(FAILED_CHECKS, "").split(",")))
    reliable = tags.get(LSE_RELIABLE) == "true"
    return Scored(label, figures_from_tags(tags), tags[EVALUATOR], tags[EVALUATION], reliable, failed)


def scored_tags(scored: Scored, evaluation_run: str | None) -> dict[str, str]:
    """The benchmark tags of ``scored`` (figures, evaluator, evaluation, reliability, the run)."""
    tags = figure_tags(scored.figures) | {
        EVALUATOR: scored.evaluator,
        EVALUATION: scored.evaluation,
        LSE_RELIABLE: str(scored.lse_reliable).lower(),
        FAILED_CHECKS: ",".join(scored.failed_checks),
    }
    return tags | ({"evaluation_run": evaluation_run} if evaluation_run else {})


def missing_for_champion(tags: dict[str, str]) -> list[str]:
    """Tags a champion must carry that ``tags`` lacks (empty when complete)."""
    return [key for key in COMPLETE if not tags.get(key)]


def clip(text: str) -> str:
    """``text`` cut to what a tag value holds, saying so when it was cut."""
    return text if len(text) <= TAG_LIMIT else text[: TAG_LIMIT - 20] + " ... (cut)"
