"""The project's persistent Dagster instance home (``paths.dagster_home``): telemetry off, and the
writers' concurrency pool.

Every asset sits in the pool ``lipsync_writer`` (``assets.WRITER_POOL``); ``default_limit: 1``
gives it one slot, so steps that write under data/ from different runs (``make run``, the
new-video sensor's data job, a retraining) queue instead of overlapping: a second writer's
step waits ("blocked by concurrency limit" in the UI) until the first one's ends. The stage
runners' file lock (``lipsync.stages.writer_lock``) covers what runs outside Dagster (``dvc
repro``, ``lipsync run``).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import yaml

DAGSTER_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


def prepare_home(home: Path) -> Path:
    """Create the instance home with its dagster.yaml and point DAGSTER_HOME at it. A dagster.yaml
    from before the pool existed gets the pool added (its other settings kept)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    else:
        settings = yaml.safe_load(config.read_text()) or {}
        pools = settings.setdefault("concurrency", {}).setdefault("pools", {})
        if "default_limit" not in pools:
            pools["default_limit"] = 1
            config.write_text(yaml.safe_dump(settings, sort_keys=False))
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def project_instance(home: Path) -> dg.DagsterInstance:
    prepare_home(home)
    return dg.DagsterInstance.get()


def free_finished_slots(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """Free pool slots still held by runs that have ended (or are gone), e.g. after a crash; returns their ids."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    freed = []
    for slot in storage.get_concurrency_info(pool).claimed_slots:
        run = instance.get_run_by_id(slot.run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(slot.run_id)
            freed.append(slot.run_id)
    return freed
