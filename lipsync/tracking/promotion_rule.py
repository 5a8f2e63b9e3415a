"""The promotion rule: does a candidate version beat the champion? Pure: tables of figures in,
a decision with one verdict per rule (both values, the threshold, passed or not) out.

    decision = decide(candidate, champion, rows, settings)   # champion None: the first one
    decision.promoted, decision.summary(), decision.reasons()

Rules, in order (every one is evaluated and reported, so a refusal names all that failed):

1. ``self_checks`` (``promote.self_checks: all``): the evaluator's self-checks passed.
2. ``evaluator``: candidate and champion were scored by the same evaluator on the same
   held-out clips (the ``promote`` stage re-scores the champion first, so this fails only
   when that was impossible).
3. ``primary``: the candidate beats the champion by more than the margin.
4. ``guard``: on each guard metric the candidate is not worse than the champion by more
   than the tolerance.
5. ``floor``: the candidate beats each floor (a row of its own evaluation, such as
   ``copy_reference``, or a number) by more than its margin. With no champion these are the
   whole test; with one they stop guards from letting quality drift down version by version.

A figure that is missing (None, NaN) fails its rule; an LSE figure fails as unreliable when
the evaluator's self-checks failed. Missing or unreliable figures never promote.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from lipsync.tracking.promotion_settings import Better, PromoteSettings, is_lse


@dataclass(frozen=True)
class Scored:
    """One version's figures from one evaluation.

    label: ``"lipsync-generator v4"``; figures: ``{"<setting>/<metric>": value or None}``;
    evaluator: who measured the LSE figures (``"syncnet-evaluator v2"``); evaluation: the
    evaluation's version (held-out clips and evaluation params, a hash); lse_reliable: the
    evaluator's self-checks all passed; failed_checks: names of those that failed.
    """

    label: str
    figures: dict[str, float | None]
    evaluator: str
    evaluation: str
    lse_reliable: bool
    failed_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """rule: primary, guard, floor, self_checks or evaluator; against: what the candidate was
    compared with (``champion v3``, ``copy_reference``, a number); detail: one line, both values."""

    rule: str
    metric: str | None
    candidate: float | None
    reference: float | None
    against: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Decision:
    """promoted: every verdict passed; compared_with: the champion's label or ``first champion (floors)``."""

    promoted: bool
    compared_with: str
    verdicts: tuple[Verdict, ...]

    @property
    def failed(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.passed)

    def summary(self) -> str:
        """One line: ``promoted over lipsync-generator v3`` or ``not promoted: <first failed rule>``."""
        if self.promoted:
            return f"promoted over {self.compared_with} ({len(self.verdicts)} rules passed)"
        first = self.failed[0]
        more = f" (+{len(self.failed) - 1} more failed)" if len(self.failed) > 1 else ""
        return f"not promoted against {self.compared_with}: {first.detail}{more}"

    def reasons(self) -> list[str]:
        """Every verdict as ``passed|FAILED <detail>``, in rule order."""
        return [f"{'passed' if v.passed else 'FAILED'} {v.detail}" for v in self.verdicts]

    def to_dict(self) -> dict:
        return {"promoted": self.promoted, "compared_with": self.compared_with,
                "summary": self.summary(), "verdicts": [asdict(v) for v in self.verdicts]}  # fmt: skip


def decide(candidate: Scored, champion: Scored | None, rows: dict[str, dict], settings: PromoteSettings) -> Decision:
    """The decision for ``candidate`` against ``champion`` (None: no champion yet).

    rows: ``{row: {"<setting>/<metric>": value}}`` of the candidate's own evaluation, for floors
    that name a row (``copy_reference``).
    """
    verdicts: list[Verdict] = []
    if settings.self_checks == "all":
        passed = candidate.lse_reliable
        failed = ", ".join(candidate.failed_checks) or "none were run"
        detail = "evaluator self-checks: all passed" if passed else f"evaluator self-checks failed: {failed}"
        verdicts.append(Verdict("self_checks", None, None, None, "", passed, detail))
    if champion is not None:
        same = (champion.evaluator, champion.evaluation) == (candidate.evaluator, candidate.evaluation)
        detail = (f"evaluator: {candidate.label} scored by {candidate.evaluator} on evaluation {candidate.evaluation}, "
                  f"{champion.label} by {champion.evaluator} on evaluation {champion.evaluation}")  # fmt: skip
        verdicts.append(Verdict("evaluator", None, None, None, champion.label, same, detail))
        primary = settings.primary
        verdicts.append(_compare("primary", primary.metric, primary.better, candidate, champion.figures.get(
            primary.metric), champion.label, primary.margin, champion.lse_reliable))  # fmt: skip
        for metric, guard in settings.guards.items():
            verdicts.append(_compare("guard", metric, guard.better, candidate, champion.figures.get(metric),
                                     champion.label, -guard.tolerance, champion.lse_reliable))  # fmt: skip
    for metric, floor in settings.floors.items():
        if isinstance(floor.than, str):
            reference, against = rows.get(floor.than, {}).get(metric), floor.than
        else:
            reference, against = float(floor.than), f"{floor.than:g}"
        verdicts.append(_compare("floor", metric, floor.better, candidate, reference, against, floor.margin, True))
    compared_with = champion.label if champion is not None else "first champion (floors)"
    return Decision(all(v.passed for v in verdicts), compared_with, tuple(verdicts))


def improvement(candidate: float, reference: float, better: Better) -> float:
    """How much better ``candidate`` is than ``reference`` (negative: worse), in the metric's units."""
    return candidate - reference if better == "higher" else reference - candidate


def _compare(rule: str, metric: str, better: Better, candidate: Scored, reference: float | None, against: str,
             margin: float, reference_reliable: bool) -> Verdict:  # fmt: skip
    """Passes when the candidate is better than ``reference`` by more than ``margin`` (a negative
    margin is a tolerance: it may be that much worse, inclusive)."""
    value = candidate.figures.get(metric)
    head = f"{rule} {metric} ({better} is better): candidate {_text(value)} vs {against} {_text(reference)}"
    if _missing(value) or _missing(reference):
        which = "candidate's" if _missing(value) else f"{against}'s"
        return Verdict(rule, metric, _plain(value), _plain(reference), against, False, f"{head}: the {which} figure "
                       "is missing, and missing figures never promote")  # fmt: skip
    if is_lse(metric) and not (candidate.lse_reliable and reference_reliable):
        return Verdict(rule, metric, value, reference, against, False, f"{head}: unreliable, the evaluator failed its "
                       f"self-checks ({', '.join(candidate.failed_checks) or 'not run'}), and LSE figures it cannot "
                       "vouch for never promote")  # fmt: skip
    gain = improvement(value, reference, better)
    passed = gain >= margin if margin < 0 else gain > margin
    need = f"at least {margin:+.4g}" if margin < 0 else f"more than {margin:+.4g}"
    return Verdict(rule, metric, value, reference, against, passed, f"{head}: {gain:+.4g} better, needs {need}")


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def _plain(value: float | None) -> float | None:
    return None if _missing(value) else value


def _text(value: float | None) -> str:
    return "missing" if _missing(value) else f"{value:.4g}"
