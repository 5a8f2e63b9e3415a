"""Atomic writes, and the removal of temporaries that killed processes left behind."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from lipsync.atomic import remove_stale_temporaries, stale_temporaries, write_json


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
