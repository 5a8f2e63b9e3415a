"""Atomic writes and their companions: the removal of temporaries that killed processes left
behind, and the exclusive lock file that keeps a second writer waiting, says who holds it, is
re-entrant in its thread, and is released when its holder dies."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from lipsync.atomic import exclusive_lock, remove_stale_temporaries, stale_temporaries, write_json, write_npy_chunks
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


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_temporaries_of_dead_processes_are_removed_and_logged(tmp_path, caplog):
    dead, alive = dead_pid(), os.getppid()
    staging = tmp_path / f".shards.tmp-{dead}"  # a killed shards run: a folder with a partial tar
    (staging / "train").mkdir(parents=True)
    (staging / "train" / f".shard-000000.tmp-{dead}.tar").write_bytes(b"\0" * 700)
    old = tmp_path / f".shards.old-{dead}"
    old.mkdir()
    nested = tmp_path / "faces" / "crops"
    nested.mkdir(parents=True)
    (nested / f".abc.tmp-{dead}.npy").write_bytes(b"partial")  # atomic_path's file name
    (nested / f"clip.tmp-{dead}.mp4").write_bytes(b"partial")  # the mp4 writer's
    kept = [
        tmp_path / f".shards.tmp-{alive}",  # a run in progress
        tmp_path / f".x.tmp-{os.getpid()}.json",  # ours
        nested / "abc.npy",  # a final file
        nested / "notes.tmp-x.txt",  # not a pid
    ]
    for path in kept:
        path.write_bytes(b"keep")
    assert stale_temporaries(tmp_path) == sorted([staging, old])  # not recursive: the top level only
    with caplog.at_level(logging.INFO, logger="lipsync"):
        removed = remove_stale_temporaries(tmp_path, "shards", recursive=True)
    assert sorted(removed) == sorted([staging, old, nested / f".abc.tmp-{dead}.npy", nested / f"clip.tmp-{dead}.mp4"])
    assert all(not path.exists() for path in removed) and all(path.exists() for path in kept)
    lines = [r.getMessage() for r in caplog.records]
    assert f"shards: removed folder {staging} left by a process that no longer runs" in lines
    assert f"shards: removed file {nested / f'clip.tmp-{dead}.mp4'} left by a process that no longer runs" in lines
    assert remove_stale_temporaries(tmp_path / "missing", "shards") == []


def test_write_json_leaves_no_temporary(tmp_path):
    write_json(tmp_path / "a.json", {"b": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_write_npy_chunks_writes_what_np_save_writes(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (7, 4, 4, 3), dtype=np.uint8)
    saved = io.BytesIO()
    np.save(saved, array)
    write_npy_chunks(tmp_path / "a.npy", array.shape, np.uint8, [array[:3], array[3:5], array[5:]])
    assert (tmp_path / "a.npy").read_bytes() == saved.getvalue()
    with pytest.raises(ValueError, match="6 rows written, 7 expected"):
        write_npy_chunks(tmp_path / "b.npy", array.shape, np.uint8, [array[:6]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy"]  # no partial file
