"""The run's two log files: ``train.log`` (one line per event) and ``metrics.json``.

``train.log`` is appended to, so a resumed run continues the story of the first attempt;
``metrics.json`` holds ``{'train': [...], 'eval': [...], 'summary': {...}}`` and is rewritten
atomically at every event. On resume, entries after the resumed step are dropped (those
steps are trained again). Only rank 0 writes; other ranks hold a disabled log.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from lipsync.atomic import write_json


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace(" ", "_")


class TrainLog:
    """log_path: ``logs/training/<experiment>/train.log``; metrics_path: its ``metrics.json``."""

    def __init__(self, log_path: Path, metrics_path: Path, enabled: bool, resume_step: int) -> None:
        self.log_path, self.metrics_path, self.enabled = Path(log_path), Path(metrics_path), enabled
        self.record: dict = {"train": [], "eval": [], "summary": {}}
        if enabled:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            if resume_step and self.metrics_path.is_file():
                old = json.loads(self.metrics_path.read_text())
                for kind in ("train", "eval"):
                    self.record[kind] = [e for e in old.get(kind, []) if e["step"] <= resume_step]

    def event(self, kind: str, step: int, **fields: object) -> None:
        """Append ``<UTC time> step=<step> <kind> key=value ...`` to train.log."""
        if not self.enabled:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        text = " ".join(f"{k}={_format(v)}" for k, v in fields.items())
        with self.log_path.open("a") as stream:
            stream.write(f"{stamp} step={step} {kind} {text}".rstrip() + "\n")

    def metrics(self, kind: str, step: int, values: dict[str, float]) -> None:
        """Record one 'train' or 'eval' entry in metrics.json and log it as an event."""
        if not self.enabled:
            return
        self.record[kind].append({"step": step, **values})
        write_json(self.metrics_path, self.record)
        self.event(kind, step, **values)

    def summary(self, values: dict) -> None:
        if not self.enabled:
            return
        self.record["summary"] = values
        write_json(self.metrics_path, self.record)
        self.event("finished", values.get("step", -1), **{k: v for k, v in values.items() if k != "step"})


class MetricInterval:
    """Means of the step metrics since the last log line, and the sample rate."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.steps, self.samples, self.start = 0, 0, time.perf_counter()

    def add(self, metrics: dict[str, float], samples: int) -> None:
        for key, value in metrics.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value)
        self.steps, self.samples = self.steps + 1, self.samples + samples

    def flush(self, world: int) -> dict[str, float]:
        seconds = time.perf_counter() - self.start
        values = {k: v / max(self.steps, 1) for k, v in self.sums.items()}
        values["samples_per_second"] = self.samples * world / max(seconds, 1e-9)
        self.__init__()
        return values
