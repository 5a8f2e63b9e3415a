"""Write files atomically: to a temporary name beside the target, then rename; and one writer
at a time: :func:`exclusive_lock`, an advisory lock file shared by every process.

A crash or a bad input never leaves a half-written artifact under its final name.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path with the same suffix; rename it to ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, obj: object) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=_json_default))


def write_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.save(tmp, array)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_depth: dict[tuple[str, int], int] = {}  # (lock file, thread) -> how deeply that thread holds it


@contextmanager
def exclusive_lock(path: Path, holder: str, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the advisory lock ``path`` (``flock``, exclusive) for the block, waiting as long as it takes.

    Every process (a Dagster run, ``dvc repro``, the CLI) and every thread opening ``path`` is
    serialised; the operating system releases the lock when its holder dies, so a killed run
    never leaves it stuck. ``holder`` (who takes it, e.g. ``"stage shards, pid 12"``) is written
    into the file so a waiting one can say what it waits for; ``on_wait`` gets that message once.
    Re-entrant: a thread already holding ``path`` passes a nested call without waiting.
    """
    key = (str(Path(path).resolve()), threading.get_ident())
    if _depth.get(key):
        _depth[key] += 1
        try:
            yield
        finally:
            _depth[key] -= 1
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            if on_wait:
                on_wait(f"waiting for {path}, held by {stream.read().strip() or 'another process'}")
            fcntl.flock(stream, fcntl.LOCK_EX)
        _depth[key] = 1
        try:
            stream.seek(0)
            stream.truncate()
            stream.write(f"{holder} since {time.strftime('%Y-%m-%dT%H:%M:%S')}")
            stream.flush()
            yield
        finally:
            _depth.pop(key, None)
            fcntl.flock(stream, fcntl.LOCK_UN)
