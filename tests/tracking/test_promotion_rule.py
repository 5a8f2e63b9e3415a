"""The promotion rule on tables of metrics: better, worse on the primary, worse on a guard, a
missing metric, an unreliable self-check, different evaluators, the first candidate under and
over the floors; every verdict names its rule and both values."""

from __future__ import annotations

import dataclasses
import math

import pytest

from lipsync.tracking.promotion_rule import Scored, decide
from lipsync.tracking.promotion_settings import PromoteSettings
from tests.builders import real_section

RULE = real_section(PromoteSettings, "promote")  # primary cross_audio/lse_c, margin 0.05; guards; floors vs copy
CHAMPION = {"cross_audio/lse_c": 2.00, "reconstruction/mouth_ssim": 0.60, "reconstruction/lmd": 0.030,
            "cross_audio/identity": 0.10, "cross_audio/jitter_ratio": 1.10}  # fmt: skip
ROWS = {"copy_reference": {"cross_audio/lse_c": 1.00, "reconstruction/lmd": 0.040}}


def scored(label: str, changes: dict | None = None, **fields) -> Scored:
    values = {"evaluator": "syncnet-evaluator v2", "evaluation": "abc", "lse_reliable": True} | fields
    return Scored(label, CHAMPION | (changes or {}), **values)


def verdict(decision, rule: str, metric: str | None = None):
    return next(v for v in decision.verdicts if v.rule == rule and v.metric == metric)


def test_a_better_candidate_is_promoted_with_every_rule_reported():
    decision = decide(scored("g v4", {"cross_audio/lse_c": 2.10}), scored("g v3"), ROWS, RULE)
    assert decision.promoted and decision.compared_with == "g v3"
    primary = verdict(decision, "primary", "cross_audio/lse_c")
    assert (primary.candidate, primary.reference, primary.passed) == (2.10, 2.00, True)
    assert "candidate 2.1 vs g v3 2" in primary.detail and "+0.1 better, needs more than +0.05" in primary.detail
    rules = [v.rule for v in decision.verdicts]
    assert rules == ["self_checks", "evaluator", "primary", "guard", "guard", "guard", "guard", "floor", "floor"]
    assert decision.summary() == "promoted over g v3 (9 rules passed)"


def test_a_win_within_the_margin_is_not_enough():
    decision = decide(scored("g v4", {"cross_audio/lse_c": 2.04}), scored("g v3"), ROWS, RULE)
    assert not decision.promoted
    assert [v.rule for v in decision.failed] == ["primary"]
    assert decision.summary().startswith("not promoted against g v3: primary cross_audio/lse_c (higher is better)")


def test_worse_on_the_primary_is_refused():
    decision = decide(scored("g v4", {"cross_audio/lse_c": 1.90}), scored("g v3"), ROWS, RULE)
    assert not decision.promoted and "-0.1 better" in verdict(decision, "primary", "cross_audio/lse_c").detail


def test_worse_on_a_guard_beyond_its_tolerance_is_refused_within_it_is_not():
    better = {"cross_audio/lse_c": 2.20}
    within = decide(scored("g v4", better | {"reconstruction/mouth_ssim": 0.591}), scored("g v3"), ROWS, RULE)
    assert within.promoted  # 0.009 worse, tolerance 0.01
    beyond = decide(scored("g v4", better | {"reconstruction/mouth_ssim": 0.58}), scored("g v3"), ROWS, RULE)
    guard = verdict(beyond, "guard", "reconstruction/mouth_ssim")
    assert not beyond.promoted and [v.metric for v in beyond.failed] == ["reconstruction/mouth_ssim"]
    assert (guard.candidate, guard.reference) == (0.58, 0.60) and "needs at least -0.01" in guard.detail
    lower = decide(scored("g v4", better | {"reconstruction/lmd": 0.036}), scored("g v3"), ROWS, RULE)
    assert [v.metric for v in lower.failed] == ["reconstruction/lmd"]  # lower is better: 0.006 worse > 0.005


@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_missing_figure_never_promotes(missing):
    candidate = scored("g v4", {"cross_audio/lse_c": 2.5, "cross_audio/identity": missing})
    decision = decide(candidate, scored("g v3"), ROWS, RULE)
    failed = decision.failed
    assert not decision.promoted and [v.metric for v in failed] == ["cross_audio/identity"]
    assert "the candidate's figure is missing" in failed[0].detail and failed[0].candidate is None
    champion = scored("g v3", {"cross_audio/lse_c": None})
    assert "g v3's figure is missing" in decide(scored("g v4"), champion, ROWS, RULE).failed[0].detail


def test_an_unreliable_evaluator_never_promotes_on_lse():
    candidate = scored("g v4", {"cross_audio/lse_c": 3.0}, lse_reliable=False, failed_checks=("mismatched_audio",))
    decision = decide(candidate, scored("g v3", lse_reliable=False), ROWS, RULE)
    assert not decision.promoted
    assert verdict(decision, "self_checks").detail == "evaluator self-checks failed: mismatched_audio"
    primary = verdict(decision, "primary", "cross_audio/lse_c")
    assert not primary.passed
    assert "unreliable, the evaluator failed its self-checks (mismatched_audio)" in primary.detail
    assert not verdict(decision, "floor", "cross_audio/lse_c").passed
    # self_checks: lse: a rule on figures the evaluator does not measure still decides
    lse_only = dataclasses.replace(RULE, self_checks="lse", primary=dataclasses.replace(
        RULE.primary, metric="reconstruction/lmd", better="lower", margin=0.001), floors={})  # fmt: skip
    other = decide(scored("g v4", {"reconstruction/lmd": 0.025}, lse_reliable=False), scored("g v3"), ROWS, lse_only)
    assert other.promoted and [v.rule for v in other.verdicts][0] == "evaluator"


def test_figures_from_another_evaluator_are_not_compared():
    decision = decide(scored("g v4", {"cross_audio/lse_c": 3.0}), scored("g v3", evaluator="syncnet-evaluator v1"),
                      ROWS, RULE)  # fmt: skip
    failed = decision.failed
    assert not decision.promoted and [v.rule for v in failed] == ["evaluator"]
    assert "scored by syncnet-evaluator v2 on evaluation abc" in failed[0].detail
    assert "g v3 by syncnet-evaluator v1" in failed[0].detail
    other_clips = decide(scored("g v4", {"cross_audio/lse_c": 3.0}), scored("g v3", evaluation="def"), ROWS, RULE)
    assert [v.rule for v in other_clips.failed] == ["evaluator"]


def test_the_first_candidate_needs_the_floors():
    over = decide(scored("g v1", {"cross_audio/lse_c": 1.10, "reconstruction/lmd": 0.035}), None, ROWS, RULE)
    assert over.promoted and over.compared_with == "first champion (floors)"
    assert [v.rule for v in over.verdicts] == ["self_checks", "floor", "floor"]
    floor = verdict(over, "floor", "cross_audio/lse_c")
    assert (floor.against, floor.reference) == ("copy_reference", 1.00)
    under = decide(scored("g v1", {"cross_audio/lse_c": 1.02, "reconstruction/lmd": 0.035}), None, ROWS, RULE)
    assert not under.promoted and [v.metric for v in under.failed] == ["cross_audio/lse_c"]
    assert "vs copy_reference 1: +0.02 better, needs more than +0.05" in under.failed[0].detail
    copy = decide(scored("g v1", ROWS["copy_reference"]), None, ROWS, RULE)  # a generator that copies the reference
    assert not copy.promoted and {v.metric for v in copy.failed} == {"cross_audio/lse_c", "reconstruction/lmd"}
    numeric = dataclasses.replace(RULE, floors={"cross_audio/lse_c": dataclasses.replace(
        RULE.floors["cross_audio/lse_c"], than=1.5)})  # fmt: skip
    assert not decide(scored("g v1", {"cross_audio/lse_c": 1.52}), None, ROWS, numeric).promoted
    assert verdict(decide(scored("g v1", {"cross_audio/lse_c": 1.6}), None, ROWS, numeric), "floor",
                   "cross_audio/lse_c").against == "1.5"  # fmt: skip


def test_floors_also_bind_later_candidates():
    champion = scored("g v3", {"cross_audio/lse_c": 1.00})  # a champion that drifted down to the copy's level
    decision = decide(scored("g v4", {"cross_audio/lse_c": 1.04}), champion, ROWS | {}, RULE)
    assert [v.rule for v in decision.failed] == ["primary", "floor"]


def test_the_decision_serialises_with_reasons_in_rule_order():
    decision = decide(scored("g v4", {"cross_audio/lse_c": 1.0}), scored("g v3"), ROWS, RULE)
    data = decision.to_dict()
    assert data["promoted"] is False and data["summary"].endswith("(+1 more failed)")
    assert decision.reasons()[0] == "passed evaluator self-checks: all passed"
    assert decision.reasons()[2].startswith("FAILED primary cross_audio/lse_c")
