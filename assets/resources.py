"""Dagster resources: the lipsync project (root folder, params, layout) the assets work on."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lipsync.project import Project, open_project

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class LipsyncProject(dg.ConfigurableResource):
    """Where the project lives. Params are read at each materialization, so edits apply at once."""

    root: str = str(PROJECT_ROOT)
    params_file: str = "params.yaml"

    def open(self) -> Project:
        return open_project(self.root, self.params_file)
