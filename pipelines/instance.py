"""The project's persistent Dagster instance home (``paths.dagster_home``), telemetry off."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

DAGSTER_YAML = "telemetry:\n  enabled: false\n"


def prepare_home(home: Path) -> Path:
    """Create the instance home with its dagster.yaml and point DAGSTER_HOME at it."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def project_instance(home: Path) -> dg.DagsterInstance:
    prepare_home(home)
    return dg.DagsterInstance.get()
