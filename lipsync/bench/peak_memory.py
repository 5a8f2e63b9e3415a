"""The peak resident memory of this process, for the benchmarks that run a stage in a fresh one.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is the wrong figure in a process started by
``multiprocessing``'s ``spawn``: Linux carries the high-water mark across ``fork`` and
``exec``, so the child reports at least the parent's peak (a child that used 15 MB read
1,551 MB under a parent holding 1.5 GB). The kernel's ``VmHWM`` line in ``/proc/self/status``
belongs to the process's current address space, so it is the child's own peak. Elsewhere
(no ``/proc``) ``ru_maxrss`` is the fallback.
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
from collections.abc import Callable
from pathlib import Path

STATUS = Path("/proc/self/status")


def peak_rss_kb() -> int:
    """This process's peak resident set in KB (``VmHWM``; ``ru_maxrss`` where there is no /proc)."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def in_fresh_process(function: Callable[..., tuple[int, int, float]], *args) -> tuple[int, int, float]:
    """``function(*args)`` in a new ``spawn`` process (so one run's peak cannot hide another's);
    it returns (its :func:`peak_rss_kb`, frames, seconds)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def by_length(runs: dict[float, tuple[int, int, float]], size: tuple[int, int]) -> dict:
    """``{"<n>s": {"peak_rss_mb", "frames", "seconds"}, ..., "growth": last / first - 1,
    "frame_size": [w, h]}`` from ``{seconds: (peak KB, frames, seconds spent)}`` in length order."""
    out = {f"{seconds:.0f}s": {"peak_rss_mb": round(kb / 1024, 1), "frames": frames, "seconds": round(spent, 1)}
           for seconds, (kb, frames, spent) in runs.items()}  # fmt: skip
    first, last = (out[f"{s:.0f}s"]["peak_rss_mb"] for s in (min(runs), max(runs)))
    return {**out, "growth": round(last / first - 1, 3), "frame_size": list(size)}
