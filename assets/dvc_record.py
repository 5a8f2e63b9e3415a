"""Record a Dagster run's outputs in ``dvc.lock``, as ``make run`` does after its job.

``dvc commit --force`` hashes every stage's current outputs, dependencies and params into
``dvc.lock``, so ``dvc status`` (and ``dvc repro``) agree with what the Dagster run produced.
Runs tagged :data:`COMMIT_TAG` (the retraining job) do it at their end, from the ``benchmark``
asset (the last one).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMMIT_TAG = "lipsync/dvc_commit"  # a job tag: "true" records the run's outputs in dvc.lock when it ends


def commit_outputs(root: Path) -> str:
    """Run ``dvc commit --force`` then ``dvc status`` in ``root``; returns a one-line outcome
    (``clean``, what is still changed, or why nothing was done)."""
    if not (Path(root) / ".dvc").is_dir():
        return f"not recorded: {root} is not a DVC repository"
    dvc = Path(sys.executable).parent / "dvc"
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    commit = subprocess.run([str(dvc), "commit", "--force", "--quiet"], cwd=root, env=env, capture_output=True,
                            text=True, timeout=1800)  # fmt: skip
    if commit.returncode != 0:
        return f"dvc commit failed ({commit.returncode}): {(commit.stderr or commit.stdout).strip()[-500:]}"
    status = subprocess.run([str(dvc), "status"], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    text = status.stdout.strip()
    return "clean" if status.returncode == 0 and "up to date" in text else f"dvc status: {text[-500:]}"
