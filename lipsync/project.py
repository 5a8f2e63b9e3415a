"""The project a command works on: its root folder, its params and its layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lipsync.config import PARAMS_FILE, Params, load_params
from lipsync.layout import Layout, project_layout


@dataclass(frozen=True)
class Project:
    root: Path
    params: Params
    layout: Layout


def open_project(root: Path | str = ".", params_file: str = PARAMS_FILE) -> Project:
    root = Path(root).resolve()
    params = load_params(root / params_file)
    return Project(root, params, project_layout(params.paths, root))
