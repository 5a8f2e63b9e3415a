"""Where a run's code came from: the git commit recorded as the ``git_commit`` tag."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_commit(repo_root: Path) -> str | None:
    """The full hash of ``HEAD`` in ``repo_root`` (40 hex chars), or None outside git or without git.

    Uncommitted changes are not reflected: the hash names the last commit only.
    """
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "HEAD"],
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None
