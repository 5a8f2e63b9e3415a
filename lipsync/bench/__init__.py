"""Benchmarks: each compares against a baseline measured in the same run and writes JSON.

``lipsync bench <name>`` writes ``<paths.bench>/<name>.json``; ``lipsync bench report``
rebuilds the README's figures table from those files. Never timed tests: these machines are
shared and noisy, so we report ratios measured side by side.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import time

from lipsync.atomic import write_json
from lipsync.project import Project


def run_benchmark(name: str, project: Project, quick: bool = False) -> dict:
    if name == "report":
        from lipsync.bench.report import write_report

        return write_report(project)
    module = importlib.import_module(f"lipsync.bench.{name}_bench")
    started, load_before = time.perf_counter(), _load()
    result = module.run(project, quick=quick)
    result = {
        "benchmark": name,
        "machine": {
            "cpu_count": _cpus(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_1min": {"before": load_before, "after": _load()},
        },
        "quick": quick,
        "wall_seconds": round(time.perf_counter() - started, 1),
        **result,
    }
    write_json(project.layout.bench / f"{name}.json", result)
    return result


def load_result(project: Project, name: str) -> dict | None:
    path = project.layout.bench / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _load() -> float:
    """The 1-minute load average: a figure taken with other work on the machine says so."""
    return round(os.getloadavg()[0], 2)
