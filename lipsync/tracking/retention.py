"""Retention: old versions lose their files, never their registry entry.

A registered version's disk cost is its logged model (the pt2 export and the state dict,
``models/m-<id>/artifacts``) and the checkpoints its training run logged (``<run>/artifacts/
checkpoints``: weights, optimiser moments, RNG, every ``checkpoint_every`` steps). Weekly
retraining would keep adding both, so :func:`apply_retention` deletes them for every version
outside the kept set: the champion, the challenger, the champion's predecessor (the rollback
target), versions named by the caller, and the newest ``keep_last``. The entry stays, with
its run, metrics, tags and sample grids, and is marked with a ``retention`` tag; such a
version can no longer be promoted or loaded. Only local (``file://``) artifact stores.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from mlflow import MlflowClient
from mlflow.utils.file_utils import local_file_uri_to_path

from lipsync.tracking import version_records as rec
from lipsync.tracking.registry import aliases_by_version

CHECKPOINTS = "checkpoints"


def version_paths(client: MlflowClient, name: str, version: int) -> dict[str, Path]:
    """``{"model": folder of the logged model's files, "checkpoints": the run's checkpoint folder}``."""
    found = client.get_model_version(name, str(version))
    run = client.get_run(found.run_id)
    return {
        "model": _local(client.get_model_version_download_uri(name, str(version))),
        "checkpoints": _local(run.info.artifact_uri) / CHECKPOINTS,
    }


def version_bytes(client: MlflowClient, name: str, version: int) -> dict[str, int]:
    """Bytes on disk of each of :func:`version_paths` (0 when already deleted)."""
    return {kind: _size(path) for kind, path in version_paths(client, name, version).items()}


def kept_versions(client: MlflowClient, name: str, keep_last: int, protected: set[int] = frozenset()) -> set[int]:
    """The versions whose files stay: aliased ones, the champion's predecessor, ``protected`` and
    the newest ``keep_last``."""
    numbers = sorted(int(v.version) for v in client.search_model_versions(filter_string=f"name = '{name}'"))
    aliased = aliases_by_version(client, name)
    keep = set(numbers[-keep_last:]) | set(aliased) | set(protected)
    for version, aliases in aliased.items():
        if "champion" in aliases:
            previous = client.get_model_version(name, str(version)).tags.get(rec.PREVIOUS_CHAMPION, "")
            keep |= {int(previous)} if previous.isdigit() else set()
    return keep


def apply_retention(client: MlflowClient, name: str, keep_last: int, protected: set[int] = frozenset()) -> list[dict]:
    """Delete the files of every version of ``name`` outside :func:`kept_versions` (once) and mark it.

    Returns ``[{"version": int, "bytes": freed}]`` for the versions pruned by this call.
    """
    keep = kept_versions(client, name, keep_last, protected)
    pruned = []
    for found in client.search_model_versions(filter_string=f"name = '{name}'"):
        version = int(found.version)
        if version in keep or found.tags.get(rec.RETENTION):
            continue
        paths = version_paths(client, name, version)
        freed = sum(_size(path) for path in paths.values())
        for path in paths.values():
            shutil.rmtree(path, ignore_errors=True)
        note = (f"files deleted on {time.strftime('%Y-%m-%d')} by the retention policy (keep_last={keep_last}): "
                f"{freed / 1e6:.1f} MB freed; the entry, its run, metrics and tags remain")  # fmt: skip
        client.set_model_version_tag(name, str(version), rec.RETENTION, note)
        pruned.append({"version": version, "bytes": freed})
    return sorted(pruned, key=lambda item: item["version"])


def _local(uri: str) -> Path:
    if not uri.startswith("file:"):
        raise ValueError(f"retention handles local artifact stores only, got {uri}")
    return Path(local_file_uri_to_path(uri))


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0
