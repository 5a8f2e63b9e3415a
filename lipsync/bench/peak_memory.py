"""The peak resident memory of this process, for the benchmarks that run a stage in a fresh one.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is the wrong figure in a process started by
``multiprocessing``'s ``spawn``: Linux carries the high-water mark across ``fork`` and
``exec``, so the child reports at least the parent's peak (a child that used 15 MB read
1,551 MB under a parent holding 1.5 GB). The kernel's ``VmHWM`` line in ``/proc/self/status``
belongs to the process's current address space, so it is the child's own peak. Elsewhere
(no ``/proc``) ``ru_maxrss`` is the fallback.
"""

from __future__ import annotations

import resource
import sys
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
