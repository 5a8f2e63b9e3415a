"""The memory benchmarks' peak: a spawned child's own, never its parent's."""

import multiprocessing
import resource

from lipsync.bench.peak_memory import peak_rss_kb

PARENT_MB = 400


def _child_peaks() -> tuple[int, int]:
    return peak_rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_a_spawned_child_reports_its_own_peak_not_the_parents():
    held = bytearray(PARENT_MB * 1024 * 1024)
    held[::4096] = b"\x01" * len(held[::4096])  # resident, not just reserved
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        own_kb, inherited_kb = pool.apply(_child_peaks)
    assert inherited_kb > PARENT_MB * 1024  # the trap: ru_maxrss carries the parent's peak over
    assert own_kb < PARENT_MB * 1024 / 2, own_kb  # a bare interpreter with this module: tens of MB
    assert own_kb < inherited_kb
