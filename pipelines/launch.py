"""Launch jobs the way the Dagster UI does: from the project's code location (workspace.yaml).

A run made with ``JobDefinition.execute_in_process`` records no remote origin (code location
and repository), and the UI ties runs to jobs by that origin: the Overview timeline leaves
out runs without one, and a job's page lists only runs tagged with its repository
(``.dagster/repository``). Runs created here from the workspace's job carry both, and the
instance's run launcher executes them in their own process, as it does for a launch from
the UI; :func:`launch` waits for the run to end.

    with open_workspace(instance) as workspace:
        run = launch(workspace, "data_job", run_config, tags)
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.workspace.context import BaseWorkspaceRequestContext, WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget

from assets.resources import PROJECT_ROOT

WORKSPACE_FILE = PROJECT_ROOT / "workspace.yaml"
POLL_SECONDS = 0.5


@contextmanager
def open_workspace(
    instance: dg.DagsterInstance, workspace_file: Path = WORKSPACE_FILE
) -> Iterator[BaseWorkspaceRequestContext]:
    """The code locations of ``workspace_file``, served by a code server process for the block.

    The file's ``working_directory: .`` is relative to the current folder, so the server is
    started from the folder that holds the file, as ``make ui`` does. Raises RuntimeError when
    the instance is ephemeral (a launched run needs storage another process can open) or a
    code location fails to load.
    """
    if instance.is_ephemeral:
        raise RuntimeError("launching runs needs a persistent Dagster instance (a home folder), not an ephemeral one")
    with _working_folder(workspace_file.parent):
        process = WorkspaceProcessContext(instance, WorkspaceFileTarget([str(workspace_file)]))
    with process:
        workspace = process.create_request_context()
        errors = workspace.code_location_errors()
        if errors:
            raise RuntimeError(f"{workspace_file}: code location failed to load: {errors[0].to_string()}")
        yield workspace


def launch(
    workspace: BaseWorkspaceRequestContext, job_name: str, run_config: Mapping[str, object], tags: Mapping[str, str]
) -> dg.DagsterRun:
    """Create a run of ``job_name`` from the workspace's code location, launch it, wait for it
    to end, and return it (``run.status``: SUCCESS, FAILURE or CANCELED)."""
    instance = workspace.instance
    location, repository = _location_of(workspace, job_name)
    selector = JobSubsetSelector(
        location_name=location.name, repository_name=repository.name, job_name=job_name, op_selection=None
    )
    job = location.get_job(selector)
    plan = location.get_execution_plan(job, run_config, step_keys_to_execute=None, known_state=None, instance=instance)
    run = instance.create_run(
        job_name=job_name,
        run_id=None,
        run_config=run_config,
        resolved_op_selection=None,
        step_keys_to_execute=None,
        op_selection=None,
        status=None,
        root_run_id=None,
        parent_run_id=None,
        tags={**job.tags, **tags},
        job_snapshot=job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=job.parent_job_snapshot,
        remote_job_origin=job.get_remote_origin(),
        job_code_origin=job.get_python_origin(),
        asset_selection=None,
        asset_check_selection=None,
        asset_graph=repository.asset_graph,
    )
    instance.launch_run(run.run_id, workspace)
    while not (finished := instance.get_run_by_id(run.run_id)).is_finished:
        time.sleep(POLL_SECONDS)
    return finished


def _location_of(workspace: BaseWorkspaceRequestContext, job_name: str):
    """(code location, repository) that defines ``job_name``."""
    for name in workspace.code_location_names:
        location = workspace.get_code_location(name)
        for repository in location.get_repositories().values():
            if repository.has_job(job_name):
                return location, repository
    raise KeyError(f"no code location in the workspace defines job {job_name!r}")


@contextmanager
def _working_folder(folder: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
