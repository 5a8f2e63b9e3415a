"""Stop a run whose loss is NaN/infinite or explodes far above its running mean.

Each loss term keeps an exponential moving average spanning ``window`` steps (weight
2 / (window + 1), the usual EMA span). A value is refused when it is not finite, or when
at least ``window`` values were seen and it exceeds ``factor`` x the running mean. A
refused value does not enter the mean. The state is saved in checkpoints so a resumed
run judges exactly as the uninterrupted one.
"""

from __future__ import annotations

import math


class TrainingDiverged(RuntimeError):
    """The loss became NaN/infinite or exploded; the last good checkpoint is kept."""


class LossGuard:
    def __init__(self, factor: float, window: int) -> None:
        self.factor, self.window = factor, window
        self.means: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def problem(self, name: str, value: float) -> str | None:
        """None when ``value`` is acceptable (and then it updates the mean), else why not."""
        if not math.isfinite(value):
            return f"loss '{name}' is {value}"
        mean, count = self.means.get(name), self.counts.get(name, 0)
        if mean is not None and count >= self.window and value > self.factor * mean:
            return f"loss '{name}' = {value:.6g} exceeds {self.factor:g} x its running mean {mean:.6g}"
        weight = 2.0 / (self.window + 1)
        self.means[name] = value if mean is None else (1.0 - weight) * mean + weight * value
        self.counts[name] = count + 1
        return None

    def state_dict(self) -> dict:
        return {"means": dict(self.means), "counts": dict(self.counts)}

    def load_state_dict(self, state: dict) -> None:
        self.means, self.counts = dict(state["means"]), dict(state["counts"])
