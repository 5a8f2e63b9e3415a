"""Moving the ``champion`` and ``challenger`` aliases: atomic, ordered, recorded.

Every change happens under one lock file beside the store (``mlruns/registry.lock``), so two
promotions (the ``promote`` stage, ``lipsync models promote`` or ``rollback``, another
process) never interleave; and in one order: the MLflow run that records the event first,
then every tag of the version, then ``challenger``, then ``champion`` last. A crash or an
error before the last step leaves the champion where it was, and the alias never points at
a version whose figures and decision are not all written (:func:`commit_decision` checks).

    with registry_lock(mlruns, "promote lipsync-generator v4"):   # decide under the same lock
        champion = champion_of(client, name)
        ...
        commit_decision(client, mlruns, name, 4, tags, promote=True)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from lipsync.atomic import exclusive_lock
from lipsync.tracking import version_records as rec
from lipsync.tracking.store import ensure_experiment

CHAMPION, CHALLENGER = "champion", "challenger"
LAST_CHAMPION = "last_champion"  # registered-model tag: tells a deleted champion from "never had one"
LOCK_FILE = "registry.lock"
EXPERIMENT = "promote"  # every promotion, manual promotion and rollback is a run here


@contextmanager
def registry_lock(mlruns: Path, holder: str) -> Iterator[None]:
    """The registry's lock (re-entrant in one thread): hold it from reading the champion to moving it."""
    with exclusive_lock(Path(mlruns) / LOCK_FILE, holder):
        yield


def champion_of(client: MlflowClient, name: str) -> int | None:
    """The version number the ``champion`` alias of ``name`` points at (None: no champion)."""
    version = client.get_registered_model(name).aliases.get(CHAMPION)
    return int(version) if version is not None else None


def commit_decision(client: MlflowClient, mlruns: Path, name: str, version: int, tags: dict[str, str],
                    promote: bool) -> None:  # fmt: skip
    """Write ``tags`` on ``name`` v``version``, point ``challenger`` at it, and, when ``promote``,
    record the champion it replaces and move ``champion`` to it, last.

    Raises RuntimeError (champion untouched) when a tag a champion needs is missing."""
    with registry_lock(mlruns, f"promote {name} v{version}"):
        previous = champion_of(client, name)
        for key, value in tags.items():
            client.set_model_version_tag(name, str(version), key, rec.clip(value))
        client.set_registered_model_alias(name, CHALLENGER, str(version))
        if not promote or previous == version:
            return
        missing = rec.missing_for_champion(client.get_model_version(name, str(version)).tags)
        if missing:
            raise RuntimeError(f"{name} v{version} lacks tags {missing}: the champion alias was not moved")
        client.set_model_version_tag(name, str(version), rec.PREVIOUS_CHAMPION, str(previous) if previous else "none")
        _move_champion(client, name, version)


def promote_by_hand(client: MlflowClient, mlruns: Path, name: str, version: int, reason: str) -> str:
    """Make ``name`` v``version`` the champion because a person said so; returns the run id.
    Raises ValueError (nothing moved) when the version does not exist or its files were deleted."""
    with registry_lock(mlruns, f"manual promotion of {name} v{version}"):
        tags = _usable(client, name, version)
        previous = champion_of(client, name)
        if previous == version:
            raise ValueError(f"{name} v{version} is already the champion")
        summary = f"promoted by hand over {_label(previous)}: {reason}"
        if not tags.get(rec.EVALUATOR):
            summary += " (this version has no benchmark figures)"
        run = log_event(client, mlruns, name, version, "manual promotion", summary, previous)
        record = {rec.DECISION: "promoted by hand", rec.SUMMARY: summary, rec.REASONS: f"manual: {reason}",
                  rec.COMPARED_WITH: _label(previous), rec.RUN: run, rec.TIME: _now(),
                  rec.PREVIOUS_CHAMPION: str(previous) if previous else "none"}  # fmt: skip
        for key, value in record.items():
            client.set_model_version_tag(name, str(version), key, rec.clip(value))
        _move_champion(client, name, version)
        return run


def rollback(client: MlflowClient, mlruns: Path, name: str, reason: str) -> tuple[int, int, str]:
    """Give ``champion`` back to the version it replaced (recorded as that version's
    ``promotion.previous_champion``). Returns (from version, to version, run id); raises
    ValueError (nothing moved) when there is no champion or no usable previous one."""
    with registry_lock(mlruns, f"rollback of {name}"):
        current = champion_of(client, name)
        if current is None:
            raise ValueError(f"{name} has no champion to roll back")
        previous = client.get_model_version(name, str(current)).tags.get(rec.PREVIOUS_CHAMPION, "none")
        if not previous.isdigit():
            raise ValueError(f"{name} v{current} replaced no earlier champion: there is nothing to roll back to")
        target = int(previous)
        _usable(client, name, target)
        run = log_event(client, mlruns, name, target, "rollback", f"rolled back from v{current}: {reason}", current)
        stamp = f"{_now()}: champion rolled back from v{current} to v{target} ({reason}), run {run}"
        client.set_model_version_tag(name, str(current), rec.ROLLED_BACK, rec.clip(stamp))
        client.set_model_version_tag(name, str(target), rec.RESTORED, rec.clip(stamp))
        _move_champion(client, name, target)
        return current, target, run


def log_event(client: MlflowClient, mlruns: Path, name: str, version: int, kind: str, summary: str,
              champion: int | None, reasons: list[str] = (), metrics: dict[str, float] | None = None,
              params: dict[str, str] | None = None) -> str:  # fmt: skip
    """One finished MLflow run in experiment ``promote`` recording a registry event; returns its id."""
    experiment = ensure_experiment(client, EXPERIMENT, mlruns)
    tags = {"model": name, "candidate": f"v{version}", "champion_before": _label(champion), "event": kind,
            "decision": rec.clip(summary)}  # fmt: skip
    run = client.create_run(experiment, run_name=f"{kind.replace(' ', '-')}-{name}-v{version}", tags=tags)
    for key, value in (params or {}).items():
        client.log_param(run.info.run_id, key, str(value)[:6000])
    for key, value in (metrics or {}).items():
        client.log_metric(run.info.run_id, key, float(value))
    if reasons:
        client.log_text(run.info.run_id, "\n".join(reasons) + "\n", "reasons.txt")
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def _move_champion(client: MlflowClient, name: str, version: int) -> None:
    """The last step of every change: the alias, then the model tag that remembers it."""
    client.set_registered_model_alias(name, CHAMPION, str(version))
    client.set_registered_model_tag(name, LAST_CHAMPION, str(version))


def _usable(client: MlflowClient, name: str, version: int) -> dict[str, str]:
    """The tags of an existing version whose files are still there; ValueError otherwise."""
    try:
        tags = client.get_model_version(name, str(version)).tags
    except MlflowException as error:
        raise ValueError(f"{name} v{version} does not exist in the registry ({error.error_code})") from error
    if tags.get(rec.RETENTION):
        raise ValueError(f"{name} v{version} cannot be champion: {tags[rec.RETENTION]}")
    return tags


def _label(version: int | None) -> str:
    return f"v{version}" if version else "no champion"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")
