"""One writer at a time under data/: every stage runner holds ``paths.writer_lock`` while it runs.

Dagster runs (the main job, retraining, new-video processing, launched by ``make run`` or the
daemon), ``dvc repro`` and ``lipsync run`` all go through the runners, so none of them can
rewrite the shards under a running trainer: the second one logs what it waits for (the
holder's stage and pid are in the file) and starts when the first ends. The lock is
re-entrant in its thread and released by the operating system if its holder dies.
(The Dagster side also queues such steps in one concurrency pool of size 1: ``pipelines/instance.py``.)
"""

from __future__ import annotations

import functools
import logging
import os

from lipsync.atomic import exclusive_lock

log = logging.getLogger("lipsync")


def writes_data(run):
    """Decorate a runner ``run(params, layout, ...)`` so it holds ``layout.writer_lock`` throughout."""
    stage = run.__module__.rsplit(".", 1)[-1]

    @functools.wraps(run)
    def locked(params, layout, *args, **kwargs):
        with exclusive_lock(layout.writer_lock, f"stage {stage}, pid {os.getpid()}", on_wait=_waiting(stage)):
            return run(params, layout, *args, **kwargs)

    return locked


def _waiting(stage: str):
    return lambda message: log.info("%s: %s", stage, message)
