"""Atomic writes' companion: the exclusive lock file that keeps a second writer waiting, says
who holds it, is re-entrant in its thread, and is released when its holder dies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from lipsync.atomic import exclusive_lock
from tests.builders import ROOT

HOLD = """
import sys, time
from lipsync.atomic import exclusive_lock
with exclusive_lock(sys.argv[1], "stage shards, pid 1234"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def holder(path, seconds: float) -> subprocess.Popen:
    """Another process holding ``path`` for ``seconds`` (returns once it holds it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE,
                               env=env, text=True)  # fmt: skip
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_waits_and_learns_who_holds_the_lock(tmp_path):
    lock = tmp_path / "data" / ".writer.lock"
    process = holder(lock, 1.5)
    messages, started = [], time.monotonic()
    with exclusive_lock(lock, "stage generator, pid 99", on_wait=messages.append):
        waited = time.monotonic() - started
        assert lock.read_text().startswith("stage generator, pid 99 since ")
    process.wait(timeout=30)
    assert waited > 0.8, waited
    assert messages == [f"waiting for {lock}, held by stage shards, pid 1234 since {messages[0].split(' since ')[1]}"]


def test_a_killed_holder_releases_the_lock(tmp_path):
    lock = tmp_path / "lock"
    process = holder(lock, 60)
    process.kill()
    process.wait(timeout=30)
    started = time.monotonic()
    with exclusive_lock(lock, "next"):
        assert time.monotonic() - started < 5


def test_reentrant_in_its_thread_exclusive_across_threads(tmp_path):
    lock, order = tmp_path / "lock", []

    def other() -> None:
        with exclusive_lock(lock, "thread"):
            order.append("other")

    with exclusive_lock(lock, "outer"):
        with exclusive_lock(lock, "inner"):  # a runner calling another runner does not deadlock
            order.append("nested")
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.3)
        order.append("outer done")
    thread.join(timeout=30)
    assert order == ["nested", "outer done", "other"]
