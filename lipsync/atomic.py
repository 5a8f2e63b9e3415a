"""Write files atomically: to a temporary name beside the target, then rename; and one writer
at a time: :func:`exclusive_lock`, an advisory lock file shared by every process.

A crash or a bad input never leaves a half-written artifact under its final name. A killed
process does leave its temporary (``.<stem>.tmp-<pid><suffix>``, a staging folder
``.<name>.tmp-<pid>`` or a swapped-out ``.<name>.old-<pid>``): :func:`remove_stale_temporaries`
removes those whose process is gone, at the start of the next run of the stage.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

log = logging.getLogger("lipsync")

# Every temporary name written in this project: <name>.tmp-<pid>[.<ext>...] or <name>.old-<pid>[...].
TEMPORARY_NAME = re.compile(r"^.+\.(?:tmp|old)-(?P<pid>\d+)(?:\.[^.]+)*$")


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


def replace_folder(staging: Path, final: Path) -> None:
    """Replace folder ``final`` with the complete folder ``staging`` (two renames; the old one is
    deleted after), so a reader sees the old folder or the new one, never a half-written one."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, obj: object) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=_json_default))


def write_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.save(tmp, array)


def write_npy_chunks(path: Path, shape: tuple[int, ...], dtype: np.dtype, chunks: Iterable[np.ndarray]) -> None:
    """Write an ``.npy`` file of ``shape`` and ``dtype`` from consecutive chunks along axis 0.

    Only one chunk is in memory at a time (the file is written as it comes, not memory-mapped,
    so its pages do not count against the writer's resident memory); the bytes are those
    ``np.save`` writes for the whole array. Raises ValueError if the chunks do not fill ``shape``.
    """
    dtype = np.dtype(dtype)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)}
    rows = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        np.lib.format.write_array_header_1_0(out, header)
        for chunk in chunks:
            chunk = np.ascontiguousarray(chunk, dtype=dtype)
            if chunk.shape[1:] != tuple(shape[1:]):
                raise ValueError(f"{path}: chunk of shape {chunk.shape} does not fit an array of {tuple(shape)}")
            out.write(chunk.data)
            rows += len(chunk)
        if rows != shape[0]:
            raise ValueError(f"{path}: {rows} rows written, {shape[0]} expected")


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


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (one we may not signal counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temporaries(folder: Path, recursive: bool = False) -> list[Path]:
    """Temporaries (:data:`TEMPORARY_NAME`) in ``folder`` whose writing process is gone, sorted.
    ``recursive``: in its subfolders too (not inside a stale folder, which goes whole)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        match = TEMPORARY_NAME.match(entry.name)
        if match and not process_alive(int(match["pid"])):
            found.append(entry)
        elif recursive and entry.is_dir() and not entry.is_symlink():
            found += stale_temporaries(entry, recursive=True)
    return found


def remove_stale_temporaries(folder: Path, stage: str, recursive: bool = False) -> list[Path]:
    """Delete :func:`stale_temporaries` (files or whole folders), logging one line each, and
    return them: the leftovers of a killed run of ``stage`` are never read, only removed."""
    removed = stale_temporaries(folder, recursive)
    for path in removed:
        kind = "folder" if path.is_dir() and not path.is_symlink() else "file"
        if kind == "folder":
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        log.info("%s: removed %s %s left by a process that no longer runs", stage, kind, path)
    return removed
