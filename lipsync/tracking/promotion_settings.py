"""The ``promote`` section of ``params.yaml``: the rule that decides whether a candidate version
becomes the ``champion``, and how many old versions keep their files.

Metrics are named ``<setting>/<metric>`` after the evaluation summary's means
(``cross_audio/lse_c``, ``reconstruction/mouth_ssim``): the row is the candidate's own
(``ours`` for ``lipsync-generator``, ``wav2lip_baseline`` for ``wav2lip-baseline``). ``better``
says which way is an improvement. Read by :mod:`lipsync.tracking.promotion_rule`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower"]
LSE_METRICS = ("lse_c", "lse_d")  # figures the evaluator's self-checks vouch for


@dataclass(frozen=True)
class PrimaryRule:
    """metric: ``<setting>/<metric>``; the candidate must beat the champion's value by more than
    ``margin`` (units of the metric) in the ``better`` direction."""

    metric: str
    better: Better
    margin: float


@dataclass(frozen=True)
class GuardRule:
    """The candidate may be worse than the champion by at most ``tolerance`` (units of the metric)."""

    better: Better
    tolerance: float


@dataclass(frozen=True)
class FloorRule:
    """An absolute floor: the candidate must beat ``than`` by more than ``margin`` (a negative
    margin lets it be that much worse). ``than``: a row of the same evaluation
    (``copy_reference``: the trivial generator) or a number."""

    better: Better
    than: str | float
    margin: float


@dataclass(frozen=True)
class RetentionSettings:
    """keep_last: versions (newest first) whose artifacts and checkpoints are kept besides the
    champion, the challenger and the previous champion (the rollback target); older versions
    lose their files (model, checkpoints) but keep their registry entry, run, metrics and tags."""

    keep_last: int

    def __post_init__(self) -> None:
        if self.keep_last < 1:
            raise ValueError(f"params key 'promote.retention.keep_last' must be >= 1, got {self.keep_last}")


@dataclass(frozen=True)
class PromoteSettings:
    """models: the training stages whose registered versions are promoted.
    primary: the metric a candidate must win on; guards: metrics it may not lose on by more than
    their tolerance; floors: bars every candidate clears, the whole test for the first champion.
    self_checks: ``all``: no promotion unless the evaluator's self-checks passed; ``lse``: only
    rules on LSE figures need them (other figures do not come from the evaluator). Either way a
    rule on an LSE figure whose self-checks failed fails as unreliable.
    retention: how many old versions keep their files."""

    models: tuple[str, ...]
    primary: PrimaryRule
    guards: dict[str, GuardRule]
    floors: dict[str, FloorRule]
    self_checks: Literal["all", "lse"]
    retention: RetentionSettings

    def __post_init__(self) -> None:
        for key in (self.primary.metric, *self.guards, *self.floors):
            if key.count("/") != 1 or not all(key.split("/")):
                raise ValueError(f"params key 'promote': metric {key!r} must be '<setting>/<metric>'")


def is_lse(metric: str) -> bool:
    """Whether ``<setting>/<metric>`` is an LSE figure (measured by the evaluator)."""
    return metric.split("/")[-1] in LSE_METRICS
